// The Sellsy mapping (sellsy_mapping.h) on literal JSON shaped like the
// research file (/work/shared/research/sellsy.md) and the emulator: each
// R-SELLSY rule by name, exact amounts, malformed objects, webhooks.
#include "sync/connectors/sellsy/sellsy_mapping.h"

#include <gtest/gtest.h>

#include <deque>
#include <cstdio>
#include <functional>
#include <random>
#include <regex>

#include "sync/connectors/sellsy/sellsy_connector.h"

namespace relance::sync::sellsy {
namespace {

using nlohmann::json;

// JSON text parsed as the client parses answers, into a document kept for
// the whole test program (elements point into their document).
JsonElement ParsedText(std::string_view text) {
  static std::deque<simdjson::dom::document> documents;
  static simdjson::dom::parser parser;
  documents.emplace_back();
  JsonElement root;
  const simdjson::padded_string padded(text);
  EXPECT_EQ(parser.parse_into_document(documents.back(), padded).get(root), simdjson::SUCCESS)
      << text;
  return root;
}
JsonElement Parsed(const json& j) { return ParsedText(j.dump()); }
std::vector<JsonElement> Parsed(const std::vector<json>& list) {
  std::vector<JsonElement> out;
  for (const json& j : list) out.push_back(Parsed(j));
  return out;
}
std::map<int64_t, std::vector<JsonElement>> Parsed(const std::map<int64_t, std::vector<json>>& m) {
  std::map<int64_t, std::vector<JsonElement>> out;
  for (const auto& [id, list] : m) out[id] = Parsed(list);
  return out;
}

// The mappings read simdjson elements; the tests write nlohmann literals,
// which these overloads parse first.
Result<SourceRecord> MapParty(const json& party, PartyKind kind) {
  return sellsy::MapParty(Parsed(party), kind);
}
Result<LinkedParty> LinkedPartyOf(const json& party, PartyKind kind) {
  return sellsy::LinkedPartyOf(Parsed(party), kind);
}
Result<SourceRecord> MapContact(const json& contact, const std::vector<LinkedParty>& parties) {
  return sellsy::MapContact(Parsed(contact), parties);
}
Result<std::optional<SourceRecord>> MapInvoice(const json& invoice) {
  return sellsy::MapInvoice(Parsed(invoice));
}
Result<std::optional<SourceRecord>> MapCreditNote(const json& credit_note,
                                                  std::vector<SourceAllocation> allocations) {
  return sellsy::MapCreditNote(Parsed(credit_note), std::move(allocations));
}
Result<std::vector<SourceAllocation>> CreditNoteAllocations(
    const json& credit_note, const std::vector<json>& linked_invoices,
    const std::map<int64_t, std::vector<json>>& invoice_payments) {
  return sellsy::CreditNoteAllocations(Parsed(credit_note), Parsed(linked_invoices),
                                       Parsed(invoice_payments));
}
Result<std::optional<SourceRecord>> MapPayment(const json& payment) {
  return sellsy::MapPayment(Parsed(payment));
}

json Company() {
  return json::parse(R"({
    "id": 6657, "type": "client", "name": "Example company", "email": "contact@example.com",
    "legal_france": {"siret": "73282932000074", "vat": "FR99999999999"},
    "auxiliary_code": "0EX11C", "main_contact_id": 6654,
    "created": "2020-05-29T11:22:03+02:00", "updated_at": "2021-03-01T09:00:00+01:00",
    "_embed": {
      "invoicing_address": {"id": 9, "name": "HQ", "address_line_1": "1 rue A",
                            "address_line_2": "Bât. B", "address_line_3": null,
                            "postal_code": "75001", "city": "Paris", "country": "France",
                            "country_code": "fr"},
      "smart_tags": [{"id": 1, "value": "vip"}, {"id": 2, "value": "Grand compte"}]
    }})");
}

json Invoice() {
  return json::parse(R"({
    "id": 3875, "number": "INV-2022-01-02-002", "status": "due", "date": "2022-01-02",
    "due_date": "2022-02-02", "currency": "EUR",
    "amounts": {"total_excl_tax": "79.86", "total_incl_tax": "95.83",
                "total_remaining_due_incl_tax": "50.00"},
    "related": [{"id": 234, "type": "company"}, {"id": 6657, "type": "contact"}],
    "pdf_link": "https://files.example/3875.pdf"})");
}

json Payment() {
  return json::parse(R"({
    "id": 7, "number": "VIR-123", "paid_at": "2022-05-30T00:00:00+02:00", "status": "confirmed",
    "payment_method_id": 1, "type": "credit", "amounts": {"total": "1007.90", "remaining": "507.90"},
    "currency": "EUR", "related": {"id": 234, "type": "company"},
    "related_objects": [{"id": 3875, "type": "invoice", "amount_linked": "500.00",
                         "linked_date": "2022-05-30"},
                        {"id": 12, "type": "order", "amount_linked": "0.10"}]})");
}

const SourceCustomer& CustomerOf(const SourceRecord& r) { return std::get<SourceCustomer>(r.data); }
const SourceContact& ContactOf(const SourceRecord& r) { return std::get<SourceContact>(r.data); }
const SourceInvoice& InvoiceOf(const SourceRecord& r) { return std::get<SourceInvoice>(r.data); }
const SourcePayment& PaymentOf(const SourceRecord& r) { return std::get<SourcePayment>(r.data); }

// ---------------------------------------------------------------- customers

TEST(SellsyMapping, CompanyBecomesACustomer) {
  Result<SourceRecord> r = MapParty(Company(), PartyKind::kCompany);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->kind, EntityKind::kCustomer);
  EXPECT_EQ(r->external_id, "company/6657");
  EXPECT_FALSE(r->deleted);
  EXPECT_EQ(r->source_changed_at, "2021-03-01T09:00:00+01:00");
  const domain::Customer& c = CustomerOf(*r).record;
  EXPECT_EQ(c.external_id, "company/6657");
  EXPECT_EQ(c.name, "Example company");
  EXPECT_EQ(c.status, "CLIENT");
  EXPECT_EQ(c.accounting_code, "0EX11C");
  EXPECT_EQ(c.vat_number, "FR99999999999");
  EXPECT_EQ(c.street, "1 rue A\nBât. B");
  EXPECT_EQ(c.postal_code, "75001");
  EXPECT_EQ(c.city, "Paris");
  EXPECT_EQ(c.country, "FR");
}

TEST(SellsyMapping, ProspectBecomesAProspect) {
  json j = Company();
  j["type"] = "prospect";
  Result<SourceRecord> r = MapParty(j, PartyKind::kCompany);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(CustomerOf(*r).record.status, "PROSPECT");
}

TEST(SellsyMapping, SupplierIsNotACustomerAndLeaves) {
  json j = Company();
  j["type"] = "supplier";
  Result<SourceRecord> r = MapParty(j, PartyKind::kCompany);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->deleted);
  EXPECT_EQ(r->external_id, "company/6657");
}

TEST(SellsyMapping, IndividualNameIsFirstAndLastName) {
  json j = {{"id", 77},
            {"type", "client"},
            {"first_name", "Jeanne"},
            {"last_name", "Martin"},
            {"updated_at", "2022-01-01T00:00:00+01:00"}};
  Result<SourceRecord> r = MapParty(j, PartyKind::kIndividual);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->external_id, "individual/77");
  EXPECT_EQ(CustomerOf(*r).record.name, "Jeanne Martin");
  EXPECT_FALSE(CustomerOf(*r).record.street.has_value());
}

TEST(SellsyMapping, RSellsy7SmartTagsBecomeCustomerSmartTags) {
  Result<SourceRecord> r = MapParty(Company(), PartyKind::kCompany);
  ASSERT_TRUE(r.ok());
  domain::StringMap expected = {{"vip", "vip"}, {"Grand compte", "Grand compte"}};
  EXPECT_EQ(CustomerOf(*r).record.smart_tags, expected);
}

TEST(SellsyMapping, RSellsy8PaymentTermsAreLeftToSellsy) {
  Result<SourceRecord> r = MapParty(Company(), PartyKind::kCompany);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(CustomerOf(*r).record.payment_delay_days.has_value());
  const EntityPolicy* p = SellsyPolicy().Find(EntityKind::kCustomer);
  ASSERT_NE(p, nullptr);
  EXPECT_NE(std::find(p->owned_fields.begin(), p->owned_fields.end(), "payment_delay_days"),
            p->owned_fields.end());
}

