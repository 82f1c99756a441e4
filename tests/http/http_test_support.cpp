#include "http_test_support.h"

#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "store/migrations/migrations.h"

namespace relance::http::test {

std::string Response::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

std::string Response::ErrorCode() const {
  if (!json_body.is_object() || !json_body.contains("error")) return "";
  return json_body["error"].value("code", "");
}

std::string Response::DetailFor(const std::string& field) const {
  if (!json_body.is_object() || !json_body.contains("error")) return "";
  for (const auto& d : json_body["error"]["details"]) {
    if (d.value("field", "") == field) return d.value("message", "");
  }
  return "";
}

void HttpTest::SetUp() {
  spdlog::set_level(spdlog::level::warn);
  test_db_ = relance::test::TestDatabase::Open(GetParam());
  if (!test_db_) return;  // skipped (no PostgreSQL given) or failed
  auto migrated = store::ApplyMigrations(test_db_->db());
  ASSERT_TRUE(migrated.ok()) << migrated.error().ToString();
  ctx_ = std::make_unique<services::Context>(services::Context{test_db_->db(), clock_});
  auth_ = std::make_unique<services::AuthService>(*ctx_, services::PasswordCost::kMinimum);
  admin_ = NewOrg("Acme");

  // Stand-ins for swagger-ui-dist's files: the tests check that /docs
  // serves them, not what they contain.
  std::string pattern = (std::filesystem::temp_directory_path() / "relance-docs-XXXXXX").string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  ASSERT_NE(mkdtemp(buffer.data()), nullptr);
  docs_dir_ = buffer.data();
  for (const char* name :
       {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"}) {
    std::ofstream(docs_dir_ + "/" + name) << "/* " << name << " */\n";
  }

  server_ = std::make_unique<Server>(*ctx_, *auth_, Options());
  auto started = server_->Start();
  ASSERT_TRUE(started.ok()) << started.error().ToString();
  ASSERT_GT(server_->port(), 0);
}

ServerOptions HttpTest::Options() {
  ServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.docs_dir = docs_dir_;
  o.worker_threads = 4;
  o.uploads_dir = docs_dir_ + "/uploads";  // removed with the test's folder
  return o;
}

void HttpTest::TearDown() {
  server_.reset();
  if (!docs_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(docs_dir_, ignored);
  }
}

Caller HttpTest::NewOrg(const std::string& name) {
  auto org = auth_->CreateOrganization({name});
  EXPECT_TRUE(org.ok()) << org.error().ToString();
  if (!org.ok()) return {};
  return NewUser(org->meta.id, "ADMIN");
}

Caller HttpTest::NewUser(const std::string& org_id, const std::string& role) {
  static int n = 0;
  std::string email = "user" + std::to_string(++n) + "." + role + "@example.com";
  for (char& c : email) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto user = auth_->CreateUser(
      org_id, {email, "User " + std::to_string(n), role, kPassword, std::nullopt});
  EXPECT_TRUE(user.ok()) << user.error().ToString();
  if (!user.ok()) return {};
  auto token = auth_->CreateToken(org_id, user->meta.id, "tests");
  EXPECT_TRUE(token.ok()) << token.error().ToString();
  return Caller{org_id, user->meta.id, email, token.ok() ? token->token : ""};
}

// One result of httplib as the tests read it.
static Response FromResult(const httplib::Result& r, const std::string& what) {
  Response out;
  if (!r) {
    ADD_FAILURE() << what << ": " << httplib::to_string(r.error());
    return out;
  }
  out.status = r->status;
  out.body = r->body;
  out.headers = r->headers;
  out.json_body = json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (out.json_body.is_discarded()) out.json_body = nullptr;
  return out;
}

Response HttpTest::Call(const std::string& method, const std::string& path,
                        const std::optional<std::string>& body, const Auth& auth,
                        httplib::Headers headers) {
  httplib::Client client("127.0.0.1", server_->port());
  client.set_read_timeout(30, 0);
  if (auth.token) headers.emplace("Authorization", "Bearer " + *auth.token);
  if (auth.cookie) headers.emplace("Cookie", *auth.cookie);
  // JSON unless the caller gave another Content-Type (raw bodies).
  std::string content_type = "application/json";
  if (auto given = headers.find("Content-Type"); given != headers.end()) {
    content_type = given->second;
    headers.erase(given);
  }
  auto send = [&]() -> httplib::Result {
    if (method == "POST") return client.Post(path, headers, body.value_or(""), content_type);
    if (method == "PATCH") return client.Patch(path, headers, body.value_or(""), content_type);
    if (method == "PUT") return client.Put(path, headers, body.value_or(""), content_type);
    if (method == "DELETE") return client.Delete(path, headers);
    if (method == "OPTIONS") return client.Options(path, headers);
    return client.Get(path, headers);
  };
  return FromResult(send(), method + " " + path);
}

Response HttpTest::Upload(const std::string& path, const std::string& file_name,
                          const std::string& content,
                          const std::map<std::string, std::string>& fields, const Caller& who) {
  httplib::Client client("127.0.0.1", server_->port());
  client.set_read_timeout(30, 0);
  httplib::MultipartFormDataItems items;
  items.push_back({"file", content, file_name, "application/octet-stream"});
  for (const auto& [name, value] : fields) items.push_back({name, value, "", ""});
  httplib::Headers headers = {{"Authorization", "Bearer " + who.token}};
  return FromResult(client.Post(path, headers, items), "upload to " + path);
}

size_t HttpTest::Count(const std::string& list_path, const Caller& who) {
  size_t n = 0;
  std::string cursor;
  std::string sep = list_path.find('?') == std::string::npos ? "?" : "&";
  for (int pages = 0; pages < 100; ++pages) {
    std::string path = list_path + sep + "limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor);
    Response r = Get(path, who);
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return n;
    n += r.json_body["data"].size();
    if (r.json_body["next_cursor"].is_null()) return n;
    cursor = r.json_body["next_cursor"].get<std::string>();
  }
  ADD_FAILURE() << "too many pages";
  return n;
}

json HttpTest::MakeCustomer(const json& fields, const Caller& who) {
  Response r = Post("/api/v1/customers", fields, who);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.json_body;
}

json HttpTest::MakeInvoice(const std::string& customer_id, const std::string& number, int64_t gross,
                           const std::string& issue_date, json more) {
  more["customer_id"] = customer_id;
  more["number"] = number;
  more["gross_amount"] = gross;
  more["net_amount"] = gross;
  more["issue_date"] = issue_date;
  Response r = Post("/api/v1/invoices", more, admin_);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.json_body;
}

}  // namespace relance::http::test
