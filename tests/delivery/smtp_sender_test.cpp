// SmtpEmailSender against the real SMTP sink (tests/emulators/smtp): what a
// server receives is what the customer gets (R-SEND-5 e-mail channel,
// R-DUN-3 reminders carrying invoice PDFs), and every failure is classified
// the way the outbox needs it (retry, or stop and tell the user).
#include "delivery/smtp_sender.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "delivery/emulator.h"

namespace relance::delivery {
namespace {

using nlohmann::json;
using test::Emulator;
using test::StartEmulator;

// Bytes 0..255 several times: any transfer-encoding slip shows.
std::string BinaryPdf() {
  std::string pdf = "%PDF-1.4\n";
  for (int round = 0; round < 40; ++round) {
    for (int b = 0; b < 256; ++b) pdf += static_cast<char>(b);
  }
  pdf += "\n%%EOF\n";
  return pdf;
}

EmailMessage Reminder(const std::string& id) {
  EmailMessage m;
  m.message_id = id + "@relance.test";
  m.from_address = "relances@fournisseur.test";
  m.from_name = "Émilie Durand, ACME";
  m.to = {"compta@client.test", "dg@client.test"};
  m.cc = {"commercial@fournisseur.test"};
  m.subject =
      "Relance : facture n° F-42 échue depuis 12 jours — reste dû 1 234,56 € (deuxième "
      "rappel avant mise en demeure)";
  m.text_body =
      "Bonjour Zoé,\n\nLa facture F-42 reste impayée.\n.\n.ligne qui commence par un point\n" +
      std::string(200, 'x') + "\nFrom here on\nCordialement";
  m.html_body = "<p>Bonjour Zoé,</p><p>La facture <strong>F-42</strong> reste impayée.</p>";
  m.attachments = {{"Facture F-42 été — relance du client Dupont Frères, Lyon.pdf",
                    "application/pdf", BinaryPdf()}};
  return m;
}

class SmtpSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sink_ = StartEmulator("smtp/smtp_sink.py", {"--smtp-port", "0", "--control-port", "0"});
    ASSERT_NE(sink_.port, 0);
  }
  SmtpEmailSender Sender(std::string user = "", std::string password = "") const {
    SmtpSettings s;
    s.url = "smtp://127.0.0.1:" + std::to_string(sink_.port) + "/relance.test";
    s.user = std::move(user);
    s.password = std::move(password);
    s.timeout_ms = 10000;
    return SmtpEmailSender(s);
  }
  int StoredCount() const { return sink_.Get("/count")["count"].get<int>(); }

  Emulator sink_;
};

// R-SEND-5, R-DUN-3: recipients, accented subject and sender, both body
// parts, a byte-identical PDF attachment and the caller's Message-ID arrive.
TEST_F(SmtpSenderTest, ServerReceivesTheWholeMessage) {
  EmailMessage m = Reminder("act_01J0001");
  int hook_calls = 0;
  int stored_during_hook = -1;
  Result<std::string> reply = Sender().Send(m, [&]() -> Result<void> {
    ++hook_calls;
    stored_during_hook = StoredCount();  // the dot has not been sent yet
    return Ok();
  });
  ASSERT_TRUE(reply.ok()) << reply.error().ToString();
  EXPECT_EQ(reply->rfind("250", 0), 0u) << *reply;
  EXPECT_EQ(hook_calls, 1);
  EXPECT_EQ(stored_during_hook, 0);

  json list = sink_.Get("/messages");
  ASSERT_EQ(list["count"], 1);
  const json& got = list["messages"][0];
  EXPECT_EQ(got["mail_from"], "relances@fournisseur.test");
  EXPECT_EQ(got["rcpt_tos"],
            json({"compta@client.test", "dg@client.test", "commercial@fournisseur.test"}));
  EXPECT_EQ(got["to_addresses"], json({"compta@client.test", "dg@client.test"}));
  EXPECT_EQ(got["cc_addresses"], json({"commercial@fournisseur.test"}));
  EXPECT_EQ(got["subject"], m.subject);
  // The display name is an encoded word (it is not ASCII); decoded, it reads back whole.
  EXPECT_EQ(got["from"], "Émilie Durand, ACME <relances@fournisseur.test>");
  EXPECT_EQ(got["message_id"], "<act_01J0001@relance.test>");
  // Lines "." and ".ligne..." survive: libcurl dot-stuffs the DATA stream.
  EXPECT_EQ(got["text"].get<std::string>(), m.text_body + "\n");
  EXPECT_EQ(got["html"].get<std::string>(), m.html_body + "\n");
  ASSERT_EQ(got["attachments"].size(), 1u);
  EXPECT_EQ(got["attachments"][0]["filename"], m.attachments[0].file_name);
  EXPECT_EQ(got["attachments"][0]["content_type"], "application/pdf");
  std::string seq = std::to_string(got["seq"].get<int>());
  EXPECT_EQ(sink_.GetRaw("/messages/" + seq + "/attachments/0"), m.attachments[0].bytes);

  // Every line of the raw message is CRLF-terminated and at most 78 characters.
  std::string raw = sink_.GetRaw("/messages/" + seq + "/raw");
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = raw.find("\r\n", start);
    ASSERT_NE(end, std::string::npos) << "line without CRLF at " << start;
    EXPECT_LE(end - start, 78u) << raw.substr(start, end - start);
    EXPECT_EQ(raw.substr(start, end - start).find('\n'), std::string::npos);
    start = end + 2;
  }
}