TEST(SellsyMapping, VersionIsStableAndFollowsContent) {
  Result<SourceRecord> a = MapParty(Company(), PartyKind::kCompany);
  Result<SourceRecord> b = MapParty(Company(), PartyKind::kCompany);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->version, b->version);
  EXPECT_EQ(a->version.size(), 16u);
  json j = Company();
  j["_embed"]["smart_tags"].push_back({{"id", 3}, {"value", "new"}});
  Result<SourceRecord> c = MapParty(j, PartyKind::kCompany);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->version, c->version);
}

TEST(SellsyMapping, PartyWithoutIdIsInvalid) {
  json j = Company();
  j.erase("id");
  Result<SourceRecord> r = MapParty(j, PartyKind::kCompany);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("company"), std::string::npos) << r.error().message();
}

// ---------------------------------------------------------------- contacts

json Contact(int64_t id) {
  return {{"id", id},
          {"first_name", "John"},
          {"last_name", "Doe"},
          {"email", "john.doe@example.com"},
          {"phone_number", nullptr},
          {"mobile_number", "+33600000000"},
          {"updated", "2022-01-01T10:00:00+01:00"}};
}

TEST(SellsyMapping, RSellsy3MainContactBecomesAccounting) {
  std::vector<LinkedParty> parties = {{PartyKind::kCompany, 10, 99, true},
                                      {PartyKind::kCompany, 20, 6654, true}};
  Result<SourceRecord> r = MapContact(Contact(6654), parties);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->external_id, "contact/6654");
  const SourceContact& c = ContactOf(*r);
  EXPECT_EQ(c.customer_external_id, "company/20");  // where it is main, not the lowest id
  EXPECT_TRUE(c.record.is_main);
  EXPECT_EQ(c.record.position, "ACCOUNTING");
  EXPECT_EQ(c.record.email, "john.doe@example.com");
  EXPECT_EQ(c.record.first_name, "John");
  EXPECT_EQ(c.record.last_name, "Doe");
  EXPECT_EQ(c.record.phone, "+33600000000");  // mobile when there is no phone number
  EXPECT_EQ(c.record.external_id, "contact/6654");
}

TEST(SellsyMapping, RSellsy3OtherContactsBecomeSalesOnTheLowestIdParty) {
  std::vector<LinkedParty> parties = {{PartyKind::kCompany, 30, 1, true},
                                      {PartyKind::kIndividual, 12, std::nullopt, true}};
  Result<SourceRecord> r = MapContact(Contact(5), parties);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ContactOf(*r).customer_external_id, "individual/12");
  EXPECT_FALSE(ContactOf(*r).record.is_main);
  EXPECT_EQ(ContactOf(*r).record.position, "SALES");
}

TEST(SellsyMapping, RSellsy4PositionAndMainAreCreateOnly) {
  const EntityPolicy* p = SellsyPolicy().Find(EntityKind::kContact);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->create_only_fields, (std::vector<std::string>{"position", "is_main"}));
  for (const auto& f : p->owned_fields) {
    EXPECT_NE(f, "position");
    EXPECT_NE(f, "is_main");
  }
}

TEST(SellsyMapping, RSellsy5ContactsArePullOnly) {
  for (const auto& e : SellsyPolicy().entities) EXPECT_EQ(e.direction, Direction::kPull);
}

TEST(SellsyMapping, ContactLinkedToNoCustomerIsDeleted) {
  Result<SourceRecord> none = MapContact(Contact(5), {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->deleted);
  Result<SourceRecord> supplier = MapContact(Contact(5), {{PartyKind::kCompany, 3, 5, false}});
  ASSERT_TRUE(supplier.ok());
  EXPECT_TRUE(supplier->deleted);
}

// ---------------------------------------------------------------- invoices

TEST(SellsyMapping, InvoiceAmountsAreExactMinorUnits) {
  Result<std::optional<SourceRecord>> r = MapInvoice(Invoice());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(r->has_value());
  const SourceRecord& rec = **r;
  EXPECT_EQ(rec.kind, EntityKind::kInvoice);
  EXPECT_EQ(rec.external_id, "invoice/3875");
  const SourceInvoice& i = InvoiceOf(rec);
  EXPECT_EQ(i.customer_external_id, "company/234");
  EXPECT_EQ(i.record.kind, "INVOICE");
  EXPECT_EQ(i.record.number, "INV-2022-01-02-002");
  EXPECT_EQ(i.record.issue_date.ToString(), "2022-01-02");
  ASSERT_TRUE(i.record.printed_due_date.has_value());
  EXPECT_EQ(i.record.printed_due_date->ToString(), "2022-02-02");
  EXPECT_FALSE(i.record.payable_on_receipt);
  EXPECT_EQ(i.record.gross_amount, 9583);
  EXPECT_EQ(i.record.net_amount, 7986);
  EXPECT_EQ(i.record.tax_amount, 1597);
  EXPECT_EQ(i.record.currency, "EUR");
  EXPECT_EQ(i.record.pdf_url, "https://files.example/3875.pdf");
  EXPECT_EQ(i.record.origin, "sellsy");
  EXPECT_FALSE(i.record.is_void);
}

TEST(SellsyMapping, AmountsWithoutDecimalsAndZeroDecimalCurrencies) {
  json j = Invoice();
  j["amounts"]["total_excl_tax"] = "60";
  j["amounts"]["total_incl_tax"] = "72";
  Result<std::optional<SourceRecord>> r = MapInvoice(j);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ(InvoiceOf(**r).record.gross_amount, 7200);
  j["currency"] = "JPY";
  j["amounts"]["total_incl_tax"] = "1200";
  j["amounts"]["total_excl_tax"] = "1000";
  r = MapInvoice(j);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ(InvoiceOf(**r).record.gross_amount, 1200);
  EXPECT_EQ(InvoiceOf(**r).record.tax_amount, 200);
}

TEST(SellsyMapping, RSellsy9PayableOnReceiptIsDueOnItsDate) {
  json j = Invoice();
  j["due_date"] = j["date"];
  Result<std::optional<SourceRecord>> r = MapInvoice(j);
  ASSERT_TRUE(r.ok() && r->has_value());
  const domain::Invoice& i = InvoiceOf(**r).record;
  EXPECT_TRUE(i.payable_on_receipt);
  EXPECT_EQ(i.due_date.ToString(), "2022-01-02");
  EXPECT_EQ(i.printed_due_date->ToString(), "2022-01-02");
  // The policy's transform keeps it so.
  const EntityPolicy* p = SellsyPolicy().Find(EntityKind::kInvoice);
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(p->transforms.size(), 1u);
  SourceRecord rec = **r;
  std::get<SourceInvoice>(rec.data).record.due_date = i.issue_date.AddDays(30);
  p->transforms[0].apply(rec);
  EXPECT_EQ(std::get<SourceInvoice>(rec.data).record.due_date.ToString(), "2022-01-02");
}

TEST(SellsyMapping, DraftInvoiceIsNotImported) {
  json j = Invoice();
  j["status"] = "draft";
  j["number"] = nullptr;
  Result<std::optional<SourceRecord>> r = MapInvoice(j);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_TRUE((*r)->deleted);
  EXPECT_EQ((*r)->external_id, "invoice/3875");
}

TEST(SellsyMapping, CancelledInvoiceIsVoid) {
  json j = Invoice();
  j["status"] = "cancelled";
  Result<std::optional<SourceRecord>> r = MapInvoice(j);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_FALSE((*r)->deleted);
  EXPECT_TRUE(InvoiceOf(**r).record.is_void);
}

TEST(SellsyMapping, CancelledDraftWithoutNumberWasNeverIssued) {
  json j = Invoice();
  j["status"] = "cancelled";
  j["number"] = nullptr;
  Result<std::optional<SourceRecord>> r = MapInvoice(j);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_TRUE((*r)->deleted);
  j["status"] = "due";
  r = MapInvoice(j);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("number is missing"), std::string::npos);
}

