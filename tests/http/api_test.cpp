// The REST API's resources end to end (SPEC §1 through /api/v1), against
// each backend.
#include <set>
#include <thread>

#include "core/ids.h"
#include "http_test_support.h"
#include "store/external_refs.h"

namespace relance::http::test {
namespace {

class ApiTest : public HttpTest {};

// R-CORE-2: create, read, update, delete a customer; ids are prefixed.
TEST_P(ApiTest, CustomerCrud) {
  Response created =
      Post("/api/v1/customers",
           {{"name", "Dupont SA"}, {"city", "Lyon"}, {"smart_tags", {{"tier", "gold"}}}}, admin_);
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = created.json_body["id"];
  EXPECT_TRUE(IsValidId(id, "cus")) << id;
  EXPECT_EQ(created.json_body["name"], "Dupont SA");
  EXPECT_EQ(created.json_body["status"], "CLIENT");
  EXPECT_EQ(created.json_body["smart_tags"]["tier"], "gold");
  EXPECT_EQ(created.json_body["version"], 1);
  EXPECT_EQ(created.Header("ETag"), "\"1\"");
  EXPECT_TRUE(created.json_body["external_refs"].is_array());

  Response got = Get("/api/v1/customers/" + id, admin_);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.json_body["city"], "Lyon");

  Response patched =
      Patch("/api/v1/customers/" + id, {{"city", "Paris"}, {"vat_number", nullptr}}, admin_);
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json_body["city"], "Paris");
  EXPECT_EQ(patched.json_body["name"], "Dupont SA");  // untouched
  EXPECT_EQ(patched.json_body["version"], 2);
  EXPECT_EQ(patched.Header("ETag"), "\"2\"");

  EXPECT_EQ(Delete("/api/v1/customers/" + id, admin_).status, 204);
  Response gone = Get("/api/v1/customers/" + id, admin_);
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.ErrorCode(), "not_found");
}

// Lists: cursor pagination with a sort returns every record exactly once.
TEST_P(ApiTest, PaginationHasNoDuplicatesAndNoGaps) {
  std::set<std::string> all;
  for (int i = 0; i < 23; ++i) {
    // Several customers share a city, so the sort has ties the cursor must break.
    json c = MakeCustomer({{"name", "Client " + std::to_string(i)},
                           {"external_id", "E" + std::to_string(i)},
                           {"city", "City " + std::to_string(i % 4)}},
                          admin_);
    all.insert(c["id"].get<std::string>());
  }
  for (std::string sort : {"city", "-city", "name", "-id"}) {
    std::vector<std::string> seen;
    std::vector<std::string> keys;
    std::string cursor;
    int pages = 0;
    do {
      Response r = Get(
          "/api/v1/customers?limit=5&sort=" + sort + (cursor.empty() ? "" : "&cursor=" + cursor),
          admin_);
      ASSERT_EQ(r.status, 200) << r.body;
      ASSERT_LE(r.json_body["data"].size(), 5u);
      for (const auto& c : r.json_body["data"]) {
        seen.push_back(c["id"]);
        std::string field = sort[0] == '-' ? sort.substr(1) : sort;
        keys.push_back(c[field].get<std::string>());
      }
      cursor =
          r.json_body["next_cursor"].is_null() ? "" : r.json_body["next_cursor"].get<std::string>();
      ++pages;
    } while (!cursor.empty() && pages < 20);
    EXPECT_EQ(pages, 5) << sort;
    std::set<std::string> unique(seen.begin(), seen.end());
    EXPECT_EQ(seen.size(), all.size()) << sort << ": duplicates or gaps";
    EXPECT_EQ(unique, all) << sort;
    std::vector<std::string> sorted = keys;
    if (sort[0] == '-') {
      std::sort(sorted.rbegin(), sorted.rend());
    } else {
      std::sort(sorted.begin(), sorted.end());
    }
    EXPECT_EQ(keys, sorted) << sort;
  }
}

