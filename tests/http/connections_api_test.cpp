// Connections over HTTP (SPEC §5, R-OPS-3): the connector types, a
// connection's life (create, read, change, delete) with secrets that never
// come back, webhook deliveries (unknown address, malformed, good), and the
// runs and change log after a sync. The server gets the test's registry
// (Sellsy's type and the in-memory fake of tests/sync/fake_source.h) and
// key through ServerOptions.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "http/http_test_support.h"
#include "sync/connectors/sellsy/sellsy_connector.h"
#include "sync/fake_source.h"
#include "sync/secret_box.h"
#include "sync/sync_runner.h"

namespace relance::http::test {
namespace {

class ConnectionsApiTest : public HttpTest {
 protected:
  void SetUp() override {
    HttpTest::SetUp();
    if (!test_db_ || HasFatalFailure()) return;
    type_ = relance::test::FakeConnectorType(source_);
    registry_.Add(type_);
    registry_.Add(sync::sellsy::SellsyConnectorType());
    box_.emplace(*sync::SecretBox::FromHex(std::string(64, 'c')));
    server_.reset();
    ServerOptions o = Options();
    o.connectors = &registry_;
    o.secret_box = &*box_;
    o.public_url = "https://relance.example.com/";
    server_ = std::make_unique<Server>(*ctx_, *auth_, o);
    auto started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.error().ToString();

    source_.Put("customers", relance::test::FakeCustomer("C1", "Alpha"));
    source_.Put("invoices", relance::test::FakeInvoice("I1", "C1", "F-1", 10000));
  }

  json MakeFake(const Caller& who) {
    Response r = Post("/api/v1/connections",
                      {{"connector", "fake"},
                       {"name", "Fake ERP"},
                       {"settings", {{"region", "eu"}}},
                       {"secrets", {{"api_key", kSecret}}}},
                      who);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json_body;
  }

  // A POST of `body` as `content_type` to a public path.
  Response PostRaw(const std::string& path, const std::string& body,
                   const std::string& content_type) {
    httplib::Client client("127.0.0.1", server_->port());
    auto r = client.Post(path, body, content_type);
    Response out;
    if (!r) {
      ADD_FAILURE() << "POST " << path << ": " << httplib::to_string(r.error());
      return out;
    }
    out.status = r->status;
    out.body = r->body;
    out.json_body = json::parse(r->body, nullptr, false);
    if (out.json_body.is_discarded()) out.json_body = nullptr;
    return out;
  }

  static std::string PathOf(const std::string& url) { return url.substr(url.find("/webhooks/")); }

  static constexpr char kSecret[] = "sk-very-secret-value-123";

  relance::test::FakeSource source_;
  sync::ConnectorType type_;
  sync::ConnectorRegistry registry_;
  std::optional<sync::SecretBox> box_;
};

TEST_P(ConnectionsApiTest, ConnectorTypes) {
  Response r = Get("/api/v1/connectors", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json_body["data"].size(), 2u);
  json sellsy = r.json_body["data"][1];
  EXPECT_EQ(sellsy["name"], "sellsy");
  EXPECT_EQ(sellsy["display_name"], "Sellsy");
  EXPECT_EQ(sellsy["required_settings"], json({"api_url", "token_url"}));
  EXPECT_EQ(sellsy["required_secrets"], json({"client_id", "client_secret"}));
}

TEST_P(ConnectionsApiTest, CreateChecksSettingsAndSecrets) {
  Response r = Post("/api/v1/connections",
                    {{"connector", "sellsy"},
                     {"name", "Sellsy"},
                     {"settings", {{"api_url", "http://x/v2"}, {"token_url", "http://x/t"}}},
                     {"secrets", {{"client_id", "id"}}}},
                    admin_);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.DetailFor("secrets.client_secret"), "") << r.body;

  r = Post("/api/v1/connections",
           {{"connector", "nope"}, {"name", "X"}, {"secrets", {{"k", 1}}}, {"extra", true}},
           admin_);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.DetailFor("extra"), "") << r.body;

  r = Post("/api/v1/connections",
           {{"connector", "fake"}, {"name", "X"}, {"secrets", {{"api_key", 1}}}}, admin_);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.DetailFor("secrets.api_key"), "") << r.body;

  Caller member = NewUser(admin_.org_id, "MEMBER");
  r = Post("/api/v1/connections",
           {{"connector", "fake"}, {"name", "X"}, {"secrets", {{"api_key", "k"}}}}, member);
  EXPECT_EQ(r.status, 403) << r.body;
}