TEST(SellsyMapping, RSellsy2DocumentsBefore2018AreNotFetched) {
  json j = Invoice();
  j["date"] = "2017-12-31";
  j["due_date"] = "2018-01-30";
  Result<std::optional<SourceRecord>> r = MapInvoice(j);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  j["date"] = "2018-01-01";
  r = MapInvoice(j);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->has_value());
  json p = Payment();
  p["paid_at"] = "2017-12-31T23:00:00+01:00";
  Result<std::optional<SourceRecord>> pr = MapPayment(p);
  ASSERT_TRUE(pr.ok());
  EXPECT_FALSE(pr->has_value());
  for (EntityKind k : {EntityKind::kInvoice, EntityKind::kCreditNote, EntityKind::kPayment}) {
    ASSERT_NE(SellsyPolicy().Find(k), nullptr);
    EXPECT_EQ(SellsyPolicy().Find(k)->dated_from, Date::FromYmd(2018, 1, 1).value());
  }
}

TEST(SellsyMapping, MalformedMoneyNamesTheInvoiceAndField) {
  json j = Invoice();
  j["amounts"]["total_incl_tax"] = "12,5";
  Result<std::optional<SourceRecord>> r = MapInvoice(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message(),
            "Sellsy invoice 3875: amounts.total_incl_tax \"12,5\" is not a decimal amount");
  j["amounts"]["total_incl_tax"] = 95.83;  // a number, not a decimal string
  r = MapInvoice(j);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("amounts.total_incl_tax 95.83"), std::string::npos)
      << r.error().message();
  j = Invoice();
  j["amounts"]["total_incl_tax"] = "95.833";  // more decimals than EUR has: never rounded
  r = MapInvoice(j);
  ASSERT_FALSE(r.ok());
}

TEST(SellsyMapping, MalformedDatesAndReferencesAreInvalid) {
  json j = Invoice();
  j["date"] = "02/01/2022";
  Result<std::optional<SourceRecord>> r = MapInvoice(j);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("Sellsy invoice 3875: date"), std::string::npos);
  j = Invoice();
  j["related"] = json::array({{{"id", 1}, {"type", "contact"}}});
  r = MapInvoice(j);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("related"), std::string::npos);
  j = Invoice();
  j.erase("id");
  r = MapInvoice(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
}

// ---------------------------------------------------------------- credit notes

json CreditNote(const std::string& total, const std::string& remaining) {
  return {{"id", 4001},
          {"number", "CRED-2022-0001"},
          {"status", "partialspend"},
          {"date", "2022-03-01"},
          {"currency", "EUR"},
          {"amounts",
           {{"total_excl_tax", "50.00"},
            {"total_incl_tax", total},
            {"total_remaining_due_incl_tax", remaining}}},
          {"related", json::array({{{"id", 234}, {"type", "company"}}})},
          {"pdf_link", "https://files.example/c.pdf"}};
}

json LinkedInvoice(int64_t id, const std::string& total, const std::string& remaining) {
  return {{"id", id},
          {"amounts", {{"total_incl_tax", total}, {"total_remaining_due_incl_tax", remaining}}}};
}

TEST(SellsyMapping, CreditNoteIsACreditNoteWithItsAllocations) {
  Result<std::optional<SourceRecord>> r =
      MapCreditNote(CreditNote("60.00", "10.00"), {{"invoice/3001", 5000}});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->kind, EntityKind::kCreditNote);
  EXPECT_EQ((*r)->external_id, "credit-note/4001");
  const SourceInvoice& i = InvoiceOf(**r);
  EXPECT_EQ(i.record.kind, "CREDIT_NOTE");
  EXPECT_EQ(i.record.gross_amount, 6000);
  EXPECT_EQ(i.record.net_amount, 5000);
  EXPECT_FALSE(i.record.printed_due_date.has_value());
  ASSERT_EQ(i.allocations.size(), 1u);
  EXPECT_EQ(i.allocations[0].invoice_external_id, "invoice/3001");
  EXPECT_EQ(i.allocations[0].amount, 5000);
}

TEST(SellsyMapping, CreditNoteOnOneInvoiceAllocatesTotalMinusRemaining) {
  Result<std::vector<SourceAllocation>> a = CreditNoteAllocations(
      CreditNote("60.00", "10.00"), {LinkedInvoice(3001, "100.00", "20.00")}, {});
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ((*a)[0].invoice_external_id, "invoice/3001");
  EXPECT_EQ((*a)[0].amount, 5000);
}

TEST(SellsyMapping, CreditNoteOnSeveralInvoicesInfersEachPart) {
  // Credit note 60 of which 55 allocated: invoice 3001 (100, 30 left, 40
  // paid -> 30 credited), invoice 3002 (50, 0 left, nothing paid -> 50, but
  // only 25 left of the credit note).
  std::map<int64_t, std::vector<json>> payments = {
      {3001, {json{{"id", 8001}, {"amount", {{"value", "40.00"}, {"currency", "EUR"}}}}}}};
  Result<std::vector<SourceAllocation>> a = CreditNoteAllocations(
      CreditNote("60.00", "5.00"),
      {LinkedInvoice(3002, "50.00", "0.00"), LinkedInvoice(3001, "100.00", "30.00")}, payments);
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].invoice_external_id, "invoice/3001");
  EXPECT_EQ((*a)[0].amount, 3000);
  EXPECT_EQ((*a)[1].invoice_external_id, "invoice/3002");
  EXPECT_EQ((*a)[1].amount, 2500);
}

TEST(SellsyMapping, UnallocatedCreditNoteHasNoAllocations) {
  Result<std::vector<SourceAllocation>> a = CreditNoteAllocations(
      CreditNote("60.00", "60.00"), {LinkedInvoice(3001, "100.00", "20.00")}, {});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->empty());
}

// ---------------------------------------------------------------- payments

TEST(SellsyMapping, RSellsy6PaymentAllocatedToInvoicesIsImported) {
  Result<std::optional<SourceRecord>> r = MapPayment(Payment());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->external_id, "payment/7");
  const SourcePayment& p = PaymentOf(**r);
  EXPECT_EQ(p.customer_external_id, "company/234");
  EXPECT_EQ(p.record.amount, 100790);
  EXPECT_EQ(p.record.currency, "EUR");
  EXPECT_EQ(p.record.date.ToString(), "2022-05-30");  // Sellsy's own day, not UTC's
  EXPECT_EQ(p.record.method, "TRANSFER");
  EXPECT_EQ(p.record.reference, "VIR-123");
  ASSERT_EQ(p.allocations.size(), 1u);  // the order link is not an invoice
  EXPECT_EQ(p.allocations[0].invoice_external_id, "invoice/3875");
  EXPECT_EQ(p.allocations[0].amount, 50000);
}

TEST(SellsyMapping, RSellsy6PaymentOnAccountIsNotImported) {
  json j = Payment();
  j["related_objects"] = json::array();
  Result<std::optional<SourceRecord>> r = MapPayment(j);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_TRUE((*r)->deleted);
}

TEST(SellsyMapping, RejectedFailedAndRefundPaymentsAreDeleted) {
  for (const char* status : {"rejected", "failed", "refund"}) {
    json j = Payment();
    j["status"] = status;
    Result<std::optional<SourceRecord>> r = MapPayment(j);
    ASSERT_TRUE(r.ok() && r->has_value()) << status;
    EXPECT_TRUE((*r)->deleted) << status;
  }
  json j = Payment();
  j["status"] = "pending";
  Result<std::optional<SourceRecord>> r = MapPayment(j);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_FALSE((*r)->deleted);
}

TEST(SellsyMapping, PaymentMethodsMapToRelanceMethods) {
  EXPECT_EQ(PaymentMethodName(1), "TRANSFER");
  EXPECT_EQ(PaymentMethodName(2), "CHECK");
  EXPECT_EQ(PaymentMethodName(3), "CARD");
  EXPECT_EQ(PaymentMethodName(4), "DIRECT_DEBIT");
  EXPECT_EQ(PaymentMethodName(5), "CASH");
  EXPECT_EQ(PaymentMethodName(7), "OTHER");
  EXPECT_EQ(PaymentMethodName(std::nullopt), "OTHER");
}

TEST(SellsyMapping, MalformedPaymentIsInvalid) {
  json j = Payment();
  j["related_objects"][0]["amount_linked"] = "5OO";
  Result<std::optional<SourceRecord>> r = MapPayment(j);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("Sellsy payment 7"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("amount_linked \"5OO\""), std::string::npos);
  j = Payment();
  j["paid_at"] = "yesterday";
  r = MapPayment(j);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("paid_at"), std::string::npos);
}

