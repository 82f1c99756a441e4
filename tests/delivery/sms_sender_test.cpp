// TwilioSmsSender against the Twilio-style emulator (tests/emulators/sms):
// the SMS channel of R-SEND-5 and of dunning steps, and its error mapping.
#include "delivery/sms_sender.h"

#include <gtest/gtest.h>

#include "delivery/emulator.h"

namespace relance::delivery {
namespace {

using nlohmann::json;
using test::Emulator;
using test::StartEmulator;

constexpr char kSid[] = "AC00000000000000000000000000000001";
constexpr char kToken[] = "relance-test-auth-token";

class SmsSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator_ = StartEmulator("sms/sms_emulator.py", {"--port", "0", "--advance-ms", "0"});
    ASSERT_NE(emulator_.port, 0);
  }
  TwilioSettings Settings() const {
    TwilioSettings s;
    s.base_url = emulator_.BaseUrl();
    s.account_sid = kSid;
    s.auth_token = kToken;
    s.from = "+33700000001";
    s.timeout_ms = 10000;
    return s;
  }
  json Messages() const { return emulator_.Get("/_control/messages"); }

  Emulator emulator_;
};

json AsList(const json& j) { return j.is_array() ? j : j.value("messages", json::array()); }

// R-SEND-5: the SMS reaches the provider with its number and text (accents
// and € included); the provider's message id comes back.
TEST_F(SmsSenderTest, SendsAndReturnsTheMessageSid) {
  SmsMessage m{"act_sms_1", "+33612345678", "ACME : 1 234,56 € restent impayés (facture F-42)."};
  Result<std::string> sid = TwilioSmsSender(Settings()).Send(m);
  ASSERT_TRUE(sid.ok()) << sid.error().ToString();
  EXPECT_EQ(sid->rfind("SM", 0), 0u) << *sid;
  json list = AsList(Messages());
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0]["sid"], *sid);
  EXPECT_EQ(list[0]["to"], "+33612345678");
  EXPECT_EQ(list[0]["from"], "+33700000001");
  EXPECT_EQ(list[0]["body"], m.body);
}

// R-SEND-5: a Messaging Service may choose the sender instead of a number.
TEST_F(SmsSenderTest, SendsThroughAMessagingService) {
  TwilioSettings s = Settings();
  s.from.clear();
  s.messaging_service_sid = "MG00000000000000000000000000000001";
  Result<std::string> sid = TwilioSmsSender(s).Send({"act_sms_2", "+33612345678", "Rappel"});
  ASSERT_TRUE(sid.ok()) << sid.error().ToString();
  json list = AsList(Messages());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["messaging_service_sid"], s.messaging_service_sid);
}

// R-SEND-5: an invalid number is permanent, with Twilio's code and message.
TEST_F(SmsSenderTest, InvalidNumberIsPermanent) {
  Result<std::string> r = TwilioSmsSender(Settings()).Send({"k", "06 12 34 56 78", "Rappel"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message().find("21211"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("06 12 34 56 78"), std::string::npos) << r.error().message();
  EXPECT_EQ(AsList(Messages()).size(), 0u);
}

// R-SEND-5: wrong credentials are permanent and say so.
TEST_F(SmsSenderTest, WrongTokenIsPermanent) {
  TwilioSettings s = Settings();
  s.auth_token = "not-the-token";
  Result<std::string> r = TwilioSmsSender(s).Send({"k", "+33612345678", "Rappel"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message().find("credentials"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("20003"), std::string::npos) << r.error().message();
}

// R-SEND-5: rate limiting and provider outages are retryable.
TEST_F(SmsSenderTest, RateLimitAndOutageAreRetryable) {
  ASSERT_EQ(
      emulator_.Post("/_control/faults", json::array({{{"mode", "rate_limit"}, {"count", 1}},
                                                      {{"mode", "unavailable"}, {"count", 1}}})),
      201);
  TwilioSmsSender sender(Settings());
  for (int i = 0; i < 2; ++i) {
    Result<std::string> r = sender.Send({"k", "+33612345678", "Rappel"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable) << r.error().ToString();
  }
  EXPECT_TRUE(sender.Send({"k", "+33612345678", "Rappel"}).ok());
}

// R-SEND-5: a provider that drops the connection is a transient failure.
TEST_F(SmsSenderTest, DroppedConnectionIsRetryable) {
  ASSERT_EQ(emulator_.Post("/_control/faults", {{"mode", "disconnect"}, {"count", 1}}), 201);
  Result<std::string> r = TwilioSmsSender(Settings()).Send({"k", "+33612345678", "Rappel"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable) << r.error().ToString();
}

}  // namespace
}  // namespace relance::delivery
