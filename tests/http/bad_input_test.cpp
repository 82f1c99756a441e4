// Bad input through the API: each case answers 4xx with the error envelope
// (field-level details where a field is at fault) and writes nothing.
#include "http_test_support.h"

namespace relance::http::test {
namespace {

class BadInputTest : public HttpTest {
 protected:
  // Every list the bad requests could have written to.
  std::vector<size_t> Snapshot() {
    std::vector<size_t> n;
    for (const char* path :
         {"/api/v1/customers", "/api/v1/contacts", "/api/v1/invoices", "/api/v1/payments",
          "/api/v1/allocations", "/api/v1/products", "/api/v1/users"}) {
      n.push_back(Count(path, admin_));
    }
    return n;
  }

  // The response is an error envelope with `status`.
  static void ExpectEnvelope(const Response& r, int status, const std::string& code = "") {
    EXPECT_EQ(r.status, status) << r.body;
    ASSERT_TRUE(r.json_body.is_object()) << r.body;
    ASSERT_TRUE(r.json_body.contains("error")) << r.body;
    const auto& e = r.json_body["error"];
    EXPECT_TRUE(e["code"].is_string());
    EXPECT_TRUE(e["message"].is_string());
    EXPECT_TRUE(e["details"].is_array());
    if (!code.empty()) {
      EXPECT_EQ(e["code"], code) << r.body;
    }
  }
};

TEST_P(BadInputTest, MalformedJson) {
  auto before = Snapshot();
  for (std::string body :
       std::vector<std::string>{"{\"name\": ", "{name: 'x'}", "[1, 2]", "\"text\"", "",
                                "{\"name\":\"a\",\"name\":\"b\"}", std::string(100, '[')}) {
    Response r = Call("POST", "/api/v1/customers", body, Auth{admin_.token, {}});
    ExpectEnvelope(r, 400, "malformed_request");
  }
  EXPECT_EQ(Snapshot(), before);
}

TEST_P(BadInputTest, NotJsonContentType) {
  auto before = Snapshot();
  Response r = Call("POST", "/api/v1/customers", "name=x", Auth{admin_.token, {}},
                    {{"Content-Type", "application/x-www-form-urlencoded"}});
  // httplib's client sets its own Content-Type; whichever wins, no write.
  EXPECT_GE(r.status, 400);
  EXPECT_LT(r.status, 500);
  EXPECT_EQ(Snapshot(), before);
}

// Wrong types, unknown and read-only members: every problem in one answer.
TEST_P(BadInputTest, WrongTypesAndUnknownFieldsAreAllReported) {
  auto before = Snapshot();
  Response r = Post("/api/v1/customers",
                    {{"name", 42},
                     {"payment_delay_days", "30"},
                     {"smart_tags", {{"tier", 1}}},
                     {"colour", "blue"},
                     {"nickname", "x"},
                     {"id", "cus_01ABCDEFGHJKMNPQRSTVWXYZ01"},
                     {"status", "FRIEND"},
                     {"parent_id", "inv_01ABCDEFGHJKMNPQRSTVWXYZ01"}},
                    admin_);
  ExpectEnvelope(r, 422, "invalid_argument");
  EXPECT_NE(r.DetailFor("name").find("string"), std::string::npos) << r.body;
  EXPECT_NE(r.DetailFor("payment_delay_days").find("integer"), std::string::npos) << r.body;
  EXPECT_NE(r.DetailFor("smart_tags.tier"), "") << r.body;
  EXPECT_NE(r.DetailFor("colour"), "") << r.body;
  EXPECT_NE(r.DetailFor("nickname"), "") << r.body;
  EXPECT_NE(r.DetailFor("id").find("read-only"), std::string::npos) << r.body;
  EXPECT_NE(r.DetailFor("status").find("PROSPECT"), std::string::npos) << r.body;
  EXPECT_NE(r.DetailFor("parent_id").find("cus_"), std::string::npos) << r.body;
  EXPECT_EQ(r.json_body["error"]["details"].size(), 8u) << r.body;

  Response missing = Post("/api/v1/invoices", {{"currency", "EUR"}}, admin_);
  ExpectEnvelope(missing, 422);
  for (const char* f : {"number", "customer_id", "issue_date", "gross_amount"}) {
    EXPECT_EQ(missing.DetailFor(f), "is required") << f << ": " << missing.body;
  }
  Response readonly =
      Post("/api/v1/invoices", {{"outstanding_amount", 0}, {"status", "PAID"}}, admin_);
  EXPECT_NE(readonly.DetailFor("outstanding_amount").find("read-only"), std::string::npos);
  EXPECT_EQ(Snapshot(), before);
}

TEST_P(BadInputTest, IntegersMustBeIntegersInRange) {
  json c = MakeCustomer({{"name", "Numbers"}}, admin_);
  auto before = Snapshot();
  std::string cid = c["id"];
  auto invoice = [&](const json& gross) {
    return Call("POST", "/api/v1/invoices",
                R"({"customer_id":")" + cid + R"(","number":"N1","issue_date":"2026-03-01",)" +
                    R"("gross_amount":)" + gross.dump() + "}",
                Auth{admin_.token, {}});
  };
  // Raw JSON text, so the numbers reach the server exactly as written.
  auto raw = [&](const std::string& gross) {
    return Call("POST", "/api/v1/invoices",
                R"({"customer_id":")" + cid + R"(","number":"N1","issue_date":"2026-03-01",)" +
                    R"("gross_amount":)" + gross + "}",
                Auth{admin_.token, {}});
  };
  Response negative = invoice(-100);
  ExpectEnvelope(negative, 422);
  EXPECT_NE(negative.DetailFor("gross_amount").find("negative"), std::string::npos)
      << negative.body;
  Response fraction = raw("12.5");
  ExpectEnvelope(fraction, 422);
  EXPECT_NE(fraction.DetailFor("gross_amount").find("integer"), std::string::npos) << fraction.body;
  for (std::string huge :
       std::vector<std::string>{"9223372036854775808", "18446744073709551616", "1e30",
                                "-9223372036854775809", "1000000000000000001"}) {
    Response r = raw(huge);
    ExpectEnvelope(r, 422);
    EXPECT_NE(r.DetailFor("gross_amount"), "") << huge << ": " << r.body;
  }
  ExpectEnvelope(raw("\"100\""), 422);
  ExpectEnvelope(raw("true"), 422);
  ExpectEnvelope(raw("1.0"), 422);
  Response delay = Call("PATCH", "/api/v1/customers/" + cid, R"({"payment_delay_days": 1e400})",
                        Auth{admin_.token, {}});
  EXPECT_GE(delay.status, 400) << delay.body;
  EXPECT_LT(delay.status, 500) << delay.body;
  Response big_delay =
      Call("PATCH", "/api/v1/customers/" + cid, R"({"payment_delay_days": 99999999999999999999})",
           Auth{admin_.token, {}});
  ExpectEnvelope(big_delay, 422);
  EXPECT_NE(big_delay.DetailFor("payment_delay_days"), "") << big_delay.body;
  EXPECT_EQ(Snapshot(), before);
}

TEST_P(BadInputTest, InvalidCurrencies) {
  json c = MakeCustomer({{"name", "Currencies"}}, admin_);
  auto before = Snapshot();
  for (const char* currency : {"EURO", "eur", "XXX1", ""}) {
    Response r = Post("/api/v1/invoices",
                      {{"customer_id", c["id"]},
                       {"number", "C1"},
                       {"issue_date", "2026-03-01"},
                       {"gross_amount", 100},
                       {"net_amount", 100},
                       {"currency", currency}},
                      admin_);
    ExpectEnvelope(r, 422);
    EXPECT_NE(r.DetailFor("currency"), "") << currency << ": " << r.body;
  }
  ExpectEnvelope(Patch("/api/v1/organization", {{"default_currency", "ABC"}}, admin_), 422);
  ExpectEnvelope(
      Post("/api/v1/products", {{"code", "P"}, {"name", "P"}, {"currency", "FOO"}}, admin_), 422);
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Get("/api/v1/organization", admin_).json_body["default_currency"], "EUR");
}

TEST_P(BadInputTest, DatesThatDoNotExist) {
  json c = MakeCustomer({{"name", "Dates"}}, admin_);
  auto before = Snapshot();
  for (const char* date : {"2025-02-29", "2026-13-01", "2026-04-31", "01/03/2026", "2026-3-1"}) {
    Response r = Post("/api/v1/invoices",
                      {{"customer_id", c["id"]},
                       {"number", "D1"},
                       {"issue_date", date},
                       {"gross_amount", 100},
                       {"net_amount", 100}},
                      admin_);
    ExpectEnvelope(r, 422);
    EXPECT_NE(r.DetailFor("issue_date"), "") << date << ": " << r.body;
  }
  EXPECT_EQ(Get("/api/v1/invoices?issue_date=2025-02-29", admin_).status, 422);
  EXPECT_EQ(Snapshot(), before);
}

// R-CORE-6: an allocation above what the invoice owes refuses the whole payment.
TEST_P(BadInputTest, AllocationsAboveWhatIsOwed) {
  json c = MakeCustomer({{"name", "Owes"}}, admin_);
  json inv = MakeInvoice(c["id"], "O-1", 1000, "2026-03-01");
  auto before = Snapshot();
  json payment = {{"amount", 5000}, {"date", "2026-03-09"}, {"customer_id", c["id"]}};
  payment["allocations"] = {{{"invoice_id", inv["id"]}, {"amount", 1500}}};
  Response above = Post("/api/v1/payments", payment, admin_);
  EXPECT_GE(above.status, 400);
  EXPECT_LT(above.status, 500);
  ExpectEnvelope(above, above.status);
  EXPECT_NE(above.DetailFor("allocations[0].amount"), "") << above.body;

  payment["allocations"] = {{{"invoice_id", inv["id"]}, {"amount", 600}},
                            {{"invoice_id", inv["id"]}, {"amount", 600}}};
  Response twice = Post("/api/v1/payments", payment, admin_);
  EXPECT_GE(twice.status, 400);
  EXPECT_LT(twice.status, 500);

  payment["amount"] = 100;
  payment["allocations"] = {{{"invoice_id", inv["id"]}, {"amount", 500}}};
  Response above_payment = Post("/api/v1/payments", payment, admin_);
  EXPECT_GE(above_payment.status, 400);
  EXPECT_LT(above_payment.status, 500);

  payment["amount"] = 5000;
  payment["allocations"] = {{{"invoice", inv["id"]}, {"amount", -5}}, 7};
  Response shape = Post("/api/v1/payments", payment, admin_);
  ExpectEnvelope(shape, 422);
  EXPECT_NE(shape.DetailFor("allocations[0].invoice"), "") << shape.body;
  EXPECT_NE(shape.DetailFor("allocations[0].invoice_id"), "") << shape.body;
  EXPECT_NE(shape.DetailFor("allocations[0].amount"), "") << shape.body;
  EXPECT_NE(shape.DetailFor("allocations[1]"), "") << shape.body;

  Response on_credit = Post("/api/v1/allocations",
                            {{"source_type", "CREDIT_NOTE"},
                             {"source_id", inv["id"]},
                             {"invoice_id", inv["id"]},
                             {"amount", 10}},
                            admin_);
  EXPECT_GE(on_credit.status, 400);
  EXPECT_LT(on_credit.status, 500);
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Get("/api/v1/invoices/" + inv["id"].get<std::string>(), admin_)
                .json_body["outstanding_amount"],
            1000);
}

