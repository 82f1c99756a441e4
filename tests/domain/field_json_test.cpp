// domain/field_json.h and FieldSpec::Same: writing a field straight from its
// member gives the text of writing its FieldValue (the one nlohmann's dump()
// gives), and Same agrees with comparing the FieldValues, for every field of
// the records the sync logs, set and unset.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "domain/entity_spec.h"
#include "domain/field_json.h"

namespace relance::domain {
namespace {

Date Day(int y, int m, int d) { return *Date::FromYmd(y, m, d); }

// Every field's text from the member equals the one from its FieldValue,
// and is the JSON of that value.
template <typename T>
void ExpectMemberTextIsFieldValueText(const T& record) {
  for (const auto& f : SpecOf<T>().fields) {
    std::string direct, through_value;
    AppendFieldJson(direct, f, record);
    AppendFieldValueJson(through_value, f.Get(record));
    EXPECT_EQ(direct, through_value) << f.name;
    auto parsed = nlohmann::json::parse(direct, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << f.name << ": " << direct;
    EXPECT_EQ(parsed.dump(), direct) << f.name;
  }
}

// Same(a, b) == (Get(a) == Get(b)) for every field, between each pair.
template <typename T>
void ExpectSameAgreesWithGet(const std::vector<T>& records) {
  for (const auto& a : records) {
    for (const auto& b : records) {
      for (const auto& f : SpecOf<T>().fields) {
        EXPECT_EQ(f.Same(a, b), f.Get(a) == f.Get(b)) << f.name;
      }
    }
  }
}

Invoice FullInvoice() {
  Invoice inv;
  inv.kind = "CREDIT_NOTE";
  inv.number = "AV-\"2026\"\\01\n\x01\xc3\xa9";
  inv.customer_id = "cus_1";
  inv.external_id = "credit/9";
  inv.issue_date = Day(2026, 2, 28);
  inv.printed_due_date = Day(2026, 3, 31);
  inv.payable_on_receipt = true;
  inv.due_date = Day(2026, 3, 31);
  inv.gross_amount = -1234567890123;
  inv.outstanding_amount = 0;
  inv.pdf_url = "https://example.invalid/a.pdf";
  inv.promise_to_pay_until = Day(1999, 12, 31);
  return inv;
}

Customer FullCustomer() {
  Customer c;
  c.name = "Épicerie \"Chez Paul\"\t";
  c.external_id = "company/1";
  c.payment_delay_days = 45;
  c.parent_id = "cus_0";
  c.smart_tags = {{"tag", "vip"}, {"é", "\"quoted\""}};
  c.dunning_paused_until = Day(2027, 1, 1);
  return c;
}

TEST(FieldJson, MemberTextIsTheFieldValueText) {
  ExpectMemberTextIsFieldValueText(Invoice{});
  ExpectMemberTextIsFieldValueText(FullInvoice());
  ExpectMemberTextIsFieldValueText(Customer{});
  ExpectMemberTextIsFieldValueText(FullCustomer());
  Contact ct;
  ct.email = "a@b.fr";
  ct.position = "ACCOUNTING";
  ct.is_main = true;
  ExpectMemberTextIsFieldValueText(Contact{});
  ExpectMemberTextIsFieldValueText(ct);
  Payment p;
  p.amount = 5;
  p.customer_id = "cus_1";
  p.reference = "VIR 1";
  ExpectMemberTextIsFieldValueText(Payment{});
  ExpectMemberTextIsFieldValueText(p);
}

TEST(FieldJson, SameAgreesWithComparingFieldValues) {
  Invoice empty_number = FullInvoice();
  empty_number.number.clear();
  empty_number.pdf_url = "";  // set but empty is not absent
  ExpectSameAgreesWithGet(std::vector<Invoice>{Invoice{}, FullInvoice(), empty_number});
  Customer other_tags = FullCustomer();
  other_tags.smart_tags["tag"] = "standard";
  other_tags.payment_delay_days = 0;
  ExpectSameAgreesWithGet(std::vector<Customer>{Customer{}, FullCustomer(), other_tags});
  EXPECT_FALSE(SameFieldValues(FullCustomer(), other_tags));
  EXPECT_TRUE(SameFieldValues(FullCustomer(), FullCustomer()));
}

}  // namespace
}  // namespace relance::domain