// Every field of every fixture replaced by values of other JSON types:
// errors or records, never an exception (none may cross our code).
void EachMutation(const json& base, const std::function<void(const json&)>& check) {
  const std::vector<json> replacements = {nullptr,        5,   -1, 1.5, "x", "", json::array(),
                                          json::object(), true};
  std::vector<json::json_pointer> pointers;
  std::function<void(const json&, const json::json_pointer&)> collect =
      [&](const json& node, const json::json_pointer& at) {
        if (node.is_object()) {
          for (const auto& [key, child] : node.items()) collect(child, at / key);
        } else if (node.is_array()) {
          for (size_t i = 0; i < node.size(); ++i) collect(node[i], at / i);
        }
        if (!at.empty()) pointers.push_back(at);
      };
  collect(base, json::json_pointer());
  for (const auto& pointer : pointers) {
    for (const auto& r : replacements) {
      json mutated = base;
      mutated[pointer] = r;
      check(mutated);
    }
  }
  for (const auto& r : replacements) check(r);
}

TEST(SellsyMapping, WrongTypesAnywhereNeverThrow) {
  EachMutation(Company(), [](const json& j) {
    EXPECT_NO_THROW((void)MapParty(j, PartyKind::kCompany)) << j.dump();
    EXPECT_NO_THROW((void)LinkedPartyOf(j, PartyKind::kIndividual)) << j.dump();
  });
  EachMutation(Contact(5), [](const json& j) {
    EXPECT_NO_THROW((void)MapContact(j, {{PartyKind::kCompany, 1, 5, true}})) << j.dump();
  });
  EachMutation(Invoice(), [](const json& j) { EXPECT_NO_THROW((void)MapInvoice(j)) << j.dump(); });
  EachMutation(CreditNote("60.00", "10.00"), [](const json& j) {
    EXPECT_NO_THROW((void)MapCreditNote(j, {})) << j.dump();
    EXPECT_NO_THROW((void)CreditNoteAllocations(
        j, {LinkedInvoice(1, "1.00", "0.00"), LinkedInvoice(2, "1.00", "0.00")}, {}))
        << j.dump();
  });
  EachMutation(LinkedInvoice(3001, "100.00", "20.00"), [](const json& j) {
    EXPECT_NO_THROW((void)CreditNoteAllocations(CreditNote("60.00", "10.00"), {j, j}, {}))
        << j.dump();
  });
  EachMutation(Payment(), [](const json& j) { EXPECT_NO_THROW((void)MapPayment(j)) << j.dump(); });
  EachMutation(json::parse(R"({"event":"updated","relatedtype":"client","relatedid":"1"})"),
               [](const json& j) {
                 std::string body = "notif=" + net::FormUrlEncode(j.dump());
                 EXPECT_NO_THROW((void)ParseWebhook("application/x-www-form-urlencoded", body))
                     << body;
               });
}

// ---------------------------------------------------------------- ids

TEST(SellsyMapping, ExternalIdsRoundTrip) {
  auto p = ParseExternalId("credit-note/4001");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->prefix, "credit-note");
  EXPECT_EQ(p->id, 4001);
  EXPECT_FALSE(ParseExternalId("item/3").has_value());
  EXPECT_FALSE(ParseExternalId("company/x1").has_value());
  EXPECT_FALSE(ParseExternalId("company").has_value());
}

// ---------------------------------------------------------------- webhooks

std::string Form(const std::string& notif) { return "notif=" + net::FormUrlEncode(notif); }

// JSON escapes and \u sequences (a surrogate pair too) arrive as UTF-8,
// and give the version the same text written as UTF-8 gives.
TEST(SellsyMapping, EscapedAndUnicodeTextIsDecoded) {
  const JsonElement escaped = ParsedText(
      R"({"id": 42, "type": "client", "name": "Caf\u00e9 \"L\u00e9a\" \\ \/ tab\t \ud83d\ude00 \u20ac",
          "_embed": {"smart_tags": [{"value": "\u00e9l\u00e8ve"}]}})");
  Result<SourceRecord> r = sellsy::MapParty(escaped, PartyKind::kCompany);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const domain::Customer& c = std::get<SourceCustomer>(r->data).record;
  EXPECT_EQ(c.name,
            "Caf\xc3\xa9 \"L\xc3\xa9"
            "a\" \\ / tab\t \xf0\x9f\x98\x80 \xe2\x82\xac");
  EXPECT_EQ(c.smart_tags.count("\xc3\xa9l\xc3\xa8ve"), 1u);
  Result<SourceRecord> plain = MapParty(
      json{{"id", 42},
           {"type", "client"},
           {"name", c.name},
           {"_embed", {{"smart_tags", json::array({{{"value", "\xc3\xa9l\xc3\xa8ve"}}})}}}},
      PartyKind::kCompany);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->version, r->version);
}

// Ids are positive integers that fit int64: larger integers, fractions and
// other texts are refused naming the value.
TEST(SellsyMapping, IdsBeyondInt64OrNotIntegersAreRejected) {
  Result<LinkedParty> max =
      sellsy::LinkedPartyOf(ParsedText(R"({"id": 9223372036854775807})"), PartyKind::kCompany);
  ASSERT_TRUE(max.ok()) << max.error().ToString();
  EXPECT_EQ(max->id, INT64_MAX);
  for (const char* id : {"9223372036854775808", "18446744073709551615", "12.5", "12.0", "-3", "0",
                         "1e3", "\"12a\"", "\"\"", "true", "null", "[1]"}) {
    Result<LinkedParty> r = sellsy::LinkedPartyOf(ParsedText(std::string(R"({"id": )") + id + "}"),
                                                  PartyKind::kCompany);
    ASSERT_FALSE(r.ok()) << id;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << id;
    EXPECT_NE(r.error().message().find("Sellsy company: id "), std::string::npos)
        << r.error().message();
    EXPECT_NE(r.error().message().find(" is not an id"), std::string::npos) << r.error().message();
  }
  Result<std::optional<SourceRecord>> fraction = sellsy::MapInvoice(ParsedText(R"({"id": 3.5})"));
  ASSERT_FALSE(fraction.ok());
  EXPECT_EQ(fraction.error().message(), "Sellsy invoice: id 3.5 is not an id");
  Result<std::optional<SourceRecord>> big =
      sellsy::MapInvoice(ParsedText(R"({"id": 9223372036854775808})"));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().message(), "Sellsy invoice: id 9223372036854775808 is not an id");
}

TEST(SellsyWebhook, RSellsy1ParsesANotification) {
  Result<std::vector<ChangeHint>> r = ParseWebhook(
      "application/x-www-form-urlencoded",
      Form(R"({"event":"updated","relatedtype":"client","relatedid":"1001","ownertype":"staff",)"
           R"("ownerid":"1","corpid":"123456","timestamp":"1764614400"})"));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].object_type, "client");
  EXPECT_EQ((*r)[0].object_id, "1001");
  EXPECT_EQ((*r)[0].event, "updated");
}

TEST(SellsyWebhook, ThroughTheConnectorType) {
  const ConnectorType& t = SellsyConnectorType();
  EXPECT_EQ(t.name, "sellsy");
  EXPECT_EQ(t.display_name, "Sellsy");
  EXPECT_EQ(t.policy, &SellsyPolicy());
  Result<std::vector<ChangeHint>> r = t.parse_webhook(
      "application/x-www-form-urlencoded; charset=utf-8",
      "foo=bar&" + Form(R"({"event":"deleted","relatedtype":"payment","relatedid":"8"})"));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].object_type, "payment");
  EXPECT_EQ((*r)[0].event, "deleted");
}