// R-CORE-3: a customer may not become its own ancestor.
TEST_P(BadInputTest, CustomerCannotBecomeItsOwnAncestor) {
  json a = MakeCustomer({{"name", "A"}}, admin_);
  json b = MakeCustomer({{"name", "B"}, {"parent_id", a["id"]}}, admin_);
  json c = MakeCustomer({{"name", "C"}, {"parent_id", b["id"]}}, admin_);
  Response cycle =
      Patch("/api/v1/customers/" + a["id"].get<std::string>(), {{"parent_id", c["id"]}}, admin_);
  ExpectEnvelope(cycle, 422);
  EXPECT_NE(cycle.DetailFor("parent_id"), "") << cycle.body;
  Response self =
      Patch("/api/v1/customers/" + a["id"].get<std::string>(), {{"parent_id", a["id"]}}, admin_);
  EXPECT_GE(self.status, 400);
  EXPECT_LT(self.status, 500);
  Response got = Get("/api/v1/customers/" + a["id"].get<std::string>(), admin_);
  EXPECT_TRUE(got.json_body["parent_id"].is_null());
  EXPECT_EQ(got.json_body["version"], 1);
}

TEST_P(BadInputTest, OversizedBodyIs413) {
  auto before = Snapshot();
  std::string big = R"({"name":")" + std::string(2 << 20, 'x') + R"("})";
  Response r = Call("POST", "/api/v1/customers", big, Auth{admin_.token, {}});
  ExpectEnvelope(r, 413, "payload_too_large");
  // The server is still fine afterwards.
  EXPECT_EQ(Get("/api/v1/customers", admin_).status, 200);

  // Without a Content-Length (chunked), the server stops reading at the
  // limit instead of buffering whatever is sent.
  httplib::Client client("127.0.0.1", server_->port());
  size_t sent = 0;
  const std::string chunk(64 * 1024, ' ');
  auto chunked = client.Post(
      "/api/v1/customers", httplib::Headers{{"Authorization", "Bearer " + admin_.token}},
      [&](size_t, httplib::DataSink& sink) {
        if (sent < (2u << 20)) {
          sink.write(chunk.data(), chunk.size());
          sent += chunk.size();
        } else {
          sink.done();
        }
        return true;
      },
      "application/json");
  if (chunked) {  // the server may close before the client finishes sending
    EXPECT_EQ(chunked->status, 413) << chunked->body;
  }
  EXPECT_EQ(Get("/api/v1/customers", admin_).status, 200);
  EXPECT_EQ(Snapshot(), before);
}