// R-SEND-5: a text-only message with no attachment is a valid message too.
TEST_F(SmtpSenderTest, TextOnlyMessage) {
  EmailMessage m;
  m.message_id = "act_text@relance.test";
  m.from_address = "relances@fournisseur.test";
  m.to = {"client@example.test"};
  m.subject = "Plain subject";
  m.text_body = "Hello";
  ASSERT_TRUE(Sender().Send(m, nullptr).ok());
  json got = sink_.Get("/messages")["messages"][0];
  EXPECT_EQ(got["text"], "Hello\n");
  EXPECT_TRUE(got["html"].is_null());
  EXPECT_EQ(got["attachments"].size(), 0u);
}

// R-SEND-5: a recipient the server refuses is a permanent failure naming the
// address and the server's reply, and nobody receives the message.
TEST_F(SmtpSenderTest, RejectedRecipientIsPermanentAndNamed) {
  ASSERT_EQ(sink_.Post("/faults", {{"rcpt",
                                    {{"address", "dg@client.test"},
                                     {"code", 550},
                                     {"message", "5.1.1 Mailbox unavailable"}}}}),
            200);
  Result<std::string> r = Sender().Send(Reminder("act_rej"), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message().find("dg@client.test"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("550 5.1.1 Mailbox unavailable"), std::string::npos)
      << r.error().message();
  EXPECT_EQ(StoredCount(), 0);
}

// R-SEND-5: a 4xx reply is temporary (retryable) and a later try succeeds.
TEST_F(SmtpSenderTest, TemporaryFailureIsRetryable) {
  ASSERT_EQ(sink_.Post("/faults", {{"transient", 1}}), 200);
  Result<std::string> first = Sender().Send(Reminder("act_tmp"), nullptr);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(IsRetryable(first.error().code()));
  EXPECT_NE(first.error().message().find("451"), std::string::npos) << first.error().message();
  ASSERT_TRUE(Sender().Send(Reminder("act_tmp"), nullptr).ok());
  EXPECT_EQ(StoredCount(), 1);
}

// R-DUN-4 through R-SEND-5: a 4xx answer to the final dot means "not
// accepted": retryable, and not an unknown outcome.
TEST_F(SmtpSenderTest, RefusalAfterTheDotIsAKnownOutcome) {
  ASSERT_EQ(sink_.Post("/faults", {{"transient", 1}}), 200);
  bool hook_ran = false;
  Result<std::string> r = Sender().Send(Reminder("act_451"), [&]() -> Result<void> {
    hook_ran = true;
    return Ok();
  });
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(hook_ran);
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
  EXPECT_FALSE(IsOutcomeUnknown(r.error())) << r.error().message();
}

// R-DUN-4 through R-SEND-5: when the connection drops after the message
// (the server stored it, or not), Send says the outcome is unknown, so the
// executor does not send it a second time.
TEST_F(SmtpSenderTest, LostAnswerAfterTheDotIsAnUnknownOutcome) {
  for (const char* fault : {"disconnect_after_accept", "disconnect"}) {
    ASSERT_EQ(sink_.Post("/faults", {{fault, 1}}), 200);
    Result<std::string> r = Sender().Send(Reminder(std::string("act_") + fault), nullptr);
    ASSERT_FALSE(r.ok()) << fault;
    EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable) << fault;
    EXPECT_TRUE(IsOutcomeUnknown(r.error())) << fault << ": " << r.error().message();
  }
  EXPECT_EQ(StoredCount(), 1);  // the one accepted before the drop
}