TEST(SellsyWebhook, UnknownRelatedTypeGivesNoHint) {
  Result<std::vector<ChangeHint>> r =
      ParseWebhook("application/x-www-form-urlencoded",
                   Form(R"({"event":"created","relatedtype":"item","relatedid":"5"})"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(SellsyWebhook, MalformedDeliveriesAreInvalid) {
  const std::string ct = "application/x-www-form-urlencoded";
  struct Case {
    std::string body;
    std::string says;
  };
  std::vector<Case> cases = {
      {"other=1", "no notif"},
      {"notif=%7Bnot+json", "not a JSON object"},
      {Form(R"({"event":"updated","relatedid":"5"})"), "relatedtype"},
      {Form(R"({"event":"updated","relatedtype":"client"})"), "relatedid"},
      {Form(R"({"event":"updated","relatedtype":"client","relatedid":"12a"})"), "relatedid"},
      {Form(R"({"event":"updated","relatedtype":"client","relatedid":""})"), "relatedid"},
      {"notif=%7G", "percent-encoding"},
      {"notif=%7", "percent-encoding"},
  };
  for (const auto& c : cases) {
    Result<std::vector<ChangeHint>> r = ParseWebhook(ct, c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << c.body;
    EXPECT_NE(r.error().message().find(c.says), std::string::npos)
        << c.body << " -> " << r.error().message();
  }
  Result<std::vector<ChangeHint>> json_body =
      ParseWebhook("application/json", R"({"relatedtype":"client","relatedid":"1"})");
  ASSERT_FALSE(json_body.ok());
  EXPECT_EQ(json_body.error().code(), ErrorCode::kInvalidArgument);
}

TEST(SellsyConnectorType, CreateChecksSettings) {
  const ConnectorType& t = SellsyConnectorType();
  EXPECT_EQ(t.required_settings, (std::vector<std::string>{"api_url", "token_url"}));
  EXPECT_EQ(t.required_secrets, (std::vector<std::string>{"client_id", "client_secret"}));
  auto missing = t.create({{"api_url", "http://127.0.0.1:1/v2"}}, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("token_url"), std::string::npos);
  auto ok = t.create({{"api_url", "http://127.0.0.1:1/v2"},
                      {"token_url", "http://127.0.0.1:1/oauth2/access-tokens"}},
                     {{"client_id", "a"}, {"client_secret", "b"}});
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ(&(*ok)->policy(), &SellsyPolicy());
}

TEST(SellsyConnectorType, StreamsAreInDependencyOrder) {
  std::vector<std::string> names;
  for (const auto& s : SellsyPolicy().streams) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"companies", "individuals", "contacts", "invoices",
                                             "credit-notes", "payments"}));
  EXPECT_EQ(SellsyPolicy().Find(EntityKind::kInvoice)->deletion, DeletionPolicy::kMarkDeleted);
  EXPECT_EQ(SellsyPolicy().Find(EntityKind::kPayment)->deletion, DeletionPolicy::kPropagate);
}

// ------------------------------------------------------- field[] lists

// `obj` cut down to `paths` as field[] does (the emulator's select_fields):
// a dotted path reaches into objects; a path stops at an array or a scalar,
// kept whole.
json Reduced(const json& obj, const std::vector<std::string>& paths) {
  json out = json::object();
  for (const std::string& path : paths) {
    const json* source = &obj;
    json* target = &out;
    for (size_t start = 0;;) {
      const size_t dot = path.find('.', start);
      const std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
      if (!source->is_object() || !source->contains(part)) break;
      const json& value = (*source)[part];
      if (dot == std::string::npos || !value.is_object()) {
        (*target)[part] = value;
        break;
      }
      if (!target->contains(part)) (*target)[part] = json::object();
      source = &value;
      target = &(*target)[part];
      start = dot + 1;
    }
  }
  return out;
}

// What a mapping made of an object, in one comparable text: the record
// (its version covers every mapped field) and its source_changed_at, or
// nothing, or the error.
std::string Outcome(const Result<SourceRecord>& r) {
  if (!r.ok()) return "error: " + r.error().message();
  return std::string(EntityName(r->kind)) + " " + r->external_id + " " + r->version + " " +
         r->source_changed_at.value_or("-") + (r->deleted ? " deleted" : "");
}
std::string Outcome(const Result<std::optional<SourceRecord>>& r) {
  if (!r.ok()) return "error: " + r.error().message();
  if (!r->has_value()) return "none";
  return Outcome(Result<SourceRecord>(**r));
}
std::string Outcome(const Result<LinkedParty>& r) {
  if (!r.ok()) return "error: " + r.error().message();
  return std::to_string(r->id) + " main " +
         (r->main_contact_id ? std::to_string(*r->main_contact_id) : "-") +
         (r->is_customer ? " customer" : " not a customer");
}
std::string Outcome(const Result<std::vector<SourceAllocation>>& r) {
  if (!r.ok()) return "error: " + r.error().message();
  std::string out;
  for (const auto& a : r.value())
    out += a.invoice_external_id + "=" + std::to_string(a.amount) + " ";
  return out;
}

// Every member `outcome` reads is in `fields`, and every path of `fields` is
// read: the samples cut down to the list map as the whole objects do, and
// for each path, leaving it out changes what some sample maps to.
void ExpectExactFields(const std::string& what, const std::vector<std::string>& fields,
                       const std::vector<json>& samples,
                       const std::function<std::string(const json&)>& outcome) {
  for (const json& sample : samples) {
    EXPECT_EQ(outcome(Reduced(sample, fields)), outcome(sample)) << what << ": " << sample.dump();
  }
  for (const std::string& field : fields) {
    std::vector<std::string> without;
    for (const std::string& f : fields) {
      if (f != field) without.push_back(f);
    }
    bool needed = false;
    for (const json& sample : samples) {
      needed = needed || outcome(Reduced(sample, without)) != outcome(sample);
    }
    EXPECT_TRUE(needed) << what << ": no sample needs " << field;
  }
}

// Objects as the emulator renders them (GET /_control/data, list and search
// answers with embed[]=invoicing_address&embed[]=smart_tags), with every
// mapped member set in at least one of them.
json EmulatorCompany() {
  return json::parse(R"({"id":1001,"type":"client","name":"Faubourg Granit 1 EURL",
    "email":"compta@societe1.example","website":null,"phone_number":"+33170513634",
    "mobile_number":null,"fax_number":null,"legal_france":{"siret":"28080017498320",
    "siren":"280800174","vat":"FR68280800174","ape_naf_code":"6201Z","company_type":"EURL",
    "rcs_immatriculation":null},"capital":null,"reference":"CLI-00001","note":"",
    "auxiliary_code":"411FAUB","social":{"twitter":null,"facebook":null,"linkedin":null,
    "viadeo":null},"rate_category_id":null,"main_contact_id":6061,"dunning_contact_id":6061,
    "invoicing_contact_id":6061,"invoicing_address_id":7001,"delivery_address_id":7001,
    "accounting_code_id":null,"accounting_purchase_code_id":null,"owner":{"id":1,
    "type":"staff"},"created":"2018-01-02T13:50:29+01:00",
    "updated_at":"2018-02-24T22:13:26+01:00","is_archived":false,"business_segment":{"id":5,
    "label":"Services"},"number_of_employees":null,"marketing_campaigns_subscriptions":[],
    "_embed":{"invoicing_address":{"id":7001,"name":"Siège","address_line_1":"39 rue Cèdre",
    "address_line_2":"Bâtiment B","address_line_3":null,"address_line_4":null,
    "postal_code":"33000","city":"Bordeaux","country":"France","country_code":"fr",
    "is_invoicing_address":true,"is_delivery_address":true,"geocode":null},
    "smart_tags":[{"id":3,"value":"vip"}]}})");
}

json EmulatorIndividual() {
  return json::parse(R"({"id":2801,"type":"prospect","last_name":"Dubois 1","first_name":"Zoé",
    "civility":"ms","email":"zoe.1@particulier.example","website":null,"phone_number":null,
    "mobile_number":null,"fax_number":null,"reference":"IND-00001","note":"",
    "auxiliary_code":null,"social":{"twitter":null,"facebook":null,"linkedin":null,
    "viadeo":null},"rate_category_id":null,"main_contact_id":null,"dunning_contact_id":null,
    "invoicing_contact_id":null,"invoicing_address_id":8801,"delivery_address_id":8801,
    "accounting_code_id":null,"accounting_purchase_code_id":null,"owner":{"id":1,
    "type":"staff"},"created":"2018-01-26T08:30:28+01:00",
    "updated_at":"2018-02-06T13:18:14+01:00","is_archived":false,"sync":{"mailchimp":false,
    "mailjet":false,"simplemail":false},"marketing_campaigns_subscriptions":[],
    "_embed":{"invoicing_address":{"id":8801,"name":"Domicile","address_line_1":"31 rue Delta",
    "address_line_2":null,"address_line_3":null,"address_line_4":null,"postal_code":"67000",
    "city":"Strasbourg","country":"France","country_code":"FR","is_invoicing_address":true,
    "is_delivery_address":true,"geocode":null},"smart_tags":[]}})");
}

