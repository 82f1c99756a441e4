// R-DUN-4, R-DUN-6: a bounce that arrives after the SMTP server accepted a
// reminder is read into the recipient that failed, why, and which message it
// was (so the action can show the failure in the to-do list). Samples in
// tests/delivery/data/bounces/ imitate what Postfix, Exim, Gmail, Exchange
// Online and qmail send; {{MESSAGE_ID}} stands for the original's id.
#include "delivery/dsn_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/prng.h"
#include "delivery/bounce_samples.h"

namespace relance::delivery {
namespace {

using ::testing::HasSubstr;

constexpr const char* kId = "act_01JKX5V6W7Y8Z9A0B1C2D3E4F5@acme.test";

std::string Sample(const std::string& name) { return test::BounceSample(name, kId); }

DeliveryStatusNotification Parsed(const std::string& name) {
  auto r = ParseDsn(Sample(name));
  EXPECT_TRUE(r.ok()) << name << ": " << r.error().ToString();
  return r.ok() ? *r : DeliveryStatusNotification{};
}

// What each sample must read as: its one recipient, and whether it is permanent.
struct Expected {
  const char* sample;
  const char* what;  // what the sample exercises
  const char* address;
  const char* action;
  const char* status;
  const char* diagnostic;  // a part of it
  bool permanent;
};

constexpr Expected kSamples[] = {
    // The folded Diagnostic-Code is unfolded, its "smtp;" type dropped.
    {"postfix_user_unknown.eml", "Postfix, folded fields", "gone@durand.test", "failed", "5.1.1",
     "550 5.1.1 <gone@durand.test>: Recipient address rejected: User unknown", true},
    {"exim_mailbox_full.eml", "Exim, lower-case folded message-id in text/rfc822-headers",
     "full@martin.test", "failed", "5.2.2", "552 5.2.2 Mailbox full", true},
    {"gmail_no_such_user.eml", "Gmail, upper-case type, quoted parameters, nested parts",
     "nobody@gmail.test", "failed", "5.1.1",
     "550-5.1.1 The email account that you tried to reach does not exist.", true},
    {"microsoft_recipient_not_found.eml",
     "Exchange Online, CRLF, base64 status, quoted-printable headers", "compta@dupont.test",
     "failed", "5.1.10", "RESOLVER.ADR.RecipientNotFound", true},
    {"postfix_delayed.eml", "a delayed delivery: transient", "slow@martin.test", "delayed", "4.4.1",
     "Connection timed out", false},
    {"qmail_no_mailbox.eml", "qmail's plain-text bounce", "ancien@vieux.test", "failed", "5.1.1",
     "Sorry, no mailbox here by that name. (#5.1.1)", true},
};

void PrintTo(const Expected& e, std::ostream* os) { *os << e.sample; }

class DsnSampleTest : public ::testing::TestWithParam<Expected> {};

TEST_P(DsnSampleTest, ReadsTheRecipientTheStatusAndTheOriginalMessageId) {
  const Expected& e = GetParam();
  SCOPED_TRACE(e.what);
  auto dsn = Parsed(e.sample);
  EXPECT_EQ(dsn.original_message_id, kId);
  ASSERT_EQ(dsn.recipients.size(), 1u);
  const auto& r = dsn.recipients[0];
  EXPECT_EQ(r.address, e.address);
  EXPECT_EQ(r.action, e.action);
  EXPECT_EQ(r.status, e.status);
  EXPECT_THAT(r.diagnostic, HasSubstr(e.diagnostic));
  EXPECT_EQ(r.diagnostic.find_first_of("\r\n"), std::string::npos);
  EXPECT_EQ(r.permanent, e.permanent);
  EXPECT_EQ(dsn.HasPermanentFailure(), e.permanent);
}

INSTANTIATE_TEST_SUITE_P(Samples, DsnSampleTest, ::testing::ValuesIn(kSamples),
                         [](const auto& info) {
                           std::string n = info.param.sample;
                           return n.substr(0, n.find('.'));
                         });

TEST(DsnParserTest, ReportingMtaIsKept) {
  EXPECT_EQ(Parsed("postfix_user_unknown.eml").reporting_mta, "dns; mx1.acme.test");
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
  for (const Expected& e : kSamples) {
    const std::string text = Sample(e.sample);
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
