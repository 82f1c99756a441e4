// The fixture of the HTTP tests: a fresh database of the backend under test
// (test::TestDatabase), a FakeClock, an organization "Acme" with users of
// each role and their API tokens, and a Server on a free loopback port.
// Requests go through a real httplib client.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/clock.h"
#include "http/server.h"
#include "services/auth_service.h"
#include "store/test_databases.h"

namespace relance::http::test {

using nlohmann::json;

struct Caller {
  std::string org_id;
  std::string user_id;
  std::string email;
  std::string token;  // rlt_...
};

struct Response {
  int status = 0;
  std::string body;
  json json_body;  // null when the body is not JSON
  httplib::Headers headers;

  std::string Header(const std::string& name) const;
  // The error envelope's code, "" when there is none.
  std::string ErrorCode() const;
  // The message of the detail about `field`, "" when there is none.
  std::string DetailFor(const std::string& field) const;
};

// What authenticates a request: nothing, a token, or a session cookie.
struct Auth {
  std::optional<std::string> token;
  std::optional<std::string> cookie;  // "relance_session=rls_..."
};

inline constexpr char kPassword[] = "correct horse battery";

class HttpTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A new organization with one ADMIN.
  Caller NewOrg(const std::string& name);
  // A new user of `org_id` with `role`, and an API token.
  Caller NewUser(const std::string& org_id, const std::string& role);

  Response Call(const std::string& method, const std::string& path,
                const std::optional<std::string>& body, const Auth& auth,
                httplib::Headers headers = {});
  Response Get(const std::string& path, const Caller& who) {
    return Call("GET", path, std::nullopt, Auth{who.token, {}});
  }
  Response Post(const std::string& path, const json& body, const Caller& who,
                httplib::Headers headers = {}) {
    return Call("POST", path, body.dump(), Auth{who.token, {}}, std::move(headers));
  }
  Response Patch(const std::string& path, const json& body, const Caller& who,
                 httplib::Headers headers = {}) {
    return Call("PATCH", path, body.dump(), Auth{who.token, {}}, std::move(headers));
  }
  Response Delete(const std::string& path, const Caller& who) {
    return Call("DELETE", path, std::nullopt, Auth{who.token, {}});
  }

  // A multipart/form-data POST with `content` as the "file" part.
  Response Upload(const std::string& path, const std::string& file_name,
                  const std::string& content, const std::map<std::string, std::string>& fields,
                  const Caller& who);

  // Records of a list, all pages (limit 1000).
  size_t Count(const std::string& list_path, const Caller& who);

  // Shortcuts that must succeed.
  json MakeCustomer(const json& fields, const Caller& who);
  json MakeInvoice(const std::string& customer_id, const std::string& number, int64_t gross,
                   const std::string& issue_date, json more = json::object());

  ServerOptions Options();

  FakeClock clock_{*ParseTimestamp("2026-03-10T08:00:00Z")};
  std::unique_ptr<relance::test::TestDatabase> test_db_;
  std::unique_ptr<services::Context> ctx_;
  std::unique_ptr<services::AuthService> auth_;
  std::string docs_dir_;
  Caller admin_;                    // ADMIN of Acme
  std::unique_ptr<Server> server_;  // declared last: stops first
};

}  // namespace relance::http::test