json EmulatorContact() {
  return json::parse(R"({"id":5001,"civility":"ms","first_name":"Manon","last_name":"Thomas",
    "email":"manon.thomas.1@contact.example","website":null,"phone_number":"+33170000001",
    "mobile_number":"+33600000001","fax_number":null,"position":"DAF","birth_date":null,
    "avatar":null,"note":"","invoicing_address_id":null,"delivery_address_id":null,
    "social":{"twitter":null,"facebook":null,"linkedin":null,"viadeo":null},
    "sync":{"mailchimp":false,"mailjet":false,"simplemail":false},"owner":{"id":1,
    "type":"staff"},"created":"2018-01-01T08:30:18+01:00","updated":"2018-02-05T17:26:43+01:00",
    "is_archived":false,"marketing_campaigns_subscriptions":[]})");
}

json EmulatorInvoice() {
  return json::parse(R"({"id":3001,"number":"INV-2018-01-01-001","status":"late",
    "date":"2018-01-01","due_date":"2018-01-31","created":"2018-01-01T10:41:51+01:00",
    "subject":"Facture 2018-01-01","currency":"EUR","amounts":{"total_raw_excl_tax":"1392.90",
    "total_after_discount_excl_tax":"1392.90","total_packaging":"0.00","total_shipping":"0.00",
    "total_excl_tax":"1392.90","total_incl_tax":"1671.48",
    "total_remaining_due_incl_tax":"1671.48","total_primes_incl_tax":"0.00"},"taxes":[{"id":1,
    "label":"TVA","rate":"20.00","amount":"278.58"}],"discount":{"percent":"0.00",
    "amount":"0.00","type":"amount"},"related":[{"id":1891,"type":"company"},{"id":5767,
    "type":"contact"}],"public_link":{"enabled":true,
    "url":"http://127.0.0.1:18790/_public/invoices/3001/9a45402d44cf42af"},
    "payment_conditions_acceptance":{"enabled":false},"owner":{"id":1,"type":"staff"},
    "fiscal_year_id":2018,
    "pdf_link":"http://127.0.0.1:18790/_files/invoices/3001/9a45402d44cf42af.pdf",
    "decimal_number":{"unit_price":2,"quantity":2,"main":2},"assigned_staff_id":null,
    "contact_id":5767,"invoicing_address_id":7891,"delivery_address_id":7891,"parent":null,
    "order_reference":null,"is_deposit":false,"rate_category_id":null,"service_dates":null,
    "note":"","subscription_id":null,"is_sent_to_accounting":false,"shipping_date":null})");
}

json EmulatorCreditNote() {
  return json::parse(R"({"id":4001,"number":"CRED-2023-04-15-9524","status":"partialspend",
    "date":"2023-04-15","created":"2023-04-15T00:55:53+02:00",
    "subject":"Avoir sur INV-2023-03-16-5538","currency":"EUR",
    "amounts":{"total_raw_excl_tax":"622.11","total_after_discount_excl_tax":"622.11",
    "total_packaging":"0.00","total_shipping":"0.00","total_excl_tax":"622.11",
    "total_incl_tax":"746.53","total_remaining_due_incl_tax":"100.00",
    "total_primes_incl_tax":"0.00"},"taxes":[{"id":1,"label":"TVA","rate":"20.00",
    "amount":"124.42"}],"discount":{"percent":"0.00","amount":"0.00","type":"amount"},
    "related":[{"id":2462,"type":"company"}],"public_link":{"enabled":true,
    "url":"http://127.0.0.1:18790/_public/credit-notes/4001/63b7be55c7892142"},"owner":{"id":1,
    "type":"staff"},"fiscal_year_id":2023,
    "pdf_link":"http://127.0.0.1:18790/_files/credit-notes/4001/63b7be55c7892142.pdf",
    "decimal_number":{"unit_price":2,"quantity":2,"main":2},"assigned_staff_id":null,
    "contact_id":null,"invoicing_address_id":8462,"delivery_address_id":8462,"is_deposit":false,
    "rate_category_id":null,"service_dates":null,"note":"","is_sent_to_accounting":false})");
}

// An invoice of GET /credit-notes/{id}/invoices, and one of its
// GET /invoices/{id}/payments items.
json EmulatorLinkedInvoice(int64_t id, const std::string& total, const std::string& remaining) {
  json i = EmulatorInvoice();
  i["id"] = id;
  i["amounts"]["total_incl_tax"] = total;
  i["amounts"]["total_remaining_due_incl_tax"] = remaining;
  return i;
}
json EmulatorInvoicePayment(int64_t id, const std::string& value) {
  json p = json::parse(R"({"number":"VIR-000001","paid_at":"2019-05-18T18:01:54+02:00",
    "status":"confirmed","payment_method_id":7,"type":"credit","amount":{"currency":"EUR"},
    "related":[{"id":4464,"type":"invoice"}]})");
  p["id"] = id;
  p["amount"]["value"] = value;
  return p;
}

json EmulatorPayment() {
  return json::parse(R"({"id":8001,"number":"VIR-000001","paid_at":"2019-05-18T18:01:54+02:00",
    "status":"confirmed","payment_method_id":2,"type":"credit","amounts":{"total":"429.68",
    "remaining":"0.00"},"currency":"EUR","bank_deposit":null,"related":{"id":1703,
    "type":"company"},"related_objects":[{"id":4464,"type":"invoice","amount_linked":"429.68",
    "linked_date":"2019-05-18"}],"note":null})");
}

// One copy of `obj` per change: {"a.b": value} sets a nested member.
std::vector<json> Variants(const json& obj,
                           const std::vector<std::pair<std::string, json>>& changes) {
  std::vector<json> out = {obj};
  for (const auto& [path, value] : changes) {
    json v = obj;
    v[json::json_pointer("/" + std::regex_replace(path, std::regex("\\."), "/"))] = value;
    out.push_back(std::move(v));
  }
  return out;
}

TEST(SellsyMapping, PartyFieldsAreExactlyWhatTheMappingReads) {
  for (PartyKind kind : {PartyKind::kCompany, PartyKind::kIndividual}) {
    const json base = kind == PartyKind::kCompany ? EmulatorCompany() : EmulatorIndividual();
    const std::vector<json> samples =
        Variants(base, {{"type", "supplier"},
                        {"auxiliary_code", "411X"},
                        {"main_contact_id", 5001},
                        {"_embed.invoicing_address.address_line_2", "Appartement 3"},
                        {"_embed.smart_tags", json::array({{{"id", 4}, {"value", "b2c"}}})}});
    ExpectExactFields(kind == PartyKind::kCompany ? "company" : "individual", PartyFields(kind),
                      samples, [kind](const json& p) {
                        return Outcome(MapParty(p, kind)) + " | " + Outcome(LinkedPartyOf(p, kind));
                      });
  }
  // The companies of GET /contacts/{id}/companies and the index of individuals.
  ExpectExactFields("linked party", LinkedPartyFields(),
                    Variants(EmulatorCompany(), {{"type", "supplier"}}),
                    [](const json& p) { return Outcome(LinkedPartyOf(p, PartyKind::kCompany)); });
}

TEST(SellsyMapping, ContactFieldsAreExactlyWhatTheMappingReads) {
  const std::vector<LinkedParty> parties = {{PartyKind::kCompany, 1001, 5001, true}};
  ExpectExactFields("contact", ContactFields(),
                    Variants(EmulatorContact(), {{"phone_number", nullptr}}),
                    [&](const json& c) { return Outcome(MapContact(c, parties)); });
}

