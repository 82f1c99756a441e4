// Around the API: the OpenAPI document against the real route table,
// /docs, /metrics, /healthz, /, unknown routes and methods.
#include <regex>

#include "http/openapi.h"
#include "http_test_support.h"

namespace relance::http::test {
namespace {

class SystemTest : public HttpTest {};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

TEST_P(SystemTest, OpenApiDocumentsEveryRouteAndEveryDocumentedRouteExists) {
  Response r = Call("GET", "/api/v1/openapi.json", std::nullopt, Auth{});
  ASSERT_EQ(r.status, 200);
  const json& doc = r.json_body;
  EXPECT_EQ(doc["openapi"], "3.0.3");
  ASSERT_TRUE(doc["paths"].is_object());

  // Every route the server registers is documented.
  auto routes = server_->Routes();
  ASSERT_GT(routes.size(), 40u);
  for (const auto& [method, path] : routes) {
    EXPECT_TRUE(doc["paths"].contains(path) && doc["paths"][path].contains(Lower(method)))
        << method << " " << path << " is served but not documented";
  }
  // Every documented path and method reaches a handler: never 404
  // route_not_found nor 405, whatever else it answers.
  size_t operations = 0;
  for (auto& [path, item] : doc["paths"].items()) {
    std::string concrete = std::regex_replace(path, std::regex("\\{[a-z_]+\\}"), "x");
    for (auto& [method, op] : item.items()) {
      ++operations;
      std::optional<std::string> body;
      if (method == "post" || method == "patch") body = "{}";
      Response called = Call(Upper(method), concrete, body, Auth{admin_.token, {}});
      EXPECT_NE(called.ErrorCode(), "route_not_found") << method << " " << path;
      EXPECT_NE(called.status, 405) << method << " " << path;
      EXPECT_NE(called.status, 500) << method << " " << path << ": " << called.body;
      EXPECT_TRUE(op.contains("responses")) << method << " " << path;
      EXPECT_TRUE(op.contains("operationId")) << method << " " << path;
    }
  }
  EXPECT_EQ(operations, routes.size());

  // Schemas come from the entity specs.
  const json& customer = doc["components"]["schemas"]["Customer"];
  EXPECT_EQ(customer["properties"]["status"]["enum"], json({"PROSPECT", "CLIENT"}));
  EXPECT_EQ(customer["properties"]["id"]["readOnly"], true);
  EXPECT_EQ(customer["properties"]["payment_delay_days"]["nullable"], true);
  const json& invoice_create = doc["components"]["schemas"]["InvoiceCreate"];
  EXPECT_FALSE(invoice_create["properties"].contains("outstanding_amount"));
  EXPECT_EQ(invoice_create["additionalProperties"], false);
  EXPECT_NE(
      std::find(invoice_create["required"].begin(), invoice_create["required"].end(), "issue_date"),
      invoice_create["required"].end());
  EXPECT_EQ(doc["components"]["schemas"]["Invoice"]["properties"]["due_date"]["format"], "date");
  EXPECT_FALSE(doc["components"]["schemas"]["User"]["properties"].contains("password_hash"));
  EXPECT_TRUE(doc["components"]["schemas"].contains("Error"));
  EXPECT_TRUE(doc["components"]["securitySchemes"].contains("bearerAuth"));
  EXPECT_TRUE(doc["components"]["securitySchemes"].contains("cookieAuth"));
  // Every $ref resolves.
  std::function<void(const json&)> check_refs = [&](const json& j) {
    if (j.is_object()) {
      if (j.contains("$ref")) {
        std::string ref = j["$ref"];
        ASSERT_EQ(ref.rfind("#/components/schemas/", 0), 0u) << ref;
        EXPECT_TRUE(doc["components"]["schemas"].contains(ref.substr(21))) << ref;
      }
      for (const auto& [k, v] : j.items()) check_refs(v);
    } else if (j.is_array()) {
      for (const auto& v : j) check_refs(v);
    }
  };
  check_refs(doc);
  EXPECT_EQ(server_->OpenApiJson(), r.body);
}

TEST_P(SystemTest, MetricsCountRequestsByRouteTemplate) {
  json c = MakeCustomer({{"name", "Metered"}}, admin_);
  Get("/api/v1/customers/" + c["id"].get<std::string>(), admin_);
  Get("/api/v1/customers/cus_01ABCDEFGHJKMNPQRSTVWXYZ01", admin_);
  Call("GET", "/no/such/thing", std::nullopt, Auth{});
  Response m = Call("GET", "/metrics", std::nullopt, Auth{});
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.Header("Content-Type").find("text/plain"), std::string::npos);
  const std::string& t = m.body;
  EXPECT_NE(t.find("relance_http_requests_total{method=\"GET\",route=\"/api/v1/customers/{id}\","
                   "status=\"200\"} 1"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("relance_http_requests_total{method=\"GET\",route=\"/api/v1/customers/{id}\","
                   "status=\"404\"} 1"),
            std::string::npos);
  EXPECT_NE(t.find("relance_http_requests_total{method=\"POST\",route=\"/api/v1/customers\","
                   "status=\"201\"} 1"),
            std::string::npos);
  EXPECT_NE(t.find("route=\"unmatched\",status=\"404\"} 1"), std::string::npos);
  EXPECT_NE(t.find("relance_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/"
                   "customers/{id}\",le=\"+Inf\"} 2"),
            std::string::npos);
  EXPECT_NE(t.find("relance_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/"
                   "customers/{id}\"} 2"),
            std::string::npos);
  EXPECT_NE(t.find("# TYPE relance_http_request_duration_seconds histogram"), std::string::npos);
  std::smatch rss;
  ASSERT_TRUE(std::regex_search(t, rss, std::regex("process_resident_memory_bytes (\\d+)")));
  EXPECT_GT(std::stoull(rss[1]), 1'000'000u);
  // Raw ids never become labels.
  EXPECT_EQ(t.find(c["id"].get<std::string>()), std::string::npos);

  // A 413 answered before any handler is counted too.
  Call("POST", "/api/v1/customers", std::string(3 << 20, ' '), Auth{admin_.token, {}});
  Response m2 = Call("GET", "/metrics", std::nullopt, Auth{});
  EXPECT_NE(m2.body.find("status=\"413\"} 1"), std::string::npos) << m2.body;
}

TEST_P(SystemTest, DocsPageAndAssets) {
  Response page = Call("GET", "/docs", std::nullopt, Auth{});
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.Header("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(page.body.find("/docs/assets/swagger-ui-bundle.js"), std::string::npos);
  EXPECT_NE(page.body.find("/docs/assets/swagger-ui-standalone-preset.js"), std::string::npos);
  EXPECT_NE(page.body.find("/docs/assets/swagger-ui.css"), std::string::npos);
  EXPECT_NE(page.body.find("/api/v1/openapi.json"), std::string::npos);
  for (const char* asset :
       {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"}) {
    Response a = Call("GET", std::string("/docs/assets/") + asset, std::nullopt, Auth{});
    EXPECT_EQ(a.status, 200) << asset;
    EXPECT_NE(a.body.find(asset), std::string::npos);
  }
  EXPECT_EQ(Call("GET", "/docs/assets/..%2F..%2Fetc%2Fpasswd", std::nullopt, Auth{}).status, 404);
  EXPECT_EQ(Call("GET", "/docs/assets/index.html", std::nullopt, Auth{}).status, 404);
}

TEST_P(SystemTest, DocsWithoutSwaggerUiSaysHowToInstallIt) {
  ServerOptions o = Options();
  o.docs_dir = docs_dir_ + "/missing";
  Server bare(*ctx_, *auth_, o);
  ASSERT_TRUE(bare.Start().ok());
  httplib::Client client("127.0.0.1", bare.port());
  auto r = client.Get("/docs");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  json e = json::parse(r->body);
  EXPECT_EQ(e["error"]["code"], "docs_unavailable");
  EXPECT_NE(e["error"]["message"].get<std::string>().find("make"), std::string::npos);
  bare.Stop();
}

TEST_P(SystemTest, HealthIndexAndUnknownRoutes) {
  Response health = Call("GET", "/healthz", std::nullopt, Auth{});
  ASSERT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(health.json_body["status"], "ok");

  Response index = Call("GET", "/", std::nullopt, Auth{});
  EXPECT_EQ(index.status, 200);
  for (const char* link : {"/docs", "/api/v1/openapi.json", "/healthz", "/metrics", "login"}) {
    EXPECT_NE(index.body.find(link), std::string::npos) << link;
  }

  Response none = Call("GET", "/api/v1/nothing", std::nullopt, Auth{admin_.token, {}});
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(none.ErrorCode(), "route_not_found");
  Response wrong = Call("PUT", "/api/v1/customers", "{}", Auth{admin_.token, {}});
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.ErrorCode(), "method_not_allowed");
  EXPECT_NE(wrong.Header("Allow").find("POST"), std::string::npos);
  Response options = Call("OPTIONS", "/api/v1/customers", std::nullopt, Auth{});
  EXPECT_EQ(options.status, 204);
  EXPECT_NE(options.Header("Allow").find("GET"), std::string::npos);
  EXPECT_NE(Call("GET", "/healthz", std::nullopt, Auth{}).Header("X-Request-Id"), "");
}

TEST_P(SystemTest, StopIsIdempotentAndAServerCanRunAgain) {
  Server s(*ctx_, *auth_, Options());
  s.Stop();  // before Start: nothing to stop
  ASSERT_TRUE(s.Start().ok());
  EXPECT_FALSE(s.Start().ok());
  std::thread waiter([&] { s.Wait(); });
  s.Stop();
  waiter.join();
  s.Stop();
}

INSTANTIATE_TEST_SUITE_P(Backends, SystemTest, ::testing::Values("sqlite", "postgres"),
                         relance::test::BackendName());

}  // namespace
}  // namespace relance::http::test
