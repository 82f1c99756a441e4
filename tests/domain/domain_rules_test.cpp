// The pure rules of SPEC §1.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "core/ids.h"
#include "domain/rules/allocation.h"
#include "domain/rules/contacts.h"
#include "domain/rules/due_date.h"
#include "domain/rules/groups.h"
#include "domain/rules/invoice_status.h"
#include "domain/rules/same_text.h"
#include "domain/rules/validation.h"

namespace relance::domain {
namespace {

Date D(const char* s) { return *Date::Parse(s); }

Invoice Inv(const char* issue) {
  Invoice i;
  i.meta.id = "inv_1";
  i.meta.org_id = "org_1";
  i.number = "F-1";
  i.issue_date = D(issue);
  i.gross_amount = i.net_amount = i.outstanding_amount = 1000;
  return i;
}

TEST(DueDate, RCore8_PrintedDateWins) {
  Invoice i = Inv("2026-01-10");
  i.printed_due_date = D("2026-01-15");
  i.payable_on_receipt = true;
  EXPECT_EQ(EffectiveDueDate(i, 45, 30), D("2026-01-15"));
}

TEST(DueDate, RCore8_PayableOnReceiptIsTheIssueDate) {
  // R-SELLSY-9: never the source's 30-day default.
  Invoice i = Inv("2026-01-10");
  i.payable_on_receipt = true;
  EXPECT_EQ(EffectiveDueDate(i, 45, 30), D("2026-01-10"));
}

TEST(DueDate, RCore8_CustomerDelayElseOrganizationDelay) {
  Invoice i = Inv("2026-01-10");
  EXPECT_EQ(EffectiveDueDate(i, 45, 30), D("2026-02-24"));
  EXPECT_EQ(EffectiveDueDate(i, std::nullopt, 30), D("2026-02-09"));
  EXPECT_EQ(EffectiveDueDate(i, 0, 30), D("2026-01-10"));
}

TEST(InvoiceStatus, RCore7_DerivedFromDueDateTodayAndOutstanding) {
  Invoice i = Inv("2026-01-10");
  i.due_date = D("2026-02-09");
  EXPECT_EQ(InvoiceStatus(i, D("2026-02-09")), "NOT_DUE");  // due today is not late
  EXPECT_EQ(InvoiceStatus(i, D("2026-02-10")), "OVERDUE");
  i.outstanding_amount = 0;
  EXPECT_EQ(InvoiceStatus(i, D("2026-02-10")), "PAID");
  i.to_send = true;  // R-SEND-1: set explicitly, whatever the rest says
  EXPECT_EQ(InvoiceStatus(i, D("2026-02-10")), "TO_SEND");
  i.is_void = true;
  EXPECT_EQ(InvoiceStatus(i, D("2026-02-10")), "VOID");
}

TEST(Allocation, RCore6_PartialPaymentLeavesTheRest) {
  Payment p;
  p.meta = {"pay_1", "org_1", 1, "", ""};
  p.amount = p.unallocated_amount = 400;
  Invoice target = Inv("2026-01-10");
  auto src = AllocationSource::FromPayment(p);
  ASSERT_TRUE(CheckAllocation(src, target, 400, "").ok());
  ASSERT_TRUE(ApplyAllocation(src, target, 400).ok());
  EXPECT_EQ(target.outstanding_amount, 600);
  EXPECT_EQ(src.available, 0);
}

TEST(Allocation, RCore5_RefusalsNameTheField) {
  Invoice target = Inv("2026-01-10");
  Invoice credit = Inv("2026-01-11");
  credit.meta.id = "crn_1";
  credit.kind = "CREDIT_NOTE";
  credit.outstanding_amount = 300;
  auto src = AllocationSource::FromCreditNote(credit);
  auto field_of = [](const Result<void>& r) { return r.error().details().at(0).field; };
  EXPECT_EQ(field_of(CheckAllocation(src, target, 301, "x.")), "x.amount");  // above source
  EXPECT_EQ(field_of(CheckAllocation(src, target, 0, "")), "amount");
  EXPECT_EQ(field_of(CheckAllocation(src, target, -5, "")), "amount");
  target.outstanding_amount = 100;
  EXPECT_EQ(field_of(CheckAllocation(src, target, 200, "")), "amount");  // above owed
  target.currency = "USD";
  EXPECT_EQ(field_of(CheckAllocation(src, target, 50, "")), "invoice_id");
  target.currency = "EUR";
  EXPECT_EQ(field_of(CheckAllocation(src, credit, 50, "")), "invoice_id");  // not an invoice
  target.is_void = true;
  EXPECT_FALSE(CheckAllocation(src, target, 50, "").ok());
}

TEST(Groups, RCore3_NoCustomerIsItsOwnAncestor) {
  std::map<std::string, std::optional<std::string>> parent = {
      {"a", std::nullopt}, {"b", "a"}, {"c", "b"}};
  ParentLookup lookup = [&](const std::string& id) -> Result<std::optional<std::string>> {
    auto it = parent.find(id);
    if (it == parent.end()) return NotFound(id);
    return it->second;
  };
  EXPECT_TRUE(CheckParentAssignment("d", "c", lookup).ok());
  EXPECT_FALSE(CheckParentAssignment("a", "c", lookup).ok());
  EXPECT_FALSE(CheckParentAssignment("a", "a", lookup).ok());
  // A loop already in stored data ends with an error, not a hang.
  parent["a"] = "c";
  EXPECT_FALSE(CheckParentAssignment("z", "a", lookup).ok());
}

TEST(Contacts, RImp9_PositionsInEnglishOrFrench) {
  EXPECT_EQ(ParsePosition("ACCOUNTING"), "ACCOUNTING");
  EXPECT_EQ(ParsePosition(" comptabilité "), "ACCOUNTING");
  EXPECT_EQ(ParsePosition("Ventes"), "SALES");
  EXPECT_EQ(ParsePosition("Acheteur"), "PURCHASER");
  EXPECT_EQ(ParsePosition("payeur"), "PAYER");
  EXPECT_EQ(ParsePosition("boss"), std::nullopt);
}

TEST(Validation, RCore2_EveryProblemIsReportedAtOnce) {
  Customer c;
  c.name = " ";
  c.country = "France";
  c.payment_delay_days = -1;
  c.parent_id = "inv_01";
  c.smart_tags[""] = "x";
  auto r = ValidateCustomer(c);
  ASSERT_FALSE(r.ok());
  std::set<std::string> fields;
  for (const auto& d : r.error().details()) fields.insert(d.field);
  EXPECT_EQ(fields, (std::set<std::string>{"name", "country", "payment_delay_days", "parent_id",
                                           "smart_tags"}));
}

TEST(Validation, InvoiceAmountsAndCurrency) {
  Invoice i = Inv("2026-01-10");
  i.customer_id = NewId(kCustomerPrefix, Timestamp{});
  EXPECT_TRUE(ValidateInvoice(i).ok());
  i.currency = "EURO";
  i.tax_amount = 200;  // gross is no longer net + tax
  i.net_amount = -1;
  auto r = ValidateInvoice(i);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details().size(), 3u);
}

TEST(Validation, EmailsAndCountries) {
  EXPECT_TRUE(IsPlausibleEmail("a.b@exemple.fr"));
  EXPECT_FALSE(IsPlausibleEmail("a@b"));
  EXPECT_FALSE(IsPlausibleEmail("a b@c.fr"));
  EXPECT_FALSE(IsPlausibleEmail("a@@c.fr"));
  EXPECT_TRUE(IsCountryCode("FR"));
  EXPECT_FALSE(IsCountryCode("fr"));
  EXPECT_FALSE(IsCountryCode("XX"));
}

// A space, a control character or DEL anywhere in an address refuses it,
// whatever its place and the address's length; letters with accents do not.
TEST(Validation, AnEmailWithASpaceOrControlCharacterAnywhereIsRefused) {
  for (size_t len = 1; len <= 20; ++len) {
    const std::string local(len, 'a');
    ASSERT_TRUE(IsPlausibleEmail(local + "@exemple.fr")) << len;
    EXPECT_TRUE(IsPlausibleEmail("\xC3\xA9" + local + "@exemple.fr")) << len;
    for (char bad : {' ', '\t', '\x01', '\x1F', '\x7F', '\0'}) {
      EXPECT_FALSE(IsPlausibleEmail(local + "@exemple.fr" + bad)) << len << " " << int{bad};
    }
    for (size_t at = 0; at < len; ++at) {
      for (char bad : {' ', '\t', '\x01', '\x1F', '\x7F', '\0'}) {
        std::string e = local + "@exemple.fr";
        e[at] = bad;
        EXPECT_FALSE(IsPlausibleEmail(e)) << len << " " << at << " " << int{bad};
      }
    }
  }
  EXPECT_TRUE(IsPlausibleEmail("a@exemple.fr~"));  // 0x7E, next to DEL
  EXPECT_FALSE(IsPlausibleEmail("a@exemple.fr\x7F"));
}

// SameText compares texts of every length in pieces that overlap: a
// difference at any byte is found, and equal texts are equal.
TEST(Validation, SameTextFindsADifferenceAtEveryByteOfEveryLength) {
  for (size_t len = 0; len <= 100; ++len) {
    std::string a(len, 'x');
    for (size_t i = 0; i < len; ++i) a[i] = static_cast<char>('a' + i % 26);
    const std::string same = a;
    EXPECT_TRUE(SameText(a, same)) << len;
    EXPECT_FALSE(SameText(a, a + "y")) << len;
    for (size_t i = 0; i < len; ++i) {
      std::string b = a;
      b[i] = static_cast<char>(b[i] ^ 0x80);
      EXPECT_FALSE(SameText(a, b)) << len << " " << i;
    }
  }
}

// The rule as first written, one search per condition: the check, which
// reads an address in one pass, must answer the same for any text.
bool PlausibleEmailReference(std::string_view e) {
  if (e.size() > 254) return false;
  const size_t at = e.find('@');
  if (at == std::string_view::npos || at == 0 || e.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view domain = e.substr(at + 1);
  if (domain.empty() || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.') {
    return false;
  }
  for (unsigned char c : e) {
    if (c <= ' ' || c == 0x7f) return false;
  }
  return true;
}

TEST(Validation, AnEmailIsCheckedAsByTheRuleWhateverItsLengthAndBytes) {
  std::mt19937 rng(5);
  const std::string alphabet = std::string("abz09.@-_ \t\x7F\xC3\xA9", 14) + '\0';
  int accepted = 0;
  for (int round = 0; round < 200'000; ++round) {
    std::string e(rng() % 70, 'a');
    // Half of them shaped as addresses, "a…@a….a…", so that many pass; then
    // a few bytes of the alphabet anywhere.
    if (rng() % 2 == 0 && e.size() >= 5) {
      const size_t at = rng() % (e.size() - 4) + 1;
      e[at] = '@';
      e[at + 2 + rng() % (e.size() - at - 3)] = '.';
    }
    for (char& c : e) {
      if (rng() % 16 == 0) c = alphabet[rng() % alphabet.size()];
    }
    ASSERT_EQ(IsPlausibleEmail(e), PlausibleEmailReference(e)) << round << " \"" << e << "\"";
    accepted += PlausibleEmailReference(e);
  }
  EXPECT_GT(accepted, 10'000);
  for (size_t len : {253u, 254u, 255u, 300u}) {
    const std::string e = std::string(len - 11, 'a') + "@exemple.fr";
    EXPECT_EQ(IsPlausibleEmail(e), PlausibleEmailReference(e)) << len;
  }
  for (std::string_view e : {"", "a", "@", "a@b", "a@b.", "a@.b", "a@b.c", "@b.c", "a@b@c.d",
                             "a.b@c", "a@b.c.", "ab@c.de"}) {
    EXPECT_EQ(IsPlausibleEmail(e), PlausibleEmailReference(e)) << e;
  }
}

TEST(Validation, OrganizationSettings) {
  Organization o;
  o.name = "Acme";
  EXPECT_TRUE(ValidateOrganization(o).ok());
  o.time_zone = "Mars/Olympus";
  o.send_hour = 24;
  o.language = "de";
  EXPECT_EQ(ValidateOrganization(o).error().details().size(), 3u);
}

}  // namespace
}  // namespace relance::domain