// A refusal before the message (RCPT) is never an unknown outcome.
TEST_F(SmtpSenderTest, RefusalBeforeTheMessageIsAKnownOutcome) {
  ASSERT_EQ(sink_.Post("/faults", {{"rcpt", {{"address", "dg@client.test"}, {"code", 451}}}}), 200);
  Result<std::string> r = Sender().Send(Reminder("act_rcpt451"), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(IsOutcomeUnknown(r.error())) << r.error().message();
}

// R-SEND-5: a temporary rejection of a recipient (4xx on RCPT) is retryable.
TEST_F(SmtpSenderTest, TemporaryRecipientRejectionIsRetryable) {
  ASSERT_EQ(
      sink_.Post(
          "/faults",
          {{"rcpt",
            {{"address", "compta@client.test"}, {"code", 450}, {"message", "4.2.1 Try later"}}}}),
      200);
  Result<std::string> r = Sender().Send(Reminder("act_450"), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
}

// R-SEND-5: no server listening is a transient failure.
TEST_F(SmtpSenderTest, ServerDownIsUnavailable) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int free_port = ntohs(addr.sin_port);
  ::close(fd);  // bound but never listening: the port refuses connections

  SmtpSettings s;
  s.url = "smtp://127.0.0.1:" + std::to_string(free_port);
  s.timeout_ms = 3000;
  Result<std::string> r = SmtpEmailSender(s).Send(Reminder("act_down"), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable) << r.error().ToString();
}

// R-DUN-4 through R-SEND-5: when the before-commit hook fails, the server
// never gets the final dot and keeps nothing; Send returns the hook's error.
TEST_F(SmtpSenderTest, FailingBeforeCommitHookStoresNothing) {
  Result<std::string> r = Sender().Send(Reminder("act_hook"), []() -> Result<void> {
    return Error(ErrorCode::kInternal, "outbox write failed");
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInternal);
  EXPECT_EQ(r.error().message(), "outbox write failed");
  EXPECT_EQ(StoredCount(), 0);
  json stats = sink_.Get("/stats");
  EXPECT_EQ(stats["accepted"], 0) << stats.dump();
}

// R-SEND-5: an unusable address is refused before connecting.
TEST_F(SmtpSenderTest, BadAddressIsPermanent) {
  EmailMessage m = Reminder("act_bad");
  m.to = {"compta@client.test\r\nRCPT TO:<x@evil.test>"};
  Result<std::string> r = Sender().Send(m, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(sink_.Get("/stats")["connections"], 0);
}

class SmtpAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sink_ = StartEmulator("smtp/smtp_sink.py", {"--smtp-port", "0", "--control-port", "0", "--user",
                                                "relance", "--password", "s3cret"});
    ASSERT_NE(sink_.port, 0);
  }
  Result<std::string> SendWith(const std::string& password) {
    SmtpSettings s;
    s.url = "smtp://127.0.0.1:" + std::to_string(sink_.port);
    s.user = "relance";
    s.password = password;
    s.timeout_ms = 10000;
    return SmtpEmailSender(s).Send(Reminder("act_auth"), nullptr);
  }
  Emulator sink_;
};

// R-SEND-5: SMTP AUTH with the configured credentials; wrong ones are a
// permanent failure that says so (and never shows the password).
TEST_F(SmtpAuthTest, AuthenticatesAndReportsWrongCredentials) {
  Result<std::string> ok = SendWith("s3cret");
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ(sink_.Get("/messages")["messages"][0]["auth_user"], "relance");

  Result<std::string> bad = SendWith("wrong");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kFailedPrecondition) << bad.error().ToString();
  EXPECT_NE(bad.error().message().find("credentials"), std::string::npos) << bad.error().message();
  EXPECT_EQ(bad.error().message().find("wrong"), std::string::npos);
}

}  // namespace
}  // namespace relance::delivery