TEST_P(ApiTest, ListFiltersAndQueryValidation) {
  MakeCustomer({{"name", "A"}, {"status", "PROSPECT"}, {"city", "Nice"}}, admin_);
  MakeCustomer({{"name", "B"}, {"status", "CLIENT"}, {"city", "Nice"}}, admin_);
  MakeCustomer({{"name", "C"}, {"status", "CLIENT"}, {"city", "Brest"}}, admin_);
  EXPECT_EQ(Count("/api/v1/customers?status=PROSPECT", admin_), 1u);  // R-CORE-11
  EXPECT_EQ(Count("/api/v1/customers?city=Nice", admin_), 2u);
  EXPECT_EQ(Count("/api/v1/customers?city=Nice&status=CLIENT", admin_), 1u);

  Response unknown = Get("/api/v1/customers?colour=blue&cty=Nice", admin_);
  EXPECT_EQ(unknown.status, 422);
  EXPECT_NE(unknown.DetailFor("colour"), "");
  EXPECT_NE(unknown.DetailFor("cty"), "");
  EXPECT_EQ(Get("/api/v1/customers?status=FRIEND", admin_).status, 422);
  EXPECT_EQ(Get("/api/v1/customers?limit=0", admin_).status, 422);
  EXPECT_EQ(Get("/api/v1/customers?limit=1001", admin_).status, 422);
  EXPECT_EQ(Get("/api/v1/customers?limit=ten", admin_).status, 422);
  EXPECT_EQ(Get("/api/v1/customers?sort=vat_number", admin_).status, 422);
  EXPECT_EQ(Get("/api/v1/customers?cursor=garbage", admin_).status, 422);
  EXPECT_EQ(Get("/api/v1/contacts?is_main=yes", admin_).status, 422);
  EXPECT_EQ(Get("/api/v1/products?active=true", admin_).status, 200);
}

// R-CORE-2: customers and invoices are addressable by external id, even one
// with a slash.
TEST_P(ApiTest, ExternalIdAddressing) {
  json c = MakeCustomer({{"name", "Ext"}, {"external_id", "CLI/0042"}}, admin_);
  Response got = Get("/api/v1/customers/external/CLI%2F0042", admin_);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.json_body["id"], c["id"]);
  Response patched = Patch("/api/v1/customers/external/CLI%2F0042", {{"city", "Metz"}}, admin_);
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json_body["city"], "Metz");
  EXPECT_EQ(Get("/api/v1/customers/external/NOPE", admin_).status, 404);

  json inv = MakeInvoice(c["id"], "F-1", 1000, "2026-03-01", {{"external_id", "sellsy-77"}});
  Response got_inv = Get("/api/v1/invoices/external/sellsy-77", admin_);
  ASSERT_EQ(got_inv.status, 200) << got_inv.body;
  EXPECT_EQ(got_inv.json_body["id"], inv["id"]);
  Response patched_inv =
      Patch("/api/v1/invoices/external/sellsy-77", {{"pdf_url", "https://x/y.pdf"}}, admin_);
  EXPECT_EQ(patched_inv.status, 200) << patched_inv.body;
}

// R-CORE-1: another organization's records answer 404 and never appear.
TEST_P(ApiTest, OrganizationsAreIsolated) {
  json mine = MakeCustomer({{"name", "Secret Client"}, {"external_id", "X1"}}, admin_);
  std::string id = mine["id"];
  Caller other = NewOrg("Other Corp");

  Response got = Get("/api/v1/customers/" + id, other);
  EXPECT_EQ(got.status, 404);
  EXPECT_EQ(got.body.find("Secret"), std::string::npos);
  EXPECT_EQ(Patch("/api/v1/customers/" + id, {{"name", "Stolen"}}, other).status, 404);
  EXPECT_EQ(Delete("/api/v1/customers/" + id, other).status, 404);
  EXPECT_EQ(Get("/api/v1/customers/external/X1", other).status, 404);
  EXPECT_EQ(Count("/api/v1/customers", other), 0u);
  // Referencing it from the other organization fails too.
  Response contact = Post("/api/v1/contacts", {{"customer_id", id}, {"email", "a@b.fr"}}, other);
  EXPECT_EQ(contact.status, 422) << contact.body;
  EXPECT_NE(contact.DetailFor("customer_id"), "");
  // And it is unchanged for its owner.
  EXPECT_EQ(Get("/api/v1/customers/" + id, admin_).json_body["name"], "Secret Client");
}

