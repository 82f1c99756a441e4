// R-DUN-4, R-DUN-6: a bounce that arrives after the SMTP server accepted a
// reminder is read into the recipient that failed, why, and which message it
// was (so the action can show the failure in the to-do list). Samples in
// tests/delivery/data/bounces/ imitate what Postfix, Exim, Gmail, Exchange
// Online and qmail send; {{MESSAGE_ID}} stands for the original's id.
#include "delivery/dsn_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/prng.h"

namespace relance::delivery {
namespace {

using ::testing::HasSubstr;

constexpr const char* kId = "act_01JKX5V6W7Y8Z9A0B1C2D3E4F5@acme.test";

std::string Sample(const std::string& name, const std::string& id = kId) {
  std::ifstream in(std::string(RELANCE_BOUNCES_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const std::string placeholder = "{{MESSAGE_ID}}";
  for (size_t at = text.find(placeholder); at != std::string::npos;
       at = text.find(placeholder, at + id.size())) {
    text.replace(at, placeholder.size(), id);
  }
  return text;
}

DeliveryStatusNotification Parsed(const std::string& name) {
  auto r = ParseDsn(Sample(name));
  EXPECT_TRUE(r.ok()) << name << ": " << r.error().ToString();
  return r.ok() ? *r : DeliveryStatusNotification{};
}

TEST(DsnParserTest, PostfixUserUnknownIsPermanentWithItsDiagnostic) {
  auto dsn = Parsed("postfix_user_unknown.eml");
  EXPECT_EQ(dsn.original_message_id, kId);
  EXPECT_EQ(dsn.reporting_mta, "dns; mx1.acme.test");
  ASSERT_EQ(dsn.recipients.size(), 1u);
  const auto& r = dsn.recipients[0];
  EXPECT_EQ(r.address, "gone@durand.test");
  EXPECT_EQ(r.action, "failed");
  EXPECT_EQ(r.status, "5.1.1");
  // The folded Diagnostic-Code is unfolded, its "smtp;" type dropped.
  EXPECT_EQ(r.diagnostic,
            "550 5.1.1 <gone@durand.test>: Recipient address rejected: User unknown in virtual "
            "mailbox table");
  EXPECT_TRUE(r.permanent);
  EXPECT_TRUE(dsn.HasPermanentFailure());
}

TEST(DsnParserTest, EximWithRfc822HeadersPartAndLowerCaseFieldNames) {
  auto dsn = Parsed("exim_mailbox_full.eml");
  // "message-id:" folded onto the next line, in a text/rfc822-headers part.
  EXPECT_EQ(dsn.original_message_id, kId);
  ASSERT_EQ(dsn.recipients.size(), 1u);
  EXPECT_EQ(dsn.recipients[0].address, "full@martin.test");
  EXPECT_EQ(dsn.recipients[0].status, "5.2.2");
  EXPECT_EQ(dsn.recipients[0].diagnostic, "552 5.2.2 Mailbox full");
  EXPECT_TRUE(dsn.recipients[0].permanent);
}

TEST(DsnParserTest, GmailWithUpperCaseTypeQuotedParametersAndNestedParts) {
  auto dsn = Parsed("gmail_no_such_user.eml");
  EXPECT_EQ(dsn.original_message_id, kId);
  ASSERT_EQ(dsn.recipients.size(), 1u);
  EXPECT_EQ(dsn.recipients[0].address, "nobody@gmail.test");
  EXPECT_TRUE(dsn.recipients[0].permanent);
  EXPECT_THAT(dsn.recipients[0].diagnostic,
              HasSubstr("550-5.1.1 The email account that you tried to reach does not exist."));
}

TEST(DsnParserTest, MicrosoftWithCrlfBase64StatusAndQuotedPrintableHeaders) {
  auto dsn = Parsed("microsoft_recipient_not_found.eml");
  EXPECT_EQ(dsn.original_message_id, kId);
  ASSERT_EQ(dsn.recipients.size(), 1u);
  const auto& r = dsn.recipients[0];
  EXPECT_EQ(r.address, "compta@dupont.test");
  EXPECT_EQ(r.status, "5.1.10");
  EXPECT_THAT(r.diagnostic, HasSubstr("RESOLVER.ADR.RecipientNotFound"));
  EXPECT_EQ(r.diagnostic.find('\r'), std::string::npos);
  EXPECT_TRUE(r.permanent);
}

TEST(DsnParserTest, DelayedDeliveryIsTransient) {
  auto dsn = Parsed("postfix_delayed.eml");
  EXPECT_EQ(dsn.original_message_id, kId);
  ASSERT_EQ(dsn.recipients.size(), 1u);
  EXPECT_EQ(dsn.recipients[0].action, "delayed");
  EXPECT_EQ(dsn.recipients[0].status, "4.4.1");
  EXPECT_FALSE(dsn.recipients[0].permanent);
  EXPECT_FALSE(dsn.HasPermanentFailure());
}

TEST(DsnParserTest, FailedWithATemporaryStatusOrNoStatusIsNotPermanent) {
  std::string text = Sample("postfix_user_unknown.eml");
  std::string four = text;
  four.replace(four.find("Status: 5.1.1"), 13, "Status: 4.2.2");
  auto r = ParseDsn(four);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_FALSE(r->HasPermanentFailure());
  std::string none = text;
  none.replace(none.find("Status: 5.1.1"), 13, "Status: soon!");
  r = ParseDsn(none);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->recipients[0].status, "");
  EXPECT_FALSE(r->HasPermanentFailure());
}

TEST(DsnParserTest, QmailPlainTextBounceIsRecognized) {
  auto dsn = Parsed("qmail_no_mailbox.eml");
  EXPECT_EQ(dsn.original_message_id, kId);
  ASSERT_EQ(dsn.recipients.size(), 1u);
  EXPECT_EQ(dsn.recipients[0].address, "ancien@vieux.test");
  EXPECT_EQ(dsn.recipients[0].status, "5.1.1");
  EXPECT_EQ(dsn.recipients[0].diagnostic, "Sorry, no mailbox here by that name. (#5.1.1)");
  EXPECT_TRUE(dsn.recipients[0].permanent);
}

TEST(DsnParserTest, FallsBackToInReplyToWhenTheOriginalIsNotQuoted) {
  std::string text = Sample("microsoft_recipient_not_found.eml");
  // Drop the quoted headers: the bounce's own In-Reply-To names the original.
  text.erase(text.find("Content-Type: text/rfc822-headers"));
  text += "\r\n--ce1f2b3a-aaaa-4bbb-8ccc-0123456789ab--\r\n";
  auto r = ParseDsn(text);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->original_message_id, kId);
}

TEST(DsnParserTest, MessagesThatAreNotBouncesAreRefusedSayingWhy) {
  auto reply = ParseDsn(Sample("not_dsn_reply.eml"));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(reply.error().message(), HasSubstr("text/plain, not multipart/report"));

  auto mdn = ParseDsn(Sample("read_receipt_mdn.eml"));
  ASSERT_FALSE(mdn.ok());
  EXPECT_THAT(mdn.error().message(), HasSubstr("report-type \"disposition-notification\""));

  auto no_status = ParseDsn(Sample("no_status_part.eml"));
  ASSERT_FALSE(no_status.ok());
  EXPECT_THAT(no_status.error().message(), HasSubstr("no message/delivery-status part"));

  auto no_id = ParseDsn(Sample("no_original_id.eml"));
  ASSERT_FALSE(no_id.ok());
  EXPECT_THAT(no_id.error().message(), HasSubstr("does not say which message bounced"));

  auto empty = ParseDsn("");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.error().message(), HasSubstr("no header fields"));