TEST(SellsyMapping, DocumentFieldsAreExactlyWhatTheMappingsRead) {
  const std::vector<std::pair<std::string, json>> changes = {
      {"status", "cancelled"}, {"currency", "USD"}, {"due_date", "2018-01-01"}};
  ExpectExactFields("invoice", InvoiceFields(), Variants(EmulatorInvoice(), changes),
                    [](const json& i) { return Outcome(MapInvoice(i)); });
  // A credit note on two invoices, one of them partly paid: the allocations
  // read the credit note's, the invoices' and the payments' members.
  const std::vector<json> invoices = {EmulatorLinkedInvoice(3001, "500.00", "0.00"),
                                      EmulatorLinkedInvoice(3002, "300.00", "100.00")};
  const std::map<int64_t, std::vector<json>> payments = {
      {3002, {EmulatorInvoicePayment(8001, "50.00")}}};
  auto credit_note = [&](const json& cn, const std::vector<json>& linked,
                         const std::map<int64_t, std::vector<json>>& paid) {
    Result<std::vector<SourceAllocation>> a = CreditNoteAllocations(cn, linked, paid);
    return Outcome(a) + " | " +
           Outcome(MapCreditNote(cn, a.ok() ? *a : std::vector<SourceAllocation>{}));
  };
  ExpectExactFields("credit note", CreditNoteFields(), Variants(EmulatorCreditNote(), changes),
                    [&](const json& cn) { return credit_note(cn, invoices, payments); });
  ExpectExactFields("linked invoice", LinkedInvoiceFields(), {invoices[1]}, [&](const json& i) {
    return credit_note(EmulatorCreditNote(), {invoices[0], i}, payments);
  });
  ExpectExactFields("invoice payment", InvoicePaymentFields(), payments.at(3002),
                    [&](const json& p) {
                      return credit_note(EmulatorCreditNote(), invoices, {{3002, {p}}});
                    });
}

TEST(SellsyMapping, PaymentFieldsAreExactlyWhatTheMappingReads) {
  ExpectExactFields("payment", PaymentFields(),
                    Variants(EmulatorPayment(), {{"status", "rejected"}, {"currency", "USD"}}),
                    [](const json& p) { return Outcome(MapPayment(p)); });
}

// The versions stored by earlier releases: a change of the hashed text
// would rewrite every record once. Covers each kind, nulls, smart tags,
// escapes, non-ASCII text and invalid UTF-8 (replaced before hashing).
TEST(SellsyMapping, VersionsAreTheOnesAlreadyStored) {
  std::vector<std::pair<std::string, std::string>> got;
  auto add = [&](const std::string& what, const Result<SourceRecord>& r) {
    ASSERT_TRUE(r.ok()) << what << ": " << r.error().ToString();
    got.emplace_back(what, r->version);
  };
  auto add_opt = [&](const std::string& what, const Result<std::optional<SourceRecord>>& r) {
    ASSERT_TRUE(r.ok() && r->has_value()) << what;
    got.emplace_back(what, (*r)->version);
  };
  add("company", MapParty(Company(), PartyKind::kCompany));
  // An answer is valid UTF-8 (simdjson refuses anything else, as nlohmann's
  // parser did), so the invalid byte goes into the mapped name, whose
  // version is computed again.
  const std::string bad = " bad\xff";
  const std::string odd_name =
      "Q \"uote\" \\ tab\t ctl\x01 del\x7f" + bad + " end \xc3\xa9t\xc3\xa9 \xe2\x82\xac";
  json odd = Company();
  odd["name"] = "Q \"uote\" \\ tab\t ctl\x01 del\x7f end \xc3\xa9t\xc3\xa9 \xe2\x82\xac";
  odd["_embed"]["smart_tags"].push_back({{"id", 3}, {"value", "\xc3\xa9l\xc3\xa8ve/\"x\""}});
  Result<SourceRecord> odd_company = MapParty(odd, PartyKind::kCompany);
  if (odd_company.ok()) {
    std::get<SourceCustomer>(odd_company->data).record.name = odd_name;
    odd_company->version = ComputeVersion(*odd_company);
  }
  add("odd company", odd_company);
  add("individual", MapParty(json{{"id", 77}, {"type", "prospect"}, {"last_name", "Martin"}},
                             PartyKind::kIndividual));
  add("contact", MapContact(Contact(6654), {{PartyKind::kCompany, 10, 6654, true}}));
  add("other contact", MapContact(Contact(5), {{PartyKind::kIndividual, 3, std::nullopt, true}}));
  add_opt("invoice", MapInvoice(Invoice()));
  json no_due = Invoice();
  no_due.erase("due_date");
  no_due.erase("pdf_link");
  no_due["status"] = "cancelled";
  add_opt("void invoice", MapInvoice(no_due));
  add_opt("credit note", MapCreditNote(CreditNote("60.00", "10.00"),
                                       {{"invoice/3001", 5000}, {"invoice/3002", 100}}));
  add_opt("payment", MapPayment(Payment()));
  json no_ref = Payment();
  no_ref.erase("number");
  no_ref["payment_method_id"] = 9;
  add_opt("payment without number", MapPayment(no_ref));
  got.emplace_back("deleted", DeletedRecord(EntityKind::kInvoice, "invoice/9").version);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"company", "7d4eb3128d717530"},       {"odd company", "5925d6a817c399c0"},
      {"individual", "f044e9c9cc9b8149"},    {"contact", "53d3de22140241fd"},
      {"other contact", "54c1c70709569e41"}, {"invoice", "aeaf47c27cd32ecd"},
      {"void invoice", "eeaa46c2840114eb"},  {"credit note", "08c56ef85759401b"},
      {"payment", "701a511d58215855"},       {"payment without number", "96f0a988f16c6065"},
      {"deleted", "5f8ae355d64ad093"},
  };
  EXPECT_EQ(got, expected);
}

// ---------------------------------------------------------------- versions

TEST(SellsyMapping, VersionTextIsPrintfHex) {
  std::mt19937_64 random(7);
  std::vector<uint64_t> hashes = {0, 1, 0xf, 0x10, 0xabcdef, 0x8000000000000000ull, UINT64_MAX};
  for (int i = 0; i < 1000; ++i) hashes.push_back(random() >> (i % 64));
  for (uint64_t h : hashes) {
    char expected[17];
    std::snprintf(expected, sizeof expected, "%016llx", static_cast<unsigned long long>(h));
    EXPECT_EQ(VersionText(h), expected) << h;
  }
}