// R-CORE-1: roles.
TEST_P(ApiTest, RolesAreEnforced) {
  Caller reader = NewUser(admin_.org_id, "READ_ONLY");
  Caller member = NewUser(admin_.org_id, "MEMBER");
  json c = MakeCustomer({{"name", "Roles"}}, admin_);

  EXPECT_EQ(Get("/api/v1/customers/" + c["id"].get<std::string>(), reader).status, 200);
  Response denied = Post("/api/v1/customers", {{"name", "Nope"}}, reader);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.ErrorCode(), "permission_denied");
  EXPECT_EQ(
      Patch("/api/v1/customers/" + c["id"].get<std::string>(), {{"city", "X"}}, reader).status,
      403);
  EXPECT_EQ(Delete("/api/v1/customers/" + c["id"].get<std::string>(), reader).status, 403);

  EXPECT_EQ(Post("/api/v1/customers", {{"name", "Fine"}}, member).status, 201);
  Response no_user =
      Post("/api/v1/users", {{"email", "new@example.com"}, {"name", "N"}, {"password", kPassword}},
           member);
  EXPECT_EQ(no_user.status, 403) << no_user.body;
  EXPECT_EQ(Patch("/api/v1/organization", {{"send_hour", 10}}, member).status, 403);
  EXPECT_EQ(Get("/api/v1/organization", reader).status, 200);
  EXPECT_EQ(Count("/api/v1/customers?name=Nope", admin_), 0u);
}

TEST_P(ApiTest, AuthenticationIsRequired) {
  Response none = Call("GET", "/api/v1/customers", std::nullopt, Auth{});
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.ErrorCode(), "unauthenticated");
  EXPECT_NE(none.Header("WWW-Authenticate"), "");
  EXPECT_EQ(Call("GET", "/api/v1/customers", std::nullopt, Auth{"rlt_" + std::string(64, '0'), {}})
                .status,
            401);
  EXPECT_EQ(Call("POST", "/api/v1/customers", R"({"name":"x"})", Auth{}).status, 401);
  Response basic = Call("GET", "/api/v1/customers", std::nullopt, Auth{},
                        {{"Authorization", "Basic dXNlcjpwYXNz"}});
  EXPECT_EQ(basic.status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/me", std::nullopt, Auth{{}, "relance_session=rls_nope"}).status,
            401);
}

// Login sessions: argon2id password, HttpOnly cookie, logout ends it.
TEST_P(ApiTest, LoginSessionAndLogout) {
  Response bad =
      Call("POST", "/api/v1/auth/login",
           json{{"email", admin_.email}, {"password", "wrong password!"}}.dump(), Auth{});
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.Header("Set-Cookie"), "");

  Response login = Call("POST", "/api/v1/auth/login",
                        json{{"email", admin_.email}, {"password", kPassword}}.dump(), Auth{});
  ASSERT_EQ(login.status, 200) << login.body;
  EXPECT_EQ(login.json_body["user"]["id"], admin_.user_id);
  EXPECT_FALSE(login.json_body["user"].contains("password_hash"));
  std::string set_cookie = login.Header("Set-Cookie");
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("SameSite=Lax"), std::string::npos) << set_cookie;
  std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  ASSERT_EQ(cookie.rfind("relance_session=rls_", 0), 0u) << cookie;

  Response me = Call("GET", "/api/v1/me", std::nullopt, Auth{{}, cookie});
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json_body["user"]["email"], admin_.email);
  EXPECT_EQ(me.json_body["organization"]["name"], "Acme");
  EXPECT_EQ(Call("POST", "/api/v1/customers", R"({"name":"Via cookie"})", Auth{{}, cookie}).status,
            201);

  Response out = Call("POST", "/api/v1/auth/logout", "{}", Auth{{}, cookie});
  EXPECT_EQ(out.status, 204);
  EXPECT_NE(out.Header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v1/me", std::nullopt, Auth{{}, cookie}).status, 401);

  Response extra = Call(
      "POST", "/api/v1/auth/login",
      json{{"email", admin_.email}, {"password", kPassword}, {"remember", true}}.dump(), Auth{});
  EXPECT_EQ(extra.status, 422);
  EXPECT_NE(extra.DetailFor("remember"), "");
}

