// R-DUN-4, R-DUN-6 over HTTP: POST /api/v1/bounces with a raw bounce marks
// the e-mail it quotes as a permanent failure, shown on the action and in
// the to-do list; what is not a bounce, or not ours, is refused clearly.
#include <gmock/gmock.h>

#include "delivery/bounce_samples.h"
#include "http/http_test_support.h"
#include "store/record_repository.h"

namespace relance::http::test {
namespace {

class BouncesApiTest : public HttpTest {
 protected:
  // An e-mail reminder the SMTP server accepted, as the executor leaves it.
  std::string SentEmail(const Caller& who) {
    domain::Action a = relance::test::SentEmailAction(who.org_id, clock_.Now());
    auto conn = ctx_->db.Acquire();
    EXPECT_TRUE(conn.ok());
    if (conn.ok()) {
      auto r = store::RecordRepository<domain::Action>(domain::ActionSpec()).Insert(**conn, a);
      EXPECT_TRUE(r.ok()) << r.error().ToString();
    }
    return a.meta.id;
  }

  static std::string Bounce(const std::string& sample, const std::string& message_id) {
    return relance::test::BounceSample(sample, message_id);
  }

  Response PostBounce(const std::string& text, const Caller& who,
                      const std::string& type = "message/rfc822") {
    return Call("POST", "/api/v1/bounces", text, Auth{who.token, {}}, {{"Content-Type", type}});
  }
};

TEST_P(BouncesApiTest, PermanentBounceFailsTheActionAndShowsInTheTodoList) {
  const std::string id = SentEmail(admin_);
  const std::string bounce = Bounce("postfix_user_unknown.eml", id + "@acme.test");
  Caller member = NewUser(admin_.org_id, "MEMBER");
  Response r = PostBounce(bounce, member);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json_body["action_id"], id);
  EXPECT_EQ(r.json_body["status"], "FAILED");
  EXPECT_EQ(r.json_body["changed"], true);
  ASSERT_EQ(r.json_body["recipients"].size(), 1u);
  EXPECT_EQ(r.json_body["recipients"][0]["address"], "gone@durand.test");
  EXPECT_EQ(r.json_body["recipients"][0]["status"], "5.1.1");
  EXPECT_THAT(r.json_body["recipients"][0]["diagnostic"].get<std::string>(),
              ::testing::HasSubstr("User unknown"));

  Response action = Get("/api/v1/actions/" + id, admin_);
  EXPECT_EQ(action.json_body["status"], "FAILED");
  EXPECT_THAT(action.json_body["last_error"].get<std::string>(),
              ::testing::HasSubstr("refused gone@durand.test after accepting the message"));
  Response todo = Get("/api/v1/todo", admin_);
  ASSERT_EQ(todo.json_body["data"].size(), 1u) << todo.body;
  EXPECT_EQ(todo.json_body["data"][0]["id"], id);

  // Idempotent: the same bounce again answers what is there and changes nothing.
  Response again = PostBounce(bounce, admin_, "text/plain; charset=utf-8");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json_body["changed"], false);
  EXPECT_EQ(Get("/api/v1/actions/" + id, admin_).json_body["version"], action.json_body["version"]);
}

TEST_P(BouncesApiTest, DelayedReportRecordsNothing) {
  const std::string id = SentEmail(admin_);
  Response r = PostBounce(Bounce("postfix_delayed.eml", id + "@acme.test"), admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json_body["changed"], false);
  EXPECT_EQ(r.json_body["permanent"], false);
  EXPECT_EQ(r.json_body["status"], "SENT");
  EXPECT_EQ(Count("/api/v1/todo", admin_), 0u);
}

TEST_P(BouncesApiTest, RefusalsAreClearErrors) {
  const std::string id = SentEmail(admin_);
  // Not a bounce: 422 saying why.
  Response reply = PostBounce(Bounce("not_dsn_reply.eml", id + "@acme.test"), admin_);
  EXPECT_EQ(reply.status, 422) << reply.body;
  EXPECT_THAT(reply.body, ::testing::HasSubstr("not multipart/report"));
  // A Message-ID no action of this organization sent: 404, for another
  // organization's action too.
  Response unknown = PostBounce(Bounce("exim_mailbox_full.eml", "nope@acme.test"), admin_);
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(unknown.ErrorCode(), "not_found");
  Caller other = NewOrg("Other");
  EXPECT_EQ(PostBounce(Bounce("exim_mailbox_full.eml", id + "@acme.test"), other).status, 404);
  // Read-only users may not; a JSON body is not a message; no token, 401.
  Caller reader = NewUser(admin_.org_id, "READ_ONLY");
  EXPECT_EQ(PostBounce(Bounce("exim_mailbox_full.eml", id + "@acme.test"), reader).status, 403);
  Response json_body = PostBounce("{}", admin_, "application/json");
  EXPECT_EQ(json_body.status, 415) << json_body.body;
  EXPECT_THAT(json_body.body, ::testing::HasSubstr("message/rfc822"));
  EXPECT_EQ(Call("POST", "/api/v1/bounces", "x", Auth{}, {{"Content-Type", "text/plain"}}).status,
            401);
  EXPECT_EQ(Get("/api/v1/actions/" + id, admin_).json_body["status"], "SENT");
}

INSTANTIATE_TEST_SUITE_P(Backends, BouncesApiTest, ::testing::Values("sqlite", "postgres"),
                         relance::test::BackendName());

}  // namespace
}  // namespace relance::http::test