// What the versions already stored hashed: nlohmann's dump of this tree of
// the mapped fields (objects as std::maps, keys in byte order), FNV-1a.
std::string ReferenceVersion(const SourceRecord& r) {
  auto opt = [](const auto& v) { return v ? json(*v) : json(nullptr); };
  auto allocations = [](const std::vector<SourceAllocation>& list) {
    json out = json::array();
    for (const auto& a : list) out.push_back(json::array({a.invoice_external_id, a.amount}));
    return out;
  };
  json tree = json::object();
  if (!r.deleted) {
    if (const auto* c = std::get_if<SourceContact>(&r.data)) {
      const domain::Contact& x = c->record;
      tree["contact"] = {{"customer", c->customer_external_id},
                         {"email", x.email},
                         {"first_name", opt(x.first_name)},
                         {"is_main", x.is_main},
                         {"last_name", opt(x.last_name)},
                         {"phone", opt(x.phone)},
                         {"position", opt(x.position)}};
    } else if (const auto* cu = std::get_if<SourceCustomer>(&r.data)) {
      const domain::Customer& x = cu->record;
      json tags = json::object();
      for (const auto& [k, v] : x.smart_tags) tags[k] = v;
      tree["customer"] = {{"accounting_code", opt(x.accounting_code)},
                          {"city", opt(x.city)},
                          {"country", opt(x.country)},
                          {"name", x.name},
                          {"parent", opt(cu->parent_external_id)},
                          {"postal_code", opt(x.postal_code)},
                          {"smart_tags", tags},
                          {"status", x.status},
                          {"street", opt(x.street)},
                          {"vat_number", opt(x.vat_number)}};
    } else if (const auto* i = std::get_if<SourceInvoice>(&r.data)) {
      const domain::Invoice& x = i->record;
      tree["invoice"] = {
          {"allocations", allocations(i->allocations)},
          {"currency", x.currency},
          {"customer", i->customer_external_id},
          {"due_date", x.due_date.ToString()},
          {"gross", x.gross_amount},
          {"is_void", x.is_void},
          {"issue_date", x.issue_date.ToString()},
          {"kind", x.kind},
          {"net", x.net_amount},
          {"number", x.number},
          {"payable_on_receipt", x.payable_on_receipt},
          {"pdf_url", opt(x.pdf_url)},
          {"printed_due_date",
           x.printed_due_date ? json(x.printed_due_date->ToString()) : json(nullptr)},
          {"tax", x.tax_amount}};
    } else if (const auto* p = std::get_if<SourcePayment>(&r.data)) {
      const domain::Payment& x = p->record;
      tree["payment"] = {{"allocations", allocations(p->allocations)},
                         {"amount", x.amount},
                         {"currency", x.currency},
                         {"customer", p->customer_external_id},
                         {"date", x.date.ToString()},
                         {"method", x.method},
                         {"reference", opt(x.reference)}};
    }
  }
  tree["deleted"] = r.deleted;
  tree["id"] = r.external_id;
  tree["kind"] = std::string(EntityName(r.kind));
  const std::string text = tree.dump(-1, ' ', false, json::error_handler_t::replace);
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

// The version is computed without building that tree or its text: on many
// records of every kind, with texts nlohmann writes as they are, escapes,
// valid and invalid UTF-8, it is the same hash.
TEST(SellsyMapping, VersionIsTheHashOfTheCanonicalTree) {
  std::mt19937 random(42);
  const std::vector<std::string> pool = {
      "",
      "x",
      "plain text longer than eight bytes",
      "Caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc3\xa9l\xc3\xa8ve",
      "del\x7f and more than eight",
      "Q \"uote\" \\ back",
      "tab\t nl\n cr\r ff\f bs\b ctl\x01 \x1f",
      "bad\xff byte",
      "cut \xc3",
      "\xe2\x82",
      "surrogate \xed\xa0\x80",
      "beyond \xf4\x90\x80\x80",
      "overlong \xc0\xaf",
      "/ slash <tag> & {json}: [1, 2]",
  };
  auto text = [&]() -> std::string {
    if (random() % 3 != 0) return pool[random() % pool.size()];
    std::string s(random() % 40, ' ');
    for (char& c : s) {
      const unsigned r = random() % 10;
      c = static_cast<char>(r < 6 ? 'a' + random() % 26 : r < 8 ? random() % 256 : 0x20 + random() % 96);
    }
    return s;
  };
  auto opt = [&]() -> std::optional<std::string> {
    if (random() % 4 == 0) return std::nullopt;
    return text();
  };
  auto amount = [&]() -> int64_t {
    switch (random() % 5) {
      case 0:
        return INT64_MIN;
      case 1:
        return INT64_MAX;
      case 2:
        return 0;
      default:
        return static_cast<int64_t>(random()) - (int64_t{1} << 31);
    }
  };
  auto day = [&]() {
    // Years 0001..9999 mostly, some beyond (Date::ToString's other branch).
    return Date::FromDays(static_cast<int32_t>(random() % 20) == 0
                              ? static_cast<int32_t>(random() % 6000000) - 3000000
                              : static_cast<int32_t>(random() % 2900000) - 719000);
  };
  auto allocations = [&]() {
    std::vector<SourceAllocation> out(random() % 4);
    for (auto& a : out) a = {text(), amount()};
    return out;
  };
  for (int n = 0; n < 2000; ++n) {
    SourceRecord r;
    r.external_id = text();
    r.deleted = random() % 5 == 0;
    switch (random() % 5) {
      case 0: {
        r.kind = EntityKind::kCustomer;
        SourceCustomer c;
        c.record.accounting_code = opt();
        c.record.city = opt();
        c.record.country = opt();
        c.record.name = text();
        c.parent_external_id = opt();
        c.record.postal_code = opt();
        for (unsigned t = random() % 4; t > 0; --t) c.record.smart_tags[text()] = text();
        c.record.status = text();
        c.record.street = opt();
        c.record.vat_number = opt();
        r.data = std::move(c);
        break;
      }
      case 1: {
        r.kind = EntityKind::kContact;
        SourceContact c;
        c.customer_external_id = text();
        c.record.email = text();
        c.record.first_name = opt();
        c.record.is_main = random() % 2 == 0;
        c.record.last_name = opt();
        c.record.phone = opt();
        c.record.position = opt();
        r.data = std::move(c);
        break;
      }
      case 2:
      case 3: {
        r.kind = random() % 2 == 0 ? EntityKind::kInvoice : EntityKind::kCreditNote;
        SourceInvoice i;
        i.allocations = allocations();
        i.record.currency = text();
        i.customer_external_id = text();
        i.record.due_date = day();
        i.record.gross_amount = amount();
        i.record.is_void = random() % 2 == 0;
        i.record.issue_date = day();
        i.record.kind = text();
        i.record.net_amount = amount();
        i.record.number = text();
        i.record.payable_on_receipt = random() % 2 == 0;
        i.record.pdf_url = opt();
        if (random() % 2 == 0) i.record.printed_due_date = day();
        i.record.tax_amount = amount();
        r.data = std::move(i);
        break;
      }
      default: {
        r.kind = EntityKind::kPayment;
        SourcePayment p;
        p.allocations = allocations();
        p.record.amount = amount();
        p.record.currency = text();
        p.customer_external_id = text();
        p.record.date = day();
        p.record.method = text();
        p.record.reference = opt();
        r.data = std::move(p);
        break;
      }
    }
    ASSERT_EQ(ComputeVersion(r), ReferenceVersion(r)) << "record " << n;
  }
}

// The days in a version are written as Date::ToString writes them, on
// every side of the years 0..9999 it writes digit by digit.
TEST(SellsyMapping, VersionDaysAreDateText) {
  SourceRecord r;
  r.kind = EntityKind::kInvoice;
  r.external_id = "invoice/1";
  r.data = SourceInvoice{};
  auto& x = std::get<SourceInvoice>(r.data).record;
  auto check = [&](int32_t day) {
    x.issue_date = Date::FromDays(day);
    x.due_date = Date::FromDays(-day / 2);
    x.printed_due_date = Date::FromDays(day + 1);
    ASSERT_EQ(ComputeVersion(r), ReferenceVersion(r)) << x.issue_date.ToString();
  };
  // Every day around years 0 (-719528 is 0000-01-01) and 10000 (2932897 is
  // 10000-01-01), one in 9973 elsewhere.
  for (int32_t day = -720600; day < -718400; ++day) check(day);
  for (int32_t day = 2932000; day < 2933300; ++day) check(day);
  for (int32_t day = -4000000; day <= 3000000; day += 9973) check(day);
}

// ParseDay is Date::Parse, ok or not, and the same day.
TEST(SellsyMapping, ParseDayIsDateParse) {
  auto check = [](const std::string& text) {
    Result<Date> expected = Date::Parse(text);
    std::optional<Date> got = ParseDay(text);
    ASSERT_EQ(got.has_value(), expected.ok()) << text;
    if (got) {
      EXPECT_EQ(*got, *expected) << text;
    }
  };
  // Every day of some years (leap rules, the range's ends), then a day in
  // seven over the whole range, written as Date writes them.
  const Date first = Date::FromYmd(1, 1, 1).value();
  const Date last = Date::FromYmd(9999, 12, 31).value();
  for (int32_t day = first.days_since_epoch(); day <= last.days_since_epoch(); ++day) {
    const Date d = Date::FromDays(day);
    const int y = d.year();
    if (y <= 5 || (y >= 1599 && y <= 1601) || (y >= 1899 && y <= 1901) ||
        (y >= 1999 && y <= 2101) || y >= 9996 || day % 7 == 0) {
      check(d.ToString());
    }
  }
  // Texts of days that do not exist, or are not of the format.
  char buf[32];
  for (int y : {0, 1, 1900, 2000, 2023, 2024, 9999}) {
    for (int m = 0; m <= 13; ++m) {
      for (int d = 0; d <= 32; ++d) {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
        check(buf);
      }
    }
  }
  for (const char* text : {"", "2024-01-1", "2024-01-011", "2024/01/01", "2024-1-01 ", " 2024-01-1",
                           "+024-01-01", "-024-01-01", "2024-0a-01", "2024-01-0:", "20240101xx",
                           "2024-01-01T", "2024\xc3\xa9-01-01", "0000-01-01", "2024--1-01"}) {
    check(text);
  }
}

}  // namespace
}  // namespace relance::sync::sellsy
