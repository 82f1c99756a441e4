// The generic JSON codec on its own: strict decoding, all problems at once.
#include "http/json_codec.h"

#include "http/crud.h"

#include <gtest/gtest.h>

namespace relance::http {
namespace {

using nlohmann::json;

std::vector<FieldError> Problems(const json& body, DecodeMode mode,
                                 std::vector<services::FieldAssignment>* out = nullptr) {
  std::vector<services::FieldAssignment> fields;
  std::vector<FieldError> problems;
  DecodeFields(domain::InvoiceSpec(), body, mode, {}, fields, problems);
  if (out) *out = fields;
  return problems;
}

std::string For(const std::vector<FieldError>& problems, const std::string& field) {
  for (const auto& p : problems) {
    if (p.field == field) return p.message;
  }
  return "";
}

TEST(JsonCodecTest, DecodesEveryFieldType) {
  std::vector<services::FieldAssignment> fields;
  auto problems = Problems(json{{"number", "F-1"},
                                {"customer_id", "cus_01ABCDEFGHJKMNPQRSTVWXYZ01"},
                                {"issue_date", "2024-02-29"},
                                {"gross_amount", 1250},
                                {"payable_on_receipt", true},
                                {"printed_due_date", nullptr}},
                           DecodeMode::kCreate, &fields);
  EXPECT_TRUE(problems.empty()) << problems[0].field << " " << problems[0].message;
  ASSERT_EQ(fields.size(), 6u);
  auto value = [&](const std::string& name) {
    for (const auto& f : fields) {
      if (f.field == name) return f.value;
    }
    return domain::FieldValue(std::string("missing"));
  };
  EXPECT_EQ(std::get<Date>(value("issue_date")).ToString(), "2024-02-29");
  EXPECT_EQ(std::get<int64_t>(value("gross_amount")), 1250);
  EXPECT_EQ(std::get<bool>(value("payable_on_receipt")), true);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(value("printed_due_date")));
}

TEST(JsonCodecTest, ReportsEveryProblem) {
  auto problems = Problems(json{{"number", 7},
                                {"issue_date", "2025-02-29"},
                                {"gross_amount", 1.5},
                                {"net_amount", -1},
                                {"tax_amount", 9223372036854775807LL},
                                {"payable_on_receipt", "yes"},
                                {"kind", "RECEIPT"},
                                {"due_date", "2026-01-01"},
                                {"number_of_pages", 3},
                                {"customer_id", nullptr}},
                           DecodeMode::kCreate);
  EXPECT_NE(For(problems, "number").find("string"), std::string::npos);
  EXPECT_NE(For(problems, "issue_date").find("exists"), std::string::npos);
  EXPECT_NE(For(problems, "gross_amount").find("integer"), std::string::npos);
  EXPECT_NE(For(problems, "net_amount").find("negative"), std::string::npos);
  EXPECT_NE(For(problems, "tax_amount"), "");  // above the largest amount
  EXPECT_NE(For(problems, "payable_on_receipt").find("boolean"), std::string::npos);
  EXPECT_NE(For(problems, "kind").find("INVOICE"), std::string::npos);
  EXPECT_EQ(For(problems, "due_date"), "is read-only");
  EXPECT_NE(For(problems, "number_of_pages").find("not a field"), std::string::npos);
  EXPECT_EQ(For(problems, "customer_id"), "must not be null");
  EXPECT_EQ(problems.size(), 10u);
}

TEST(JsonCodecTest, CreateOnlyFieldsAreRefusedOnUpdate) {
  auto problems = Problems(json{{"kind", "CREDIT_NOTE"}}, DecodeMode::kUpdate);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "kind");
  EXPECT_TRUE(Problems(json::object(), DecodeMode::kUpdate).empty());
  EXPECT_EQ(Problems(json::object(), DecodeMode::kCreate).size(), 4u);  // the required ones
}

TEST(JsonCodecTest, IntegerRange) {
  std::vector<FieldError> p;
  EXPECT_EQ(ReadInt64(json::parse("9223372036854775807"), "n", p), INT64_MAX);
  EXPECT_EQ(ReadInt64(json::parse("-9223372036854775808"), "n", p), INT64_MIN);
  EXPECT_TRUE(p.empty());
  EXPECT_FALSE(ReadInt64(json::parse("9223372036854775808"), "n", p));
  EXPECT_FALSE(ReadInt64(json::parse("-9223372036854775809"), "n", p));
  EXPECT_FALSE(ReadInt64(json::parse("1e3"), "n", p));
  EXPECT_FALSE(ReadInt64(json::parse("\"1\""), "n", p));
  EXPECT_EQ(p.size(), 4u);
  EXPECT_NE(p[0].message.find("range"), std::string::npos);
}

TEST(JsonCodecTest, ParseJsonObjectIsStrict) {
  EXPECT_TRUE(ParseJsonObject(R"({"a": [1, {"b": null}]})").ok());
  for (std::string bad :
       std::vector<std::string>{"", "[]", "1", "{\"a\":1,\"a\":2}", "{\"a\":1} x", "{'a':1}",
                                std::string(40, '[') + std::string(40, ']'), "{\"a\":1,}"}) {
    auto r = ParseJsonObject(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kMalformed) << bad;
  }
}

TEST(JsonCodecTest, RecordToJsonFollowsTheSpec) {
  domain::User u;
  u.meta.id = "usr_01ABCDEFGHJKMNPQRSTVWXYZ01";
  u.meta.version = 3;
  u.email = "a@b.fr";
  u.password_hash = "$argon2id$secret";
  OrderedJson j = RecordToJson(u);
  EXPECT_FALSE(j.contains("password_hash"));
  EXPECT_TRUE(j["language"].is_null());
  EXPECT_EQ(j.begin().key(), "id");
  EXPECT_EQ(j["version"], 3);
  EXPECT_EQ(j.dump().find("argon2"), std::string::npos);
}

// List pages are written as text without a JSON tree: byte for byte what
// the tree would have written, tricky strings and maps included.
TEST(JsonCodecTest, RecordTextIsTheTreesText) {
  domain::Customer c;
  c.meta = {"cus_01JD3Q7R9WB1T2XK4M5N6P7Q8R", "org_01JD3Q7R9WB1T2XK4M5N6P7Q8R", 7,
            "2026-03-10T08:00:00.000000Z", "2026-03-11T08:00:00.000000Z"};
  c.name = "Société \"Générale\"\\ des Eaux\n\t\x01\x1f end";
  c.external_id = "C-001";
  c.payment_delay_days = 45;
  c.smart_tags = {{"région", "Île-de-France"}, {"a\"b", "c\\d"}};
  EXPECT_EQ([&] { std::string out; AppendRecordJson(out, c); return out; }(),
            RecordToJson(c).dump());

  domain::Invoice inv;
  inv.meta = {"inv_01JD3Q7R9WB1T2XK4M5N6P7Q8R", "org_01JD3Q7R9WB1T2XK4M5N6P7Q8R", 1, "t", "u"};
  inv.number = "F-1";
  inv.issue_date = *Date::Parse("2026-01-31");
  inv.printed_due_date = *Date::Parse("2026-02-28");
  inv.gross_amount = 12'000;
  inv.is_void = true;
  OrderedJson tree = RecordToJson(inv);
  InsertBefore(tree, "version", "status", "VOID");
  std::string text;
  const JsonMember extra[] = {{"status", "\"VOID\""}};
  AppendRecordJson(text, inv, extra);
  EXPECT_EQ(text, tree.dump());
}

}  // namespace
}  // namespace relance::http