// A retried POST never creates twice.
TEST_P(ApiTest, IdempotencyKeyReplaysTheFirstResponse) {
  json body = {{"name", "Once"}};
  Response first = Post("/api/v1/customers", body, admin_, {{"Idempotency-Key", "key-1"}});
  ASSERT_EQ(first.status, 201) << first.body;
  Response again = Post("/api/v1/customers", body, admin_, {{"Idempotency-Key", "key-1"}});
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.json_body["id"], first.json_body["id"]);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.Header("Idempotent-Replayed"), "true");
  EXPECT_EQ(Count("/api/v1/customers?name=Once", admin_), 1u);

  Response reused =
      Post("/api/v1/customers", {{"name", "Twice"}}, admin_, {{"Idempotency-Key", "key-1"}});
  EXPECT_EQ(reused.status, 422);
  EXPECT_EQ(reused.ErrorCode(), "idempotency_key_reused");
  EXPECT_EQ(Count("/api/v1/customers?name=Twice", admin_), 0u);

  // Keys belong to an organization: another one may use the same key.
  Caller other = NewOrg("Other");
  EXPECT_EQ(Post("/api/v1/customers", body, other, {{"Idempotency-Key", "key-1"}}).status, 201);

  // A failed request is replayed as failed, and still writes nothing.
  Response invalid =
      Post("/api/v1/customers", {{"name", 5}}, admin_, {{"Idempotency-Key", "key-2"}});
  EXPECT_EQ(invalid.status, 422);
  Response invalid_again =
      Post("/api/v1/customers", {{"name", 5}}, admin_, {{"Idempotency-Key", "key-2"}});
  EXPECT_EQ(invalid_again.status, 422);
  EXPECT_EQ(invalid_again.Header("Idempotent-Replayed"), "true");

  EXPECT_EQ(
      Post("/api/v1/customers", body, admin_, {{"Idempotency-Key", std::string(300, 'k')}}).status,
      422);
}

TEST_P(ApiTest, ConcurrentFirstRequestsWithOneKeyCreateOnce) {
  const std::string body = json{{"name", "Raced"}}.dump();
  std::vector<Response> responses(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < responses.size(); ++i) {
    threads.emplace_back([&, i] {
      responses[i] = Call("POST", "/api/v1/customers", body, Auth{admin_.token, {}},
                          {{"Idempotency-Key", "race-key"}});
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : responses) {
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json_body["id"], responses[0].json_body["id"]);
  }
  EXPECT_EQ(Count("/api/v1/customers?name=Raced", admin_), 1u);
}

// Optimistic concurrency: If-Match / "version" against a stale version.
TEST_P(ApiTest, StaleVersionIsAConflict) {
  json c = MakeCustomer({{"name", "Versioned"}}, admin_);
  std::string path = "/api/v1/customers/" + c["id"].get<std::string>();
  ASSERT_EQ(Patch(path, {{"city", "A"}}, admin_, {{"If-Match", "\"1\""}}).status, 200);
  Response stale = Patch(path, {{"city", "B"}}, admin_, {{"If-Match", "\"1\""}});
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(stale.ErrorCode(), "conflict");
  EXPECT_EQ(Patch(path, {{"city", "B"}, {"version", 1}}, admin_).status, 409);
  EXPECT_EQ(Get(path, admin_).json_body["city"], "A");
  Response ok = Patch(path, {{"city", "C"}, {"version", 2}}, admin_);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Patch(path, {{"city", "D"}}, admin_, {{"If-Match", "banana"}}).status, 422);
}