  auto huge = ParseDsn(std::string(kMaxDsnBytes + 1, 'a'));
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().code(), ErrorCode::kResourceExhausted);
}

// Fuzz-safe: truncations and random byte flips of every sample end in a
// value (parsed or refused), never a crash, a hang or a sanitizer report.
TEST(DsnParserTest, MangledSamplesNeverCrash) {
  Prng prng(42);
  for (const char* name : {"postfix_user_unknown.eml", "exim_mailbox_full.eml",
                           "gmail_no_such_user.eml", "microsoft_recipient_not_found.eml",
                           "qmail_no_mailbox.eml"}) {
    const std::string text = Sample(name);
    for (size_t cut = 0; cut < text.size(); cut += 7) (void)ParseDsn(text.substr(0, cut));
    for (int round = 0; round < 300; ++round) {
      std::string mangled = text;
      for (int i = 0; i < 8; ++i) {
        mangled[prng.Next() % mangled.size()] = static_cast<char>(prng.Next() & 0xFF);
      }
      (void)ParseDsn(mangled);
    }
  }
  (void)ParseDsn("Content-Type: multipart/report; report-type=delivery-status; boundary=\"\"\n\n");
  (void)ParseDsn("Content-Type: multipart/mixed; boundary=a\n\n--a\n" +
                 std::string("Content-Type: multipart/mixed; boundary=a\n\n--a\n") + "--a--\n");
}

}  // namespace
}  // namespace relance::delivery