TEST_P(ConnectionsApiTest, SecretsNeverComeBack) {
  json c = MakeFake(admin_);
  const std::string id = c["id"];
  EXPECT_EQ(c["connector"], "fake");
  EXPECT_EQ(c["settings"], json({{"region", "eu"}}));
  EXPECT_EQ(c["backlog"], 0);
  std::string url = c["webhook_url"];
  EXPECT_EQ(url.rfind("https://relance.example.com/webhooks/fake/", 0), 0u) << url;
  EXPECT_FALSE(c.contains("sealed_secrets"));
  EXPECT_FALSE(c.contains("webhook_token_hash"));
  EXPECT_FALSE(c.contains("secrets"));

  Response got = Get("/api/v1/connections/" + id, admin_);
  ASSERT_EQ(got.status, 200) << got.body;
  Response list = Get("/api/v1/connections", admin_);
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.json_body["data"].size(), 1u);
  EXPECT_EQ(list.json_body["data"][0]["webhook_url"], url);
  for (const Response* r : {&got, &list}) {
    EXPECT_EQ(r->body.find(kSecret), std::string::npos) << r->body;
    EXPECT_EQ(r->body.find("sealed"), std::string::npos) << r->body;
    EXPECT_EQ(r->body.find("token_hash"), std::string::npos) << r->body;
    EXPECT_EQ(r->body.find("lease_owner"), std::string::npos) << r->body;
  }

  Response second =
      Post("/api/v1/connections",
           {{"connector", "fake"}, {"name", "Again"}, {"secrets", {{"api_key", "k"}}}}, admin_);
  EXPECT_EQ(second.status, 409) << second.body;

  // Another organization sees nothing.
  Caller other = NewOrg("Other");
  EXPECT_EQ(Get("/api/v1/connections/" + id, other).status, 404);
  EXPECT_EQ(Get("/api/v1/connections", other).json_body["data"].size(), 0u);
}

TEST_P(ConnectionsApiTest, PatchTestBackfillDelete) {
  json c = MakeFake(admin_);
  const std::string id = c["id"];
  Response r = Patch(
      "/api/v1/connections/" + id,
      {{"name", "Renamed"}, {"enabled", false}, {"secrets", {{"api_key", "bad-key"}}}}, admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json_body["name"], "Renamed");
  EXPECT_EQ(r.json_body["enabled"], false);
  EXPECT_EQ(r.json_body["status"], "DISABLED");
  EXPECT_EQ(r.body.find("bad-key"), std::string::npos);
  r = Patch("/api/v1/connections/" + id, {{"enabled", "yes"}, {"oops", 1}}, admin_);
  EXPECT_EQ(r.status, 422) << r.body;

  // The fake refuses any key but "good-key".
  r = Post("/api/v1/connections/" + id + "/test", json::object(), admin_);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_NE(r.json_body["error"]["message"].get<std::string>(), "") << r.body;
  r = Patch("/api/v1/connections/" + id,
            {{"enabled", true}, {"secrets", {{"api_key", "good-key"}}}}, admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  r = Post("/api/v1/connections/" + id + "/test", json::object(), admin_);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json_body, json({{"ok", true}}));

  r = Post("/api/v1/connections/" + id + "/backfill", json::object(), admin_);
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.json_body["backfill_requested"], true);

  r = Post("/api/v1/connections/" + id + "/webhook", json::object(), admin_);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json_body["webhook_id"].is_string()) << r.body;
  r = Post("/api/v1/connections/" + id + "/webhook", {{"public_url", "ftp://x"}}, admin_);
  EXPECT_EQ(r.status, 422) << r.body;

  Caller reader = NewUser(admin_.org_id, "READ_ONLY");
  auto seen = Get("/api/v1/connections/" + id, reader);
  EXPECT_EQ(seen.status, 200);
  EXPECT_TRUE(seen.json_body["webhook_url"].is_null()) << "the token is for administrators";
  EXPECT_EQ(Delete("/api/v1/connections/" + id, reader).status, 403);
  EXPECT_EQ(Delete("/api/v1/connections/" + id, admin_).status, 204);
  EXPECT_EQ(Get("/api/v1/connections/" + id, admin_).status, 404);
}

TEST_P(ConnectionsApiTest, WebhookDeliveries) {
  json c = MakeFake(admin_);
  const std::string path = PathOf(c["webhook_url"]);

  Response r = PostRaw("/webhooks/fake/not-a-token", "invoice:I1", "text/plain");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(r.ErrorCode(), "not_found");
  r = PostRaw("/webhooks/sellsy/" + path.substr(path.rfind('/') + 1), "invoice:I1", "text/plain");
  EXPECT_EQ(r.status, 404) << r.body;  // another connector's address
  r = PostRaw(path, "garbage", "text/plain");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.ErrorCode(), "malformed_request");
  EXPECT_NE(r.json_body["error"]["message"].get<std::string>(), "");
  r = PostRaw(path, std::string(70 * 1024, 'x'), "text/plain");
  EXPECT_EQ(r.status, 413) << r.body;

  r = PostRaw(path, "invoice:I1", "text/plain");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"success":true})");
  EXPECT_EQ(Call("GET", path, std::nullopt, Auth{}).status, 200);

  Response got = Get("/api/v1/connections/" + c["id"].get<std::string>(), admin_);
  EXPECT_EQ(got.json_body["backlog"], 1) << got.body;
}