TEST_P(BadInputTest, UniqueKeysAndDanglingReferences) {
  MakeCustomer({{"name", "Unique"}, {"external_id", "U1"}}, admin_);
  auto before = Snapshot();
  Response dup = Post("/api/v1/customers", {{"name", "Other"}, {"external_id", "U1"}}, admin_);
  ExpectEnvelope(dup, 409, "already_exists");
  Response same_name = Post("/api/v1/customers", {{"name", "Unique2"}}, admin_);
  ASSERT_EQ(same_name.status, 201);
  before = Snapshot();
  ExpectEnvelope(Post("/api/v1/customers", {{"name", "Unique2"}}, admin_), 409);  // R-CORE-2
  Response dangling =
      Post("/api/v1/contacts",
           {{"customer_id", "cus_01ABCDEFGHJKMNPQRSTVWXYZ01"}, {"email", "x@y.fr"}}, admin_);
  ExpectEnvelope(dangling, 422);
  EXPECT_NE(dangling.DetailFor("customer_id"), "");
  EXPECT_EQ(Snapshot(), before);
}

INSTANTIATE_TEST_SUITE_P(Backends, BadInputTest, ::testing::Values("sqlite", "postgres"),
                         relance::test::BackendName());

}  // namespace
}  // namespace relance::http::test