// R-SELLSY-8: a field a connector owns is read-only through the API.
TEST_P(ApiTest, ConnectorOwnedFieldIsAConflictNamingTheConnector) {
  json c = MakeCustomer({{"name", "Synced"}, {"payment_delay_days", 30}}, admin_);
  std::string id = c["id"];
  {
    auto conn = test_db_->db().Acquire();
    ASSERT_TRUE(conn.ok());
    domain::ExternalRef ref;
    ref.entity = "customer";
    ref.record_id = id;
    ref.connector = "sellsy";
    ref.external_id = "S-1";
    ref.owned_fields = {"payment_delay_days"};
    auto up = store::UpsertExternalRef(**conn, admin_.org_id, ref);
    ASSERT_TRUE(up.ok()) << up.error().ToString();
  }
  Response r = Patch("/api/v1/customers/" + id, {{"payment_delay_days", 45}}, admin_);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.json_body["error"]["message"].get<std::string>().find("sellsy"), std::string::npos);
  EXPECT_NE(r.DetailFor("payment_delay_days").find("sellsy"), std::string::npos);
  Response got = Get("/api/v1/customers/" + id, admin_);
  EXPECT_EQ(got.json_body["payment_delay_days"], 30);
  EXPECT_EQ(got.json_body["external_refs"][0]["connector"], "sellsy");
  EXPECT_EQ(got.json_body["external_refs"][0]["owned_fields"][0], "payment_delay_days");
  EXPECT_EQ(Patch("/api/v1/customers/" + id, {{"city", "Caen"}}, admin_).status, 200);
}

// R-CORE-4: setting a new main contact clears the previous one; the API shows it.
TEST_P(ApiTest, NewMainContactClearsThePreviousOne) {
  json c = MakeCustomer({{"name", "Mains"}}, admin_);
  std::string cid = c["id"];
  Response a = Post("/api/v1/contacts",
                    {{"customer_id", cid},
                     {"email", "a@mains.fr"},
                     {"is_main", true},
                     {"position", "ACCOUNTING"}},
                    admin_);
  ASSERT_EQ(a.status, 201) << a.body;
  Response b = Post("/api/v1/contacts",
                    {{"customer_id", cid}, {"email", "b@mains.fr"}, {"is_main", true}}, admin_);
  ASSERT_EQ(b.status, 201) << b.body;
  EXPECT_EQ(b.json_body["is_main"], true);
  Response a_now = Get("/api/v1/contacts/" + a.json_body["id"].get<std::string>(), admin_);
  EXPECT_EQ(a_now.json_body["is_main"], false);
  EXPECT_EQ(a_now.json_body["version"], 2);
  Response mains = Get("/api/v1/contacts?customer_id=" + cid + "&is_main=true", admin_);
  ASSERT_EQ(mains.json_body["data"].size(), 1u);
  EXPECT_EQ(mains.json_body["data"][0]["id"], b.json_body["id"]);
  // And back through PATCH.
  ASSERT_EQ(
      Patch("/api/v1/contacts/" + a.json_body["id"].get<std::string>(), {{"is_main", true}}, admin_)
          .status,
      200);
  EXPECT_EQ(
      Get("/api/v1/contacts/" + b.json_body["id"].get<std::string>(), admin_).json_body["is_main"],
      false);
  // customer_id is create-only.
  json other = MakeCustomer({{"name", "Other"}}, admin_);
  Response move = Patch("/api/v1/contacts/" + a.json_body["id"].get<std::string>(),
                        {{"customer_id", other["id"]}}, admin_);
  EXPECT_EQ(move.status, 422);
  EXPECT_NE(move.DetailFor("customer_id"), "");
}