TEST_P(ConnectionsApiTest, RunsAndChangeLog) {
  json c = MakeFake(admin_);
  const std::string id = c["id"];
  EXPECT_EQ(Get("/api/v1/connections/" + id + "/runs", admin_).json_body["data"].size(), 0u);
  ASSERT_EQ(
      Patch("/api/v1/connections/" + id, {{"secrets", {{"api_key", "good-key"}}}}, admin_).status,
      200);

  sync::ConnectionService service(*ctx_, registry_, *box_);
  sync::SyncRunner runner(*ctx_, service, {});
  auto ran = runner.RunOne(admin_.org_id, id, true);
  ASSERT_TRUE(ran.ok()) << ran.error().ToString();
  source_.Put("customers", relance::test::FakeCustomer("C1", "Alpha Renamed", 2));
  ran = runner.RunOne(admin_.org_id, id, true);
  ASSERT_TRUE(ran.ok()) << ran.error().ToString();

  Response runs = Get("/api/v1/connections/" + id + "/runs", admin_);
  ASSERT_EQ(runs.status, 200) << runs.body;
  ASSERT_EQ(runs.json_body["data"].size(), 2u) << runs.body;
  EXPECT_EQ(runs.json_body["data"][0]["id"], ran->run_id);  // newest first
  EXPECT_EQ(runs.json_body["data"][1]["kind"], "BACKFILL");
  EXPECT_EQ(runs.json_body["data"][1]["status"], "SUCCEEDED");
  Response page = Get("/api/v1/connections/" + id + "/runs?limit=1", admin_);
  ASSERT_TRUE(page.json_body["next_cursor"].is_string()) << page.body;
  Response next = Get("/api/v1/connections/" + id + "/runs?limit=1&cursor=" +
                          page.json_body["next_cursor"].get<std::string>(),
                      admin_);
  ASSERT_EQ(next.status, 200) << next.body;
  EXPECT_EQ(next.json_body["data"][0]["id"], runs.json_body["data"][1]["id"]);
  EXPECT_EQ(Get("/api/v1/connections/con_nope/runs", admin_).status, 404);

  Response all = Get("/api/v1/sync-changes?connection_id=" + id, admin_);
  ASSERT_EQ(all.status, 200) << all.body;
  ASSERT_GE(all.json_body["data"].size(), 3u) << all.body;
  Response customer = Get("/api/v1/sync-changes?entity=customer&external_id=C1", admin_);
  ASSERT_EQ(customer.status, 200) << customer.body;
  ASSERT_EQ(customer.json_body["data"].size(), 2u) << customer.body;
  json updated = customer.json_body["data"][0];
  EXPECT_EQ(updated["operation"], "UPDATED");
  EXPECT_EQ(updated["run_id"], ran->run_id);
  EXPECT_NE(updated["changes"].get<std::string>().find("Alpha Renamed"), std::string::npos);
  const std::string record_id = updated["record_id"];
  Response by_record =
      Get("/api/v1/sync-changes?record_id=" + record_id + "&operation=CREATED", admin_);
  ASSERT_EQ(by_record.json_body["data"].size(), 1u) << by_record.body;
  EXPECT_EQ(Get("/api/v1/sync-changes?operation=EXPLODED", admin_).status, 422);
  Response of_run = Get("/api/v1/sync-changes?run_id=" + ran->run_id, admin_);
  ASSERT_GE(of_run.json_body["data"].size(), 1u) << of_run.body;
  for (const auto& ch : of_run.json_body["data"]) EXPECT_EQ(ch["run_id"], ran->run_id);

  Caller other = NewOrg("Other");
  EXPECT_EQ(Get("/api/v1/sync-changes", other).json_body["data"].size(), 0u);
}

TEST_P(ConnectionsApiTest, TheAccessLogNeverShowsTheWebhookToken) {
  json c = MakeFake(admin_);
  const std::string path = PathOf(c["webhook_url"]);
  const std::string token = path.substr(path.rfind('/') + 1);
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  logger->set_level(spdlog::level::info);
  spdlog::set_default_logger(logger);
  EXPECT_EQ(PostRaw(path, "invoice:I1", "text/plain").status, 200);
  EXPECT_EQ(Call("GET", path, std::nullopt, Auth{}).status, 200);
  // The access log line is written after the response is sent.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  spdlog::set_default_logger(previous);
  EXPECT_NE(log.str().find("/webhooks/fake/***"), std::string::npos) << log.str();
  EXPECT_EQ(log.str().find(token), std::string::npos) << log.str();
}

INSTANTIATE_TEST_SUITE_P(Backends, ConnectionsApiTest, ::testing::Values("sqlite", "postgres"),
                         relance::test::BackendName());

}  // namespace
}  // namespace relance::http::test
