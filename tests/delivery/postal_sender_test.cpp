// PostalApiLetterSender against the postal emulator (tests/emulators/postal):
// the letter channel of R-SEND-5 and dunning, with the Idempotency-Key that
// makes a retried upload post one letter, not two.
#include "delivery/postal_sender.h"

#include <gtest/gtest.h>

#include "delivery/emulator.h"
#include "delivery/letter_renderer.h"

namespace relance::delivery {
namespace {

using nlohmann::json;
using test::Emulator;
using test::StartEmulator;

class PostalSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator_ = StartEmulator("postal/postal_emulator.py", {"--port", "0"});
    ASSERT_NE(emulator_.port, 0);
  }
  PostalApiSettings Settings() const {
    PostalApiSettings s;
    s.base_url = emulator_.BaseUrl();
    s.api_key = "test_postal_relance";
    s.timeout_ms = 20000;
    return s;
  }
  static Letter MakeLetter(const std::string& key) {
    Letter l;
    l.idempotency_key = key;
    l.sender = {"ACME SAS", "3 avenue des Lilas", "69003", "Lyon", "FR"};
    l.recipient = {"SARL Dupont Frères", "Service comptabilité\n12 rue de la Paix", "75002",
                   "Paris", "FR"};
    LetterContent content{l.sender,
                          l.recipient,
                          "Lyon",
                          "le 15/01/2026",
                          "Objet : facture F-42 impayée",
                          "Madame, Monsieur,\n\nRappel."};
    Result<std::string> pdf = RenderLetterPdf(content);
    EXPECT_TRUE(pdf.ok());
    if (pdf.ok()) l.pdf = *pdf;
    return l;
  }
  json Letters() const { return emulator_.Get("/_control/letters"); }

  Emulator emulator_;
};

json AsList(const json& j) { return j.is_array() ? j : j.value("letters", json::array()); }

// R-SEND-5: the PDF and both addresses reach the provider, street lines split.
TEST_F(PostalSenderTest, SendsTheLetter) {
  Letter letter = MakeLetter("act_ltr_1");
  Result<std::string> id = PostalApiLetterSender(Settings()).Send(letter);
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  EXPECT_EQ(id->rfind("ltr_", 0), 0u) << *id;
  json list = AsList(Letters());
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0]["idempotency_key"], "act_ltr_1");
  EXPECT_EQ(list[0]["recipient"]["name"], "SARL Dupont Frères");
  EXPECT_EQ(list[0]["recipient"]["address_lines"],
            json({"Service comptabilité", "12 rue de la Paix"}));
  EXPECT_EQ(list[0]["sender"]["city"], "Lyon");
  EXPECT_EQ(emulator_.GetRaw("/_control/letters/" + *id + "/document"), letter.pdf);
}

// R-SEND-5 (never sent twice): the same idempotency key sent again returns
// the first letter and creates nothing.
TEST_F(PostalSenderTest, RetryWithTheSameKeyPostsOneLetter) {
  PostalApiLetterSender sender(Settings());
  Letter letter = MakeLetter("act_ltr_retry");
  Result<std::string> first = sender.Send(letter);
  Result<std::string> again = sender.Send(letter);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(*first, *again);
  EXPECT_EQ(AsList(Letters()).size(), 1u);
}

// R-SEND-5: a wrong API key is permanent.
TEST_F(PostalSenderTest, WrongKeyIsPermanent) {
  PostalApiSettings s = Settings();
  s.api_key = "nope";
  Result<std::string> r = PostalApiLetterSender(s).Send(MakeLetter("act_ltr_401"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message().find("401"), std::string::npos) << r.error().message();
}

// R-SEND-5: an address the provider refuses names the field at fault.
TEST_F(PostalSenderTest, InvalidAddressIsPermanentAndNamed) {
  Letter letter = MakeLetter("act_ltr_addr");
  letter.recipient.postal_code = "7500";
  Result<std::string> r = PostalApiLetterSender(Settings()).Send(letter);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message().find("recipient.postal_code"), std::string::npos)
      << r.error().message();
}

// R-SEND-5: an outage is retryable, and the retry (same key) posts once.
TEST_F(PostalSenderTest, OutageIsRetryable) {
  ASSERT_EQ(emulator_.Post("/_control/faults", {{"mode", "unavailable"}, {"count", 1}}), 201);
  PostalApiLetterSender sender(Settings());
  Letter letter = MakeLetter("act_ltr_503");
  Result<std::string> r = sender.Send(letter);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable) << r.error().ToString();
  ASSERT_TRUE(sender.Send(letter).ok());
  EXPECT_EQ(AsList(Letters()).size(), 1u);
}

}  // namespace
}  // namespace relance::delivery