// R-CORE-5, R-CORE-6, R-CORE-7: payments with allocations, statuses, credit notes.
TEST_P(ApiTest, PaymentsAllocationsAndStatuses) {
  json c = MakeCustomer({{"name", "Payer"}}, admin_);
  std::string cid = c["id"];
  json overdue =
      MakeInvoice(cid, "F-100", 10000, "2026-01-01", {{"printed_due_date", "2026-01-31"}});
  json not_due =
      MakeInvoice(cid, "F-101", 5000, "2026-03-01", {{"printed_due_date", "2026-04-30"}});
  EXPECT_EQ(overdue["status"], "OVERDUE");
  EXPECT_EQ(not_due["status"], "NOT_DUE");
  EXPECT_TRUE(IsValidId(overdue["id"].get<std::string>(), "inv"));

  Response pay = Post("/api/v1/payments",
                      {{"customer_id", cid},
                       {"amount", 12000},
                       {"currency", "EUR"},
                       {"date", "2026-03-09"},
                       {"method", "TRANSFER"},
                       {"allocations",
                        {{{"invoice_id", overdue["id"]}, {"amount", 10000}},
                         {{"invoice_id", not_due["id"]}, {"amount", 2000}}}}},
                      admin_);
  ASSERT_EQ(pay.status, 201) << pay.body;
  EXPECT_TRUE(IsValidId(pay.json_body["id"].get<std::string>(), "pay"));
  EXPECT_EQ(pay.json_body["unallocated_amount"], 0);
  ASSERT_EQ(pay.json_body["allocations"].size(), 2u);

  Response paid = Get("/api/v1/invoices/" + overdue["id"].get<std::string>(), admin_);
  EXPECT_EQ(paid.json_body["outstanding_amount"], 0);
  EXPECT_EQ(paid.json_body["status"], "PAID");
  EXPECT_EQ(Get("/api/v1/invoices/" + not_due["id"].get<std::string>(), admin_)
                .json_body["outstanding_amount"],
            3000);  // partial payment leaves the rest (R-CORE-6)
  EXPECT_EQ(Count("/api/v1/invoices?status=PAID", admin_), 1u);
  EXPECT_EQ(Count("/api/v1/invoices?status=NOT_DUE", admin_), 1u);
  EXPECT_EQ(Count("/api/v1/invoices?status=OVERDUE", admin_), 0u);
  EXPECT_EQ(Get("/api/v1/invoices?status=LATE", admin_).status, 422);

  Response got = Get("/api/v1/payments/" + pay.json_body["id"].get<std::string>(), admin_);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.json_body["allocations"].size(), 2u);

  // A credit note allocated to the rest (R-CORE-5).
  json credit = MakeInvoice(cid, "AV-1", 3000, "2026-03-05", {{"kind", "CREDIT_NOTE"}});
  EXPECT_TRUE(IsValidId(credit["id"].get<std::string>(), "crn"));
  Response alloc = Post("/api/v1/allocations",
                        {{"source_type", "CREDIT_NOTE"},
                         {"source_id", credit["id"]},
                         {"invoice_id", not_due["id"]},
                         {"amount", 3000}},
                        admin_);
  ASSERT_EQ(alloc.status, 201) << alloc.body;
  EXPECT_EQ(Get("/api/v1/invoices/" + not_due["id"].get<std::string>(), admin_).json_body["status"],
            "PAID");
  EXPECT_EQ(Count("/api/v1/invoices?kind=CREDIT_NOTE", admin_), 1u);
  EXPECT_EQ(Count("/api/v1/allocations?invoice_id=" + not_due["id"].get<std::string>(), admin_),
            2u);

  // Removing the allocation gives the money back.
  EXPECT_EQ(
      Delete("/api/v1/allocations/" + alloc.json_body["id"].get<std::string>(), admin_).status,
      204);
  EXPECT_EQ(Get("/api/v1/invoices/" + not_due["id"].get<std::string>(), admin_)
                .json_body["outstanding_amount"],
            3000);
  // Deleting the payment too.
  EXPECT_EQ(Delete("/api/v1/payments/" + pay.json_body["id"].get<std::string>(), admin_).status,
            204);
  EXPECT_EQ(Get("/api/v1/invoices/" + overdue["id"].get<std::string>(), admin_).json_body["status"],
            "OVERDUE");
}

// R-CORE-3: a group's view covers its subsidiaries' invoices.
TEST_P(ApiTest, GroupViewOfInvoices) {
  json parent = MakeCustomer({{"name", "Group"}}, admin_);
  json child = MakeCustomer({{"name", "Subsidiary"}, {"parent_id", parent["id"]}}, admin_);
  MakeInvoice(parent["id"], "G-1", 100, "2026-03-01");
  MakeInvoice(child["id"], "S-1", 100, "2026-03-01");
  std::string pid = parent["id"];
  EXPECT_EQ(Count("/api/v1/invoices?customer_id=" + pid, admin_), 1u);
  EXPECT_EQ(Count("/api/v1/invoices?customer_id=" + pid + "&include_subsidiaries=true", admin_),
            2u);
  EXPECT_EQ(Count("/api/v1/customers?parent_id=" + pid, admin_), 1u);
  EXPECT_EQ(Get("/api/v1/invoices?include_subsidiaries=true", admin_).status, 422);
}

TEST_P(ApiTest, UsersTokensAndOrganization) {
  Response user = Post("/api/v1/users",
                       {{"email", "new.member@example.com"},
                        {"name", "New Member"},
                        {"role", "MEMBER"},
                        {"password", kPassword}},
                       admin_);
  ASSERT_EQ(user.status, 201) << user.body;
  EXPECT_TRUE(IsValidId(user.json_body["id"].get<std::string>(), "usr"));
  EXPECT_FALSE(user.json_body.contains("password_hash"));
  EXPECT_FALSE(user.json_body.contains("password"));
  EXPECT_EQ(user.body.find("argon2"), std::string::npos);
  Response listed = Get("/api/v1/users?role=MEMBER", admin_);
  ASSERT_EQ(listed.json_body["data"].size(), 1u);
  EXPECT_FALSE(listed.json_body["data"][0].contains("password_hash"));
  Response no_password = Post("/api/v1/users", {{"email", "x@example.com"}, {"name", "X"}}, admin_);
  EXPECT_EQ(no_password.status, 422);
  EXPECT_NE(no_password.DetailFor("password"), "");
  Response dup =
      Post("/api/v1/users",
           {{"email", "new.member@example.com"}, {"name", "Dup"}, {"password", kPassword}}, admin_);
  EXPECT_EQ(dup.status, 409) << dup.body;

  Response login =
      Call("POST", "/api/v1/auth/login",
           json{{"email", "new.member@example.com"}, {"password", kPassword}}.dump(), Auth{});
  EXPECT_EQ(login.status, 200) << login.body;

  Response token = Post("/api/v1/tokens", {{"name", "ci"}}, admin_);
  ASSERT_EQ(token.status, 201) << token.body;
  Caller with_token = admin_;
  with_token.token = token.json_body["token"];
  EXPECT_EQ(Get("/api/v1/me", with_token).status, 200);
  EXPECT_EQ(Delete("/api/v1/tokens/" + token.json_body["id"].get<std::string>(), admin_).status,
            204);
  EXPECT_EQ(Get("/api/v1/me", with_token).status, 401);

  Response org = Get("/api/v1/organization", admin_);
  ASSERT_EQ(org.status, 200) << org.body;
  EXPECT_EQ(org.json_body["id"], admin_.org_id);
  EXPECT_EQ(org.json_body["time_zone"], "Europe/Paris");
  Response changed = Patch("/api/v1/organization", {{"send_hour", 10}, {"language", "en"}}, admin_);
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(changed.json_body["send_hour"], 10);
  Response bad_tz = Patch("/api/v1/organization", {{"time_zone", "Mars/Olympus"}}, admin_);
  EXPECT_EQ(bad_tz.status, 422);
  EXPECT_NE(bad_tz.DetailFor("time_zone"), "");
  EXPECT_EQ(Get("/api/v1/organization", admin_).json_body["time_zone"], "Europe/Paris");
}

TEST_P(ApiTest, ProductsCrud) {
  Response p =
      Post("/api/v1/products",
           {{"code", "ART-1"}, {"name", "Widget"}, {"price", 1999}, {"stock", nullptr}}, admin_);
  ASSERT_EQ(p.status, 201) << p.body;
  EXPECT_TRUE(IsValidId(p.json_body["id"].get<std::string>(), "prd"));
  EXPECT_TRUE(p.json_body["stock"].is_null());  // not stock-managed (R-CORE-10)
  std::string path = "/api/v1/products/" + p.json_body["id"].get<std::string>();
  EXPECT_EQ(Patch(path, {{"active", false}, {"stock", 12}}, admin_).json_body["stock"], 12);
  EXPECT_EQ(Count("/api/v1/products?active=false", admin_), 1u);
  EXPECT_EQ(Delete(path, admin_).status, 204);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, ::testing::Values("sqlite", "postgres"),
                         relance::test::BackendName());

}  // namespace
}  // namespace relance::http::test
