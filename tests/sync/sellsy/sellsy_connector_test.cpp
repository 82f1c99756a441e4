// SellsyConnector against the Sellsy emulator (tests/emulators/sellsy/),
// started once for the suite; each test resets and seeds it through the
// control API. Covers every stream, refetches, snapshots, webhooks, token
// expiry, rate limits and faults (R-SELLSY-1..9).
#include "sync/connectors/sellsy/sellsy_connector.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/money.h"
#include "delivery/emulator.h"

namespace relance::sync::sellsy {
namespace {

using nlohmann::json;
using test::Emulator;
using test::StartEmulator;

// An item's integer id, or nullopt.
std::optional<int64_t> IdOf(JsonElement item) {
  int64_t id = 0;
  std::optional<JsonElement> v = JsonMember(item, "id");
  if (!v || v->get(id) != simdjson::SUCCESS) return std::nullopt;
  return id;
}

constexpr char kClientId[] = "relance-test-client";
constexpr char kClientSecret[] = "relance-test-secret";

const char* kSeed = R"({
 "companies": [
  {"id": 1001, "type": "client", "name": "ACME", "email": "billing@acme.test",
   "auxiliary_code": "411ACME", "legal_france": {"vat": "FR12345678901"},
   "created": "2019-06-01T10:00:00+02:00"},
  {"id": 1002, "type": "prospect", "name": "Beta SARL", "created": "2019-06-02T10:00:00+02:00"},
  {"id": 1003, "type": "supplier", "name": "Fournisseur SA", "created": "2019-06-03T10:00:00+02:00"}],
 "individuals": [{"id": 1501, "type": "client", "first_name": "Jeanne", "last_name": "Martin"}],
 "contacts": [
  {"id": 5001, "first_name": "Alice", "last_name": "Compta", "email": "alice@acme.test",
   "phone_number": "+33100000001"},
  {"id": 5002, "first_name": "Bob", "last_name": "Vente", "email": "bob@acme.test",
   "mobile_number": "+33600000002"},
  {"id": 5003, "last_name": "Seul", "email": "seul@x.test"},
  {"id": 5004, "last_name": "Indiv", "email": "indiv@x.test"},
  {"id": 5005, "last_name": "Fourn", "email": "fourn@x.test"}],
 "addresses": [{"owner": {"type": "company", "id": 1001}, "name": "HQ", "address_line_1": "1 rue A",
                "postal_code": "75001", "city": "Paris", "country_code": "FR"}],
 "links": [
  {"party": {"type": "company", "id": 1001}, "contact_id": 5001, "roles": ["main"]},
  {"party": {"type": "company", "id": 1001}, "contact_id": 5002, "roles": []},
  {"party": {"type": "individual", "id": 1501}, "contact_id": 5004},
  {"party": {"type": "company", "id": 1003}, "contact_id": 5005, "roles": ["main"]}],
 "invoices": [
  {"id": 3001, "related": [{"type": "company", "id": 1001}], "date": "2024-03-01", "status": "due",
   "rows": [{"type": "single", "unit_amount": "100.00", "quantity": "1", "tax_id": 1}]},
  {"id": 3002, "related": [{"type": "company", "id": 1001}], "date": "2024-03-05", "status": "due",
   "payment_terms_id": 1,
   "rows": [{"type": "single", "unit_amount": "10.05", "quantity": "3", "tax_id": 1}]},
  {"id": 3003, "related": [{"type": "company", "id": 1001}], "date": "2017-06-03", "status": "due",
   "rows": [{"type": "single", "unit_amount": "100.00", "quantity": "1", "tax_id": 1}]},
  {"id": 3004, "related": [{"type": "individual", "id": 1501}], "date": "2024-04-01", "status": "draft",
   "rows": [{"type": "single", "unit_amount": "5.00", "quantity": "1", "tax_id": 1}]},
  {"id": 3005, "related": [{"type": "company", "id": 1001}], "date": "2024-04-02", "status": "due",
   "rows": [{"type": "single", "unit_amount": "7.00", "quantity": "1", "tax_id": 1}]}],
 "credit_notes": [
  {"id": 4001, "related": [{"type": "company", "id": 1001}], "date": "2024-03-10", "status": "stored",
   "rows": [{"type": "single", "unit_amount": "10.00", "quantity": "1", "tax_id": 1}]}],
 "payments": [
  {"id": 8001, "related": {"type": "company", "id": 1001}, "paid_at": "2024-03-20T10:00:00+01:00",
   "number": "VIR-1", "payment_method_id": 1, "type": "credit",
   "amount": {"value": "50.00", "currency": "EUR"}},
  {"id": 8002, "related": {"type": "company", "id": 1001}, "paid_at": "2024-03-21T10:00:00+01:00",
   "payment_method_id": 2, "type": "credit", "amount": {"value": "20.00", "currency": "EUR"}},
  {"id": 8003, "related": {"type": "company", "id": 1001}, "paid_at": "2017-03-21T10:00:00+01:00",
   "payment_method_id": 2, "type": "credit", "amount": {"value": "20.00", "currency": "EUR"}}],
 "allocations": [
  {"invoice_id": 3001, "payment_id": 8001, "amount": "50.00"},
  {"invoice_id": 3001, "credit_note_id": 4001, "amount": "12.00"},
  {"invoice_id": 3003, "payment_id": 8003, "amount": "20.00"}],
 "smart_tags": [{"resource": "companies", "id": 1001, "tags": [{"value": "vip"}, {"value": "export"}]}]
})";

class SellsyConnectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    emulator_ = new Emulator(
        StartEmulator("sellsy/sellsy_emulator.py", {"--port", "0", "--rate-limit", "0"}));
  }
  static void TearDownTestSuite() {
    delete emulator_;
    emulator_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(emulator_->port, 0);
    ASSERT_EQ(Control("POST", "/_control/reset", json::object()), 204);
    ASSERT_EQ(Control("PUT", "/_control/quotas", {{"per_second", nullptr}}), 200);
    ASSERT_EQ(emulator_->Post("/_control/seed", json::parse(kSeed)), 200);
    connector_ = std::make_unique<SellsyConnector>(Options());
  }

  SellsyClientOptions Options(std::string secret = kClientSecret) {
    SellsyClientOptions o;
    o.api_url = emulator_->BaseUrl() + "/v2";
    o.token_url = emulator_->BaseUrl() + "/oauth2/access-tokens";
    o.client_id = kClientId;
    o.client_secret = std::move(secret);
    o.timeout_ms = 5000;
    o.sleep = [this](std::chrono::milliseconds d) { sleeps_.push_back(d); };
    return o;
  }

  static int Control(const std::string& method, const std::string& path, const json& body) {
    httplib::Client c("127.0.0.1", emulator_->port);
    httplib::Result r = method == "PUT"     ? c.Put(path, body.dump(), "application/json")
                        : method == "PATCH" ? c.Patch(path, body.dump(), "application/json")
                                            : c.Post(path, body.dump(), "application/json");
    return r ? r->status : -1;
  }
  static void Fault(const json& rule) { ASSERT_EQ(emulator_->Post("/_control/faults", rule), 201); }
  // Credit note 4002 (20.00 incl. tax) allocating 5.00 to invoice 3002 and
  // 4.00 to invoice 3005.
  static void AddCreditNoteOnTwoInvoices() {
    httplib::Client c("127.0.0.1", emulator_->port);
    auto created = c.Post("/_control/objects/credit-notes",
                          R"({"id": 4002, "related": [{"type": "company", "id": 1001}],
                              "date": "2024-05-01", "status": "stored",
                              "rows": [{"type": "single", "unit_amount": "20.00", "quantity": "1",
                                        "tax_id": 1}]})",
                          "application/json");
    ASSERT_TRUE(created && created->status == 201) << (created ? created->body : "no answer");
    ASSERT_EQ(emulator_->Post("/_control/allocations",
                              {{"invoice_id", 3002}, {"credit_note_id", 4002}, {"amount", "5.00"}}),
              201);
    ASSERT_EQ(emulator_->Post("/_control/allocations",
                              {{"invoice_id", 3005}, {"credit_note_id", 4002}, {"amount", "4.00"}}),
              201);
  }
  // Requests served since the last reset: by "METHOD /route" and, for the
  // sub-requests of batches, by "METHOD /route status" (README, Batches).
  static json Routes() { return emulator_->Get("/_control/stats")["requests"]["by_route"]; }
  static json Batched() { return emulator_->Get("/_control/stats")["requests"]["batched"]; }

  // Walks `stream` from `cursor` to its end.
  struct Walk {
    std::map<std::string, SourceRecord> records;  // by kind name + external id
    int pages = 0;
    std::string last_cursor;
    bool scan_complete = false;
    std::vector<bool> complete_flags;
  };
  Walk WalkStream(const std::string& stream, std::string cursor = "") {
    Walk w;
    for (int guard = 0; guard < 1000; ++guard) {
      Result<FetchPage> page = connector_->Fetch(stream, cursor);
      EXPECT_TRUE(page.ok()) << stream << ": " << page.error().ToString();
      if (!page.ok()) break;
      ++w.pages;
      for (auto& r : page->records) {
        w.records[std::string(EntityName(r.kind)) + ":" + r.external_id] = r;
      }
      w.complete_flags.push_back(page->scan_complete);
      cursor = page->next_cursor;
      if (!page->more) {
        w.scan_complete = page->scan_complete;
        break;
      }
    }
    w.last_cursor = cursor;
    return w;
  }

  static Emulator* emulator_;
  std::unique_ptr<SellsyConnector> connector_;
  std::vector<std::chrono::milliseconds> sleeps_;
};

Emulator* SellsyConnectorTest::emulator_ = nullptr;

const SourceRecord* Find(const std::map<std::string, SourceRecord>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

// The contact `key` of a walk is attached to `customer`, as its main
// contact (ACCOUNTING) or not (SALES), R-SELLSY-3.
void ExpectAttached(const std::map<std::string, SourceRecord>& records, const std::string& key,
                    const std::string& customer, bool is_main) {
  const SourceRecord* r = Find(records, key);
  ASSERT_NE(r, nullptr) << key;
  ASSERT_FALSE(r->deleted) << key;
  const SourceContact& c = std::get<SourceContact>(r->data);
  EXPECT_EQ(c.customer_external_id, customer) << key;
  EXPECT_EQ(c.record.is_main, is_main) << key;
  EXPECT_EQ(c.record.position, is_main ? "ACCOUNTING" : "SALES") << key;
}

TEST_F(SellsyConnectorTest, TestCredentialsWorks) {
  Result<void> r = connector_->TestCredentials();
  EXPECT_TRUE(r.ok()) << r.error().ToString();
}

TEST_F(SellsyConnectorTest, CreatedThroughTheConnectorType) {
  Result<std::unique_ptr<Connector>> c =
      SellsyConnectorType().create({{"api_url", emulator_->BaseUrl() + "/v2"},
                                    {"token_url", emulator_->BaseUrl() + "/oauth2/access-tokens"}},
                                   {{"client_id", kClientId}, {"client_secret", kClientSecret}});
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  ASSERT_TRUE((*c)->TestCredentials().ok());
  Result<FetchPage> page = (*c)->Fetch("invoices", "");
  ASSERT_TRUE(page.ok()) << page.error().ToString();
  EXPECT_FALSE(page->records.empty());
}

TEST_F(SellsyConnectorTest, TokenEndpointDownIsUnavailable) {
  Fault({{"path", "/oauth2"}, {"mode", "error"}, {"count", 50}});
  Result<void> r = connector_->TestCredentials();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message().find("/oauth2/access-tokens"), std::string::npos)
      << r.error().message();
  EXPECT_EQ(r.error().message().find(kClientSecret), std::string::npos);
}

TEST_F(SellsyConnectorTest, BadCursorsAndStreamsAreInvalid) {
  for (const char* cursor : {"not json", "[1]", R"({"since": "yesterday"})", R"({"offset": 5})"}) {
    Result<FetchPage> r = connector_->Fetch("companies", cursor);
    ASSERT_FALSE(r.ok()) << cursor;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << cursor;
    EXPECT_NE(r.error().message().find("companies"), std::string::npos) << r.error().message();
  }
  Result<FetchPage> lenient = connector_->Fetch("companies", R"({"full": "x", "other": 1})");
  EXPECT_TRUE(lenient.ok());
  Result<FetchPage> unknown = connector_->Fetch("estimates", "");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), ErrorCode::kInvalidArgument);
  Result<std::vector<SourceRecord>> bad_hint = connector_->Refetch({"client", "12x", "updated"});
  ASSERT_FALSE(bad_hint.ok());
  EXPECT_EQ(bad_hint.error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(SellsyConnectorTest, BadCredentialsAreUnauthenticated) {
  SellsyConnector bad(Options("wrong-secret"));
  Result<void> r = bad.TestCredentials();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(r.error().message().find("client id and secret"), std::string::npos)
      << r.error().message();
  EXPECT_EQ(r.error().message().find("wrong-secret"), std::string::npos);
  Result<FetchPage> page = bad.Fetch("invoices", "");
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().code(), ErrorCode::kUnauthenticated);
}

// R-SELLSY-3, -7, -8: companies with their contacts; suppliers leave.
TEST_F(SellsyConnectorTest, CompaniesStreamYieldsCustomersAndTheirContacts) {
  Walk w = WalkStream("companies");
  ASSERT_EQ(w.pages, 1);
  EXPECT_TRUE(w.scan_complete);
  const SourceRecord* acme = Find(w.records, "customer:company/1001");
  ASSERT_NE(acme, nullptr);
  const domain::Customer& c = std::get<SourceCustomer>(acme->data).record;
  EXPECT_EQ(c.name, "ACME");
  EXPECT_EQ(c.status, "CLIENT");
  EXPECT_EQ(c.accounting_code, "411ACME");
  EXPECT_EQ(c.vat_number, "FR12345678901");
  EXPECT_EQ(c.street, "1 rue A");
  EXPECT_EQ(c.postal_code, "75001");
  EXPECT_EQ(c.city, "Paris");
  EXPECT_EQ(c.country, "FR");
  EXPECT_EQ(c.smart_tags, (domain::StringMap{{"export", "export"}, {"vip", "vip"}}));
  EXPECT_FALSE(c.payment_delay_days.has_value());
  EXPECT_TRUE(acme->source_changed_at.has_value());

  const SourceRecord* beta = Find(w.records, "customer:company/1002");
  ASSERT_NE(beta, nullptr);
  EXPECT_EQ(std::get<SourceCustomer>(beta->data).record.status, "PROSPECT");
  const SourceRecord* supplier = Find(w.records, "customer:company/1003");
  ASSERT_NE(supplier, nullptr);
  EXPECT_TRUE(supplier->deleted);

  const SourceRecord* alice = Find(w.records, "contact:contact/5001");
  ASSERT_NE(alice, nullptr);
  const SourceContact& a = std::get<SourceContact>(alice->data);
  EXPECT_EQ(a.customer_external_id, "company/1001");
  EXPECT_TRUE(a.record.is_main);
  EXPECT_EQ(a.record.position, "ACCOUNTING");
  EXPECT_EQ(a.record.phone, "+33100000001");
  const SourceRecord* bob = Find(w.records, "contact:contact/5002");
  ASSERT_NE(bob, nullptr);
  EXPECT_FALSE(std::get<SourceContact>(bob->data).record.is_main);
  EXPECT_EQ(std::get<SourceContact>(bob->data).record.position, "SALES");
  EXPECT_EQ(std::get<SourceContact>(bob->data).record.phone, "+33600000002");
  // The supplier's only contact has no customer to belong to.
  const SourceRecord* fourn = Find(w.records, "contact:contact/5005");
  ASSERT_NE(fourn, nullptr);
  EXPECT_TRUE(fourn->deleted);
}

// An updated-at cursor: the next walk sees only what changed since.
TEST_F(SellsyConnectorTest, CompaniesCursorFetchesOnlyChanges) {
  // Seeded an hour ago; ACME changed half an hour ago.
  ASSERT_EQ(Control("POST", "/_control/reset", json::object()), 204);
  ASSERT_EQ(Control("PUT", "/_control/clock", {{"offset_seconds", -3600}}), 200);
  ASSERT_EQ(emulator_->Post("/_control/seed", json::parse(kSeed)), 200);
  ASSERT_EQ(Control("PUT", "/_control/clock", {{"offset_seconds", -1800}}), 200);
  ASSERT_EQ(Control("PATCH", "/_control/objects/companies/1001", {{"note", "n"}}), 200);
  Walk first = WalkStream("companies");
  ASSERT_NE(Find(first.records, "customer:company/1002"), nullptr);
  ASSERT_FALSE(first.last_cursor.empty());
  EXPECT_NE(first.last_cursor.find("since"), std::string::npos) << first.last_cursor;

  ASSERT_EQ(Control("PUT", "/_control/clock", {{"offset_seconds", 0}}), 200);
  ASSERT_EQ(Control("PATCH", "/_control/objects/companies/1002", {{"name", "Beta SAS"}}), 200);
  Walk second = WalkStream("companies", first.last_cursor);
  EXPECT_FALSE(second.scan_complete);  // not a full walk
  std::set<std::string> customers;
  for (const auto& [key, r] : second.records) {
    if (r.kind == EntityKind::kCustomer) customers.insert(r.external_id);
  }
  // 1003 unchanged for an hour is not read again; ACME, the last change
  // before the cursor, comes again in the overlap with the same version.
  EXPECT_EQ(customers, (std::set<std::string>{"company/1001", "company/1002"}));
  EXPECT_EQ(second.records["customer:company/1001"].version,
            first.records["customer:company/1001"].version);
  const SourceRecord* beta = Find(second.records, "customer:company/1002");
  ASSERT_NE(beta, nullptr);
  EXPECT_EQ(std::get<SourceCustomer>(beta->data).record.name, "Beta SAS");
  EXPECT_NE(beta->version, first.records["customer:company/1002"].version);
}

TEST_F(SellsyConnectorTest, IndividualsAndContactsStreams) {
  Walk ind = WalkStream("individuals");
  const SourceRecord* jeanne = Find(ind.records, "customer:individual/1501");
  ASSERT_NE(jeanne, nullptr);
  EXPECT_EQ(std::get<SourceCustomer>(jeanne->data).record.name, "Jeanne Martin");
  const SourceRecord* indiv = Find(ind.records, "contact:contact/5004");
  ASSERT_NE(indiv, nullptr);
  EXPECT_EQ(std::get<SourceContact>(indiv->data).customer_external_id, "individual/1501");
  EXPECT_TRUE(std::get<SourceContact>(indiv->data).record.is_main);  // its first contact

  Walk contacts = WalkStream("contacts");
  EXPECT_TRUE(contacts.scan_complete);
  ASSERT_NE(Find(contacts.records, "contact:contact/5001"), nullptr);
  EXPECT_EQ(
      std::get<SourceContact>(contacts.records["contact:contact/5001"].data).customer_external_id,
      "company/1001");
  ASSERT_NE(Find(contacts.records, "contact:contact/5003"), nullptr);
  EXPECT_TRUE(contacts.records["contact:contact/5003"].deleted);  // linked to nothing
  ASSERT_NE(Find(contacts.records, "contact:contact/5004"), nullptr);
  EXPECT_EQ(
      std::get<SourceContact>(contacts.records["contact:contact/5004"].data).customer_external_id,
      "individual/1501");
  EXPECT_EQ(contacts.records["contact:contact/5004"].version, indiv->version);
}

// Sellsy has no /contacts/{id}/individuals: a connector that has not read
// the individuals still attaches their contacts.
TEST_F(SellsyConnectorTest, ContactsOfIndividualsAreFoundWithoutTheIndividualsStream) {
  ASSERT_EQ(emulator_->Post("/_control/links", {{"party", {{"type", "individual"}, {"id", 1501}}},
                                                {"contact_id", 5003}}),
            201);
  Walk contacts = WalkStream("contacts");
  ExpectAttached(contacts.records, "contact:contact/5004", "individual/1501", true);
  ExpectAttached(contacts.records, "contact:contact/5003", "individual/1501", false);
  const SourceRecord* other = Find(contacts.records, "contact:contact/5003");
  ASSERT_NE(other, nullptr);

  connector_ = std::make_unique<SellsyConnector>(Options());  // nothing cached
  Walk individuals = WalkStream("individuals");
  const SourceRecord* via_page = Find(individuals.records, "contact:contact/5003");
  ASSERT_NE(via_page, nullptr);
  EXPECT_EQ(std::get<SourceContact>(via_page->data).customer_external_id, "individual/1501");
  EXPECT_EQ(via_page->version, other->version);

  SellsyConnector fresh(Options());
  Result<std::vector<SourceRecord>> r = fresh.Refetch({"third_party_contact", "5003", "created"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(std::get<SourceContact>((*r)[0].data).customer_external_id, "individual/1501");
}

TEST_F(SellsyConnectorTest, LongQuotaWaitsFailAtOnce) {
  ASSERT_EQ(Control("PUT", "/_control/quotas",
                    {{"second", nullptr}, {"minute", nullptr}, {"day", 1}, {"month", nullptr}}),
            200);
  ASSERT_TRUE(connector_->FetchOne(EntityKind::kInvoice, "invoice/3001").ok());
  Result<std::vector<SourceRecord>> r = connector_->FetchOne(EntityKind::kInvoice, "invoice/3001");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message().find("retry after"), std::string::npos) << r.error().message();
  EXPECT_TRUE(sleeps_.empty());  // no waiting for a day window
}

// R-SELLSY-2, -9: documents from 2018 only, drafts not imported, on receipt.
TEST_F(SellsyConnectorTest, InvoicesStream) {
  ASSERT_EQ(Control("PATCH", "/_control/objects/invoices/3005", {{"status", "cancelled"}}), 200);
  Walk w = WalkStream("invoices");
  EXPECT_TRUE(w.scan_complete);
  EXPECT_EQ(w.last_cursor, "");
  EXPECT_EQ(Find(w.records, "invoice:invoice/3003"), nullptr);  // 2017
  const SourceRecord* draft = Find(w.records, "invoice:invoice/3004");
  EXPECT_TRUE(draft == nullptr || draft->deleted);
  const SourceRecord* inv = Find(w.records, "invoice:invoice/3001");
  ASSERT_NE(inv, nullptr);
  const SourceInvoice& i = std::get<SourceInvoice>(inv->data);
  EXPECT_EQ(i.customer_external_id, "company/1001");
  EXPECT_EQ(i.record.gross_amount, 12000);
  EXPECT_EQ(i.record.net_amount, 10000);
  EXPECT_EQ(i.record.tax_amount, 2000);
  EXPECT_EQ(i.record.printed_due_date->ToString(), "2024-03-31");
  EXPECT_FALSE(i.record.payable_on_receipt);
  EXPECT_EQ(i.record.origin, "sellsy");
  ASSERT_TRUE(i.record.pdf_url.has_value());
  EXPECT_NE(i.record.pdf_url->find("/_files/invoices/3001/"), std::string::npos);
  const SourceRecord* receipt = Find(w.records, "invoice:invoice/3002");
  ASSERT_NE(receipt, nullptr);
  const domain::Invoice& r = std::get<SourceInvoice>(receipt->data).record;
  EXPECT_TRUE(r.payable_on_receipt);
  EXPECT_EQ(r.due_date.ToString(), "2024-03-05");
  EXPECT_EQ(r.gross_amount, 3618);  // 3 x 10.05 + 20 %: exact cents
  const SourceRecord* cancelled = Find(w.records, "invoice:invoice/3005");
  ASSERT_NE(cancelled, nullptr);
  EXPECT_TRUE(std::get<SourceInvoice>(cancelled->data).record.is_void);
}

TEST_F(SellsyConnectorTest, InvoicePdfLinksAreFetched) {
  Walk w = WalkStream("invoices");
  const SourceRecord* inv = Find(w.records, "invoice:invoice/3001");
  ASSERT_NE(inv, nullptr);
  const std::string url = *std::get<SourceInvoice>(inv->data).record.pdf_url;
  auto& connector = connector_;
  auto pdf = connector->FetchDocument(url);
  ASSERT_TRUE(pdf.ok()) << pdf.error().ToString();
  EXPECT_EQ(pdf->rfind("%PDF-", 0), 0u);
  auto missing = connector->FetchDocument(url.substr(0, url.rfind('/')) + "/nothing.pdf");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().code(), ErrorCode::kUnavailable);
  EXPECT_FALSE(connector->FetchDocument("ftp://example/x.pdf").ok());
}

TEST_F(SellsyConnectorTest, CreditNotesAndPaymentsStreams) {
  Walk cn = WalkStream("credit-notes");
  const SourceRecord* note = Find(cn.records, "credit_note:credit-note/4001");
  ASSERT_NE(note, nullptr);
  const SourceInvoice& n = std::get<SourceInvoice>(note->data);
  EXPECT_EQ(n.record.kind, "CREDIT_NOTE");
  EXPECT_EQ(n.record.gross_amount, 1200);
  ASSERT_EQ(n.allocations.size(), 1u);
  EXPECT_EQ(n.allocations[0].invoice_external_id, "invoice/3001");
  EXPECT_EQ(n.allocations[0].amount, 1200);

  Walk pay = WalkStream("payments");
  EXPECT_TRUE(pay.scan_complete);
  const SourceRecord* p = Find(pay.records, "payment:payment/8001");
  ASSERT_NE(p, nullptr);
  const SourcePayment& sp = std::get<SourcePayment>(p->data);
  EXPECT_EQ(sp.record.amount, 5000);
  EXPECT_EQ(sp.record.method, "TRANSFER");
  EXPECT_EQ(sp.record.reference, "VIR-1");
  EXPECT_EQ(sp.record.date.ToString(), "2024-03-20");
  EXPECT_EQ(sp.customer_external_id, "company/1001");
  ASSERT_EQ(sp.allocations.size(), 1u);
  EXPECT_EQ(sp.allocations[0].invoice_external_id, "invoice/3001");
  EXPECT_EQ(sp.allocations[0].amount, 5000);
  // R-SELLSY-6: on account only -> not imported.
  const SourceRecord* on_account = Find(pay.records, "payment:payment/8002");
  ASSERT_NE(on_account, nullptr);
  EXPECT_TRUE(on_account->deleted);
  EXPECT_EQ(Find(pay.records, "payment:payment/8003"), nullptr);  // 2017
}

// The gap of the README: a credit note on several invoices is split from
// each invoice's totals and payments.
TEST_F(SellsyConnectorTest, CreditNoteOnSeveralInvoicesIsInferred) {
  ASSERT_NO_FATAL_FAILURE(AddCreditNoteOnTwoInvoices());
  Result<std::vector<SourceRecord>> r = connector_->Refetch({"creditnote", "4002", "updated"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->size(), 1u);
  const auto& allocations = std::get<SourceInvoice>((*r)[0].data).allocations;
  ASSERT_EQ(allocations.size(), 2u);
  EXPECT_EQ(allocations[0].invoice_external_id, "invoice/3002");
  EXPECT_EQ(allocations[0].amount, 500);
  EXPECT_EQ(allocations[1].invoice_external_id, "invoice/3005");
  EXPECT_EQ(allocations[1].amount, 400);
}

// The credit notes stream asks for the invoices of a page's credit notes
// that allocated something in one POST /batch, and splits each as a
// refetch does (4001 on one invoice; 4002 on two, from their payments).
TEST_F(SellsyConnectorTest, CreditNotesOfAPageAskForTheirInvoicesInOneBatch) {
  ASSERT_NO_FATAL_FAILURE(AddCreditNoteOnTwoInvoices());
  Result<std::vector<SourceRecord>> refetched =
      connector_->Refetch({"creditnote", "4002", "updated"});
  ASSERT_TRUE(refetched.ok()) << refetched.error().ToString();
  ASSERT_EQ(refetched->size(), 1u);

  ASSERT_EQ(emulator_->Delete("/_control/stats"), 204);
  Walk w = WalkStream("credit-notes");
  EXPECT_EQ(Batched(), (json{{"GET /v2/credit-notes/{id}/invoices 200", 2}}));
  EXPECT_FALSE(Routes().contains("GET /v2/credit-notes/{id}/invoices"));
  const SourceRecord* one = Find(w.records, "credit_note:credit-note/4001");
  ASSERT_NE(one, nullptr);
  const auto& one_allocations = std::get<SourceInvoice>(one->data).allocations;
  ASSERT_EQ(one_allocations.size(), 1u);
  EXPECT_EQ(one_allocations[0].invoice_external_id, "invoice/3001");
  EXPECT_EQ(one_allocations[0].amount, 1200);
  const SourceRecord* two = Find(w.records, "credit_note:credit-note/4002");
  ASSERT_NE(two, nullptr);
  const auto& allocations = std::get<SourceInvoice>(two->data).allocations;
  ASSERT_EQ(allocations.size(), 2u);
  EXPECT_EQ(allocations[0].invoice_external_id, "invoice/3002");
  EXPECT_EQ(allocations[0].amount, 500);
  EXPECT_EQ(allocations[1].invoice_external_id, "invoice/3005");
  EXPECT_EQ(allocations[1].amount, 400);
  // The same record, and version, as one read alone.
  EXPECT_EQ(two->version, (*refetched)[0].version);
}

// Several pages: seek offsets passed back, one walk, every id once.
TEST_F(SellsyConnectorTest, InvoicesWalkSeveralPages) {
  ASSERT_EQ(emulator_->Post("/_control/generate", {{"companies", 5},
                                                   {"individuals", 0},
                                                   {"contacts", 0},
                                                   {"invoices", 250},
                                                   {"credit_notes", 0},
                                                   {"payments", 0},
                                                   {"seed", 7},
                                                   {"start_date", "2019-01-01"},
                                                   {"end_date", "2024-01-01"}}),
            200);
  Walk w = WalkStream("invoices");
  EXPECT_GE(w.pages, 3);
  EXPECT_TRUE(w.scan_complete);
  for (size_t i = 0; i + 1 < w.complete_flags.size(); ++i) EXPECT_FALSE(w.complete_flags[i]);
  json data = emulator_->Get("/_control/data?only=invoices");
  size_t expected = 0;
  for (const auto& inv : data["invoices"]) {
    if (inv["date"].get<std::string>() >= "2018-01-01") ++expected;
  }
  EXPECT_EQ(w.records.size(), expected);
}

int64_t Cents(const json& text) {
  Result<int64_t> v = ParseDecimalToMinor(text.get<std::string>(), Currency::Parse("EUR").value());
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : -1;
}

// A generated account (suppliers, drafts, cancelled, pre-2018 data, credit
// notes, payments on account) walked stream by stream, checked against the
// emulator's own view of the data.
TEST_F(SellsyConnectorTest, GeneratedAccountWalksToTheSameData) {
  ASSERT_EQ(Control("POST", "/_control/reset", json::object()), 204);
  ASSERT_EQ(emulator_->Post("/_control/generate", {{"companies", 300},
                                                   {"individuals", 40},
                                                   {"contacts", 500},
                                                   {"invoices", 700},
                                                   {"credit_notes", 120},
                                                   {"payments", 400},
                                                   {"seed", 11}}),
            200);
  std::map<std::string, SourceRecord> all;
  for (const auto& stream : SellsyPolicy().streams) {
    Walk w = WalkStream(stream.name);
    EXPECT_TRUE(w.scan_complete) << stream.name;
    for (auto& [key, r] : w.records) all[key] = r;
  }
  json data = emulator_->Get("/_control/data");
  std::map<std::pair<std::string, int64_t>, std::string> party_type;
  for (const char* kind : {"companies", "individuals"}) {
    for (const auto& p : data[kind]) {
      std::string prefix = std::string(kind) == "companies" ? "company" : "individual";
      party_type[{prefix, p["id"].get<int64_t>()}] = p["type"];
      const SourceRecord* r =
          Find(all, "customer:" + prefix + "/" + std::to_string(p["id"].get<int64_t>()));
      ASSERT_NE(r, nullptr) << p.dump();
      EXPECT_EQ(r->deleted, p["type"] == "supplier") << p.dump();
    }
  }
  // R-SELLSY-3 on every contact.
  std::map<int64_t, std::vector<json>> links;
  for (const auto& l : data["contact_links"]) links[l["contact_id"].get<int64_t>()].push_back(l);
  int attached = 0;
  for (const auto& c : data["contacts"]) {
    int64_t id = c["id"].get<int64_t>();
    std::string expected;
    bool expected_main = false;
    int64_t best = 0;
    for (const auto& l : links[id]) {
      std::string type = l["party"]["type"];
      int64_t pid = l["party"]["id"].get<int64_t>();
      if (party_type[{type, pid}] == "supplier") continue;
      bool main = false;
      for (const auto& role : l["roles"]) main = main || role == "main";
      if (expected.empty() || (main && !expected_main) || (main == expected_main && pid < best)) {
        expected = type + "/" + std::to_string(pid);
        expected_main = main;
        best = pid;
      }
    }
    const std::string key = "contact:contact/" + std::to_string(id);
    if (expected.empty()) {
      const SourceRecord* r = Find(all, key);
      EXPECT_TRUE(r == nullptr || r->deleted) << id;
      continue;
    }
    ExpectAttached(all, key, expected, expected_main);
    ++attached;
  }
  EXPECT_GT(attached, 100);
  // Invoices and credit notes: from 2018, not drafts; exact amounts.
  std::map<std::string, int64_t> allocated;  // "credit-note/4001>invoice/3001" -> cents
  for (const auto& a : data["allocations"]) {
    std::string source = a["source"]["type"].get<std::string>() + "/" +
                         std::to_string(a["source"]["id"].get<int64_t>());
    allocated[source + ">invoice/" + std::to_string(a["invoice_id"].get<int64_t>())] +=
        Cents(a["amount"]);
  }
  int documents = 0, exact_credit_notes = 0, inferred_credit_notes = 0;
  for (const char* kind : {"invoices", "credit-notes"}) {
    bool credit = std::string(kind) == "credit-notes";
    for (const auto& d : data[kind]) {
      std::string ext =
          (credit ? "credit-note/" : "invoice/") + std::to_string(d["id"].get<int64_t>());
      const SourceRecord* r = Find(all, std::string(credit ? "credit_note:" : "invoice:") + ext);
      if (d["date"].get<std::string>() < "2018-01-01") {
        EXPECT_TRUE(r == nullptr) << ext;
        continue;
      }
      if (d["status"] == "draft" || d["number"].is_null()) {
        EXPECT_TRUE(r == nullptr || r->deleted) << ext;
        continue;
      }
      ASSERT_NE(r, nullptr) << ext;
      ASSERT_FALSE(r->deleted) << ext;
      const SourceInvoice& si = std::get<SourceInvoice>(r->data);
      EXPECT_EQ(si.record.gross_amount, Cents(d["amounts"]["total_incl_tax"])) << ext;
      EXPECT_EQ(si.record.net_amount, Cents(d["amounts"]["total_excl_tax"])) << ext;
      EXPECT_EQ(si.record.is_void, d["status"] == "cancelled") << ext;
      ++documents;
      if (!credit) continue;
      int64_t sum = 0;
      bool exact = true;
      for (const auto& a : si.allocations) {
        sum += a.amount;
        exact = exact && allocated["credit-note/" + ext.substr(12) + ">" + a.invoice_external_id] ==
                             a.amount;
      }
      if (!si.record.is_void) {
        EXPECT_EQ(sum, Cents(d["amounts"]["total_incl_tax"]) -
                           Cents(d["amounts"]["total_remaining_due_incl_tax"]))
            << ext;
      }
      (exact ? exact_credit_notes : inferred_credit_notes)++;
    }
  }
  EXPECT_GT(documents, 300);
  EXPECT_GT(exact_credit_notes, 10);
  // R-SELLSY-6: payments allocated to invoices, from 2018, exact links.
  int payments = 0;
  for (const auto& p : data["payments"]) {
    std::string ext = "payment/" + std::to_string(p["id"].get<int64_t>());
    const SourceRecord* r = Find(all, "payment:" + ext);
    if (p["paid_at"].get<std::string>() < "2018-01-01") {
      EXPECT_EQ(r, nullptr) << ext;
      continue;
    }
    ASSERT_NE(r, nullptr) << ext;
    bool expected =
        !p["related_objects"].empty() && (p["status"] == "confirmed" || p["status"] == "pending");
    EXPECT_EQ(r->deleted, !expected) << ext;
    if (!expected) continue;
    const SourcePayment& sp = std::get<SourcePayment>(r->data);
    EXPECT_EQ(sp.record.amount, Cents(p["amounts"]["total"])) << ext;
    for (const auto& a : sp.allocations) {
      EXPECT_EQ(allocated[ext + ">" + a.invoice_external_id], a.amount) << ext;
    }
    ++payments;
  }
  EXPECT_GT(payments, 100);
  // Every contact's companies came in batches of at most 50 (no 413).
  EXPECT_FALSE(Routes().contains("GET /v2/contacts/{id}/companies")) << Routes().dump();
  EXPECT_GT(Routes().value("POST /v2/batch", 0), 500 / 50) << Routes().dump();
  EXPECT_FALSE(emulator_->Get("/_control/stats")["requests"]["by_status"].contains("413"));
  std::cout << "[ info     ] " << all.size() << " records, " << documents << " documents ("
            << exact_credit_notes << " credit notes split exactly, " << inferred_credit_notes
            << " inferred), " << payments << " payments, " << connector_->client().requests()
            << " requests\n";
}

// The companies of a page's contacts come in one POST /batch, not one
// GET /contacts/{id}/companies each; the contacts stream then reads only
// those it has not seen (cache, kCompaniesCacheTtl).
TEST_F(SellsyConnectorTest, APageOfContactsAsksForItsCompaniesInOneBatch) {
  Walk companies = WalkStream("companies");
  ASSERT_NE(Find(companies.records, "contact:contact/5002"), nullptr);
  EXPECT_EQ(Routes(), (json{{"POST /oauth2/access-tokens", 1},
                            {"POST /v2/companies/search", 1},
                            {"POST /v2/contacts/search", 1},
                            {"POST /v2/individuals/search", 1},
                            {"POST /v2/batch", 1}}));
  EXPECT_EQ(Batched(), (json{{"GET /v2/contacts/{id}/companies 200", 3}}));  // 5001, 5002, 5005
  Walk contacts = WalkStream("contacts");
  EXPECT_EQ(Batched(), (json{{"GET /v2/contacts/{id}/companies 200", 5}}));  // and 5003, 5004
  EXPECT_EQ(Routes()["POST /v2/batch"], 2);
  EXPECT_FALSE(Routes().contains("GET /v2/contacts/{id}/companies"));
  EXPECT_EQ(contacts.records["contact:contact/5002"].version,
            companies.records["contact:contact/5002"].version);
  ExpectAttached(contacts.records, "contact:contact/5001", "company/1001", true);
}

// R-SELLSY-3 needs every company of a contact: an answer with more than a
// page is walked page by page. 5006 is the main contact of company 2105
// only, the 105th of its companies (5007 came first everywhere else).
TEST_F(SellsyConnectorTest, AContactWithMoreCompaniesThanAPageIsWalkedPageByPage) {
  json seed = {
      {"companies", json::array()},
      {"contacts", {{{"id", 5006}, {"last_name", "Many"}}, {{"id", 5007}, {"last_name", "First"}}}},
      {"links", json::array()}};
  for (int64_t id = 2001; id <= 2105; ++id) {
    seed["companies"].push_back(
        {{"id", id}, {"type", "client"}, {"name", "C" + std::to_string(id)}});
    if (id < 2105) {
      seed["links"].push_back({{"party", {{"type", "company"}, {"id", id}}},
                               {"contact_id", 5007},
                               {"roles", json::array({"main"})}});
    }
  }
  for (int64_t id = 2001; id <= 2105; ++id) {
    seed["links"].push_back({{"party", {{"type", "company"}, {"id", id}}},
                             {"contact_id", 5006},
                             {"roles", json::array()}});
  }
  ASSERT_EQ(emulator_->Post("/_control/seed", seed), 200);
  ASSERT_EQ(emulator_->Delete("/_control/stats"), 204);
  Walk w = WalkStream("contacts");
  ExpectAttached(w.records, "contact:contact/5006", "company/2105", true);
  ExpectAttached(w.records, "contact:contact/5007", "company/2001", true);
  // One batch for the seven contacts; 5006 and 5007 (104 and 105 companies)
  // then walked alone, two pages each.
  EXPECT_EQ(Routes()["POST /v2/batch"], 1);
  EXPECT_EQ(Batched(), (json{{"GET /v2/contacts/{id}/companies 200", 7}}));
  EXPECT_EQ(Routes()["GET /v2/contacts/{id}/companies"], 4);
}

// A failed answer inside a batch is asked again alone: a passing failure
// gets the retries of a call of its own; a lasting one is the error that
// call gives, naming the contact, and the page is not returned.
TEST_F(SellsyConnectorTest, AFailedAnswerInABatchIsAskedAgainAlone) {
  Fault({{"path", "/v2/contacts/5002/companies"}, {"mode", "error"}, {"status", 503}});
  Walk w = WalkStream("companies");
  ExpectAttached(w.records, "contact:contact/5002", "company/1001", false);
  // (A request an injected fault answers is counted before it is routed.)
  EXPECT_EQ(Batched(),
            (json{{"GET /v2/contacts/{id}/companies 200", 2}, {"GET unmatched 503", 1}}));
  EXPECT_EQ(Routes()["GET /v2/contacts/{id}/companies"], 1);

  for (auto [status, code] :
       {std::pair{404, ErrorCode::kNotFound}, std::pair{403, ErrorCode::kPermissionDenied},
        std::pair{400, ErrorCode::kInternal}}) {
    ASSERT_EQ(emulator_->Delete("/_control/faults"), 204);
    Fault({{"path", "/v2/contacts/5002/companies"},
           {"mode", "error"},
           {"status", status},
           {"count", 2}});
    SellsyConnector fresh(Options());
    Result<FetchPage> page = fresh.Fetch("companies", "");
    ASSERT_FALSE(page.ok()) << status;
    EXPECT_EQ(page.error().code(), code) << page.error().ToString();
    EXPECT_NE(page.error().message().find("/contacts/5002/companies"), std::string::npos)
        << page.error().message();
  }
}

// A 207 that is not one answer per request fails the page (kUnavailable,
// naming /batch) rather than attach contacts from answers it cannot place.
TEST_F(SellsyConnectorTest, AMalformedBatchAnswerIsUnavailable) {
  for (auto [answer, expected] :
       {std::pair<std::string, std::string>{R"({"error":false})", "without a responses array"},
        {R"({"responses":[{"code":200,"response":{"data":[],"pagination":{}}}],"error":false})",
         "answered 1 responses"},
        {R"({"responses":[{"code":"200"},{"code":200},{"code":200}],"error":false})",
         "response 1 has no integer code"}}) {
    SellsyClientOptions o = Options();
    auto session = std::make_shared<net::HttpSession>();
    o.perform = [session, answer](const net::HttpRequest& request,
                                  std::string_view what) -> Result<net::HttpResponse> {
      if (request.url.ends_with("/v2/batch")) return net::HttpResponse{207, {}, answer};
      return session->Perform(request, what);
    };
    SellsyConnector connector(o);
    Result<FetchPage> page = connector.Fetch("companies", "");
    ASSERT_FALSE(page.ok()) << answer;
    EXPECT_EQ(page.error().code(), ErrorCode::kUnavailable);
    EXPECT_NE(page.error().message().find("POST /batch of 3 requests"), std::string::npos)
        << page.error().message();
    EXPECT_NE(page.error().message().find(expected), std::string::npos) << page.error().message();
  }
}

TEST_F(SellsyConnectorTest, RefetchFollowsHints) {
  Result<std::vector<SourceRecord>> company = connector_->Refetch({"client", "1001", "updated"});
  ASSERT_TRUE(company.ok()) << company.error().ToString();
  ASSERT_EQ(company->size(), 3u);  // the company and its two contacts
  EXPECT_EQ((*company)[0].external_id, "company/1001");

  ASSERT_EQ(emulator_->Delete("/_control/objects/companies/1002"), 204);
  Result<std::vector<SourceRecord>> gone = connector_->Refetch({"client", "1002", "deleted"});
  ASSERT_TRUE(gone.ok()) << gone.error().ToString();
  ASSERT_EQ(gone->size(), 1u);
  EXPECT_TRUE((*gone)[0].deleted);
  EXPECT_EQ((*gone)[0].external_id, "company/1002");

  Result<std::vector<SourceRecord>> contact = connector_->Refetch({"people", "5002", "updated"});
  ASSERT_TRUE(contact.ok()) << contact.error().ToString();
  ASSERT_EQ(contact->size(), 1u);
  EXPECT_EQ(std::get<SourceContact>((*contact)[0].data).customer_external_id, "company/1001");

  // The main role moves to Bob: third_party_contact names the contact.
  int moved = Control("PUT", "/_control/links",
                      {{"party", {{"type", "company"}, {"id", 1001}}},
                       {"contact_id", 5002},
                       {"roles", json::array({"main"})}});
  ASSERT_TRUE(moved == 200 || moved == 204) << moved;
  Result<std::vector<SourceRecord>> main =
      connector_->Refetch({"third_party_contact", "5002", "main"});
  ASSERT_TRUE(main.ok()) << main.error().ToString();
  ASSERT_EQ(main->size(), 1u);
  EXPECT_TRUE(std::get<SourceContact>((*main)[0].data).record.is_main);

  Result<std::vector<SourceRecord>> lone = connector_->Refetch({"people", "5003", "updated"});
  ASSERT_TRUE(lone.ok());
  ASSERT_EQ(lone->size(), 1u);
  EXPECT_TRUE((*lone)[0].deleted);

  Result<std::vector<SourceRecord>> missing = connector_->Refetch({"invoice", "9999", "deleted"});
  ASSERT_TRUE(missing.ok());
  ASSERT_EQ(missing->size(), 1u);
  EXPECT_TRUE((*missing)[0].deleted);
  EXPECT_EQ((*missing)[0].kind, EntityKind::kInvoice);

  Result<std::vector<SourceRecord>> note = connector_->Refetch({"creditnote", "4001", "updated"});
  ASSERT_TRUE(note.ok());
  ASSERT_EQ(note->size(), 1u);
  EXPECT_EQ(std::get<SourceInvoice>((*note)[0].data).allocations.size(), 1u);

  Result<std::vector<SourceRecord>> pay = connector_->Refetch({"payment", "8001", "updated"});
  ASSERT_TRUE(pay.ok());
  ASSERT_EQ(pay->size(), 1u);
  EXPECT_FALSE((*pay)[0].deleted);

  Result<std::vector<SourceRecord>> item = connector_->Refetch({"item", "1", "updated"});
  ASSERT_TRUE(item.ok());
  EXPECT_TRUE(item->empty());
}

// The runner keeps a connector between runs (sync_runner.h): its token and
// its index of individuals serve the next webhooks instead of being read
// again for each.
TEST_F(SellsyConnectorTest, TokenAndIndexOfIndividualsServeLaterRefetches) {
  ASSERT_EQ(emulator_->Delete("/_control/stats"), 204);
  for (int round = 0; round < 3; ++round) {
    Result<std::vector<SourceRecord>> company = connector_->Refetch({"client", "1001", "updated"});
    ASSERT_TRUE(company.ok()) << company.error().ToString();
    ASSERT_EQ(company->size(), 3u);
    Result<std::vector<SourceRecord>> contact = connector_->Refetch({"people", "5004", "updated"});
    ASSERT_TRUE(contact.ok()) << contact.error().ToString();
    ASSERT_EQ(contact->size(), 1u);
    EXPECT_EQ(std::get<SourceContact>((*contact)[0].data).customer_external_id, "individual/1501");
  }
  json stats = emulator_->Get("/_control/stats");
  const json& routes = stats["requests"]["by_route"];
  ASSERT_TRUE(routes.contains("POST /v2/individuals/search")) << routes.dump();
  EXPECT_EQ(routes["POST /v2/individuals/search"], 1) << routes.dump();
  EXPECT_EQ(connector_->client().tokens_fetched(), 1);
}

// A kept index must not outlive the truth: the individual it names as a
// contact's main party is read again before a hint's answer relies on it.
TEST_F(SellsyConnectorTest, AStaleIndexOfIndividualsIsNotBelieved) {
  Result<std::vector<SourceRecord>> before = connector_->Refetch({"people", "5004", "updated"});
  ASSERT_TRUE(before.ok()) << before.error().ToString();
  ASSERT_EQ(before->size(), 1u);
  EXPECT_EQ(std::get<SourceContact>((*before)[0].data).customer_external_id, "individual/1501");
  EXPECT_TRUE(std::get<SourceContact>((*before)[0].data).record.is_main);
  // The contact leaves the individual (whose main contact it was) for ACME,
  // where it is not the main contact.
  {
    httplib::Client c("127.0.0.1", emulator_->port);
    json unlink = {{"party", {{"type", "individual"}, {"id", 1501}}}, {"contact_id", 5004}};
    httplib::Result r = c.Delete("/_control/links", unlink.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_TRUE(r->status == 200 || r->status == 204) << r->status << " " << r->body;
  }
  int linked = Control("POST", "/_control/links",
                       {{"party", {{"type", "company"}, {"id", 1001}}},
                        {"contact_id", 5004},
                        {"roles", json::array()}});
  ASSERT_TRUE(linked == 200 || linked == 201) << linked;
  Result<std::vector<SourceRecord>> after =
      connector_->Refetch({"third_party_contact", "5004", "deleted"});
  ASSERT_TRUE(after.ok()) << after.error().ToString();
  ASSERT_EQ(after->size(), 1u);
  const SourceContact& moved = std::get<SourceContact>((*after)[0].data);
  EXPECT_EQ(moved.customer_external_id, "company/1001");
  EXPECT_FALSE(moved.record.is_main);
  // The individual's own hint finds it without a main contact, and the
  // index follows: the contact stays with ACME.
  Result<std::vector<SourceRecord>> individual =
      connector_->Refetch({"individual", "1501", "updated"});
  ASSERT_TRUE(individual.ok()) << individual.error().ToString();
  Result<std::vector<SourceRecord>> again = connector_->Refetch({"people", "5004", "updated"});
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ(std::get<SourceContact>((*again)[0].data).customer_external_id, "company/1001");
}

TEST_F(SellsyConnectorTest, FetchOneAndListExternalIds) {
  Result<std::vector<SourceRecord>> one =
      connector_->FetchOne(EntityKind::kInvoice, "invoice/3001");
  ASSERT_TRUE(one.ok()) << one.error().ToString();
  ASSERT_EQ(one->size(), 1u);
  Result<std::vector<SourceRecord>> old =
      connector_->FetchOne(EntityKind::kInvoice, "invoice/3003");
  ASSERT_TRUE(old.ok());
  EXPECT_TRUE(old->empty());
  Result<std::vector<SourceRecord>> supplier =
      connector_->FetchOne(EntityKind::kCustomer, "company/1003");
  ASSERT_TRUE(supplier.ok());
  EXPECT_TRUE(supplier->empty());
  Result<std::vector<SourceRecord>> person =
      connector_->FetchOne(EntityKind::kCustomer, "individual/1501");
  ASSERT_TRUE(person.ok());
  ASSERT_EQ(person->size(), 1u);
  Result<std::vector<SourceRecord>> wrong = connector_->FetchOne(EntityKind::kPayment, "invoice/1");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code(), ErrorCode::kInvalidArgument);

  auto ids = [&](EntityKind k) {
    Result<std::vector<std::string>> r = connector_->ListExternalIds(k);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    std::set<std::string> out;
    if (r.ok()) out.insert(r->begin(), r->end());
    return out;
  };
  EXPECT_EQ(ids(EntityKind::kCustomer),
            (std::set<std::string>{"company/1001", "company/1002", "individual/1501"}));
  EXPECT_EQ(ids(EntityKind::kContact), (std::set<std::string>{"contact/5001", "contact/5002",
                                                              "contact/5004", "contact/5005"}));
  EXPECT_EQ(ids(EntityKind::kInvoice),
            (std::set<std::string>{"invoice/3001", "invoice/3002", "invoice/3005"}));
  EXPECT_EQ(ids(EntityKind::kCreditNote), (std::set<std::string>{"credit-note/4001"}));
  EXPECT_EQ(ids(EntityKind::kPayment), (std::set<std::string>{"payment/8001"}));
}

TEST_F(SellsyConnectorTest, TokenExpiryMidWalkFetchesANewToken) {
  ASSERT_TRUE(connector_->TestCredentials().ok());
  EXPECT_EQ(connector_->client().tokens_fetched(), 1);
  ASSERT_EQ(Control("POST", "/_control/tokens/expire", json::object()), 204);
  Walk w = WalkStream("invoices");
  EXPECT_FALSE(w.records.empty());
  EXPECT_EQ(connector_->client().tokens_fetched(), 2);
  Fault({{"path", "/v2/payments"}, {"mode", "expire_token"}, {"count", 1}});
  Walk p = WalkStream("payments");
  EXPECT_FALSE(p.records.empty());
  EXPECT_EQ(connector_->client().tokens_fetched(), 3);
}

TEST_F(SellsyConnectorTest, TokenRefusedAfterRefreshIsUnauthenticated) {
  Fault({{"path", "/v2/invoices"}, {"mode", "expire_token"}, {"count", 5}});
  Result<FetchPage> r = connector_->Fetch("invoices", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(r.error().message().find("freshly issued"), std::string::npos) << r.error().message();
  EXPECT_EQ(connector_->client().tokens_fetched(), 2);
}

TEST_F(SellsyConnectorTest, RateLimitedRequestsWaitAndRetry) {
  Fault({{"path", "/v2/invoices"}, {"mode", "rate_limit"}, {"count", 2}});
  Walk w = WalkStream("invoices");
  EXPECT_FALSE(w.records.empty());
  ASSERT_GE(sleeps_.size(), 2u);
  EXPECT_EQ(sleeps_[0], std::chrono::seconds(1));  // Retry-After: 1
}

TEST_F(SellsyConnectorTest, QuotaPerSecondIsRespected) {
  // Real waiting here: 3 requests a second, 8 requests.
  ASSERT_EQ(Control("PUT", "/_control/quotas", {{"per_second", 3}}), 200);
  SellsyClientOptions o = Options();
  o.sleep = nullptr;  // the real sleep
  SellsyConnector real(o);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 8; ++i) {
    Result<std::vector<SourceRecord>> r = real.FetchOne(EntityKind::kInvoice, "invoice/3001");
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().ToString();
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST_F(SellsyConnectorTest, TransientFaultsAreRetried) {
  Fault({{"path", "/v2/invoices"}, {"mode", "error"}, {"count", 2}});
  Fault({{"path", "/v2/credit-notes"}, {"mode", "garbage"}, {"count", 1}});
  Fault({{"path", "/v2/payments"}, {"mode", "truncated"}, {"count", 1}});
  Fault({{"path", "/v2/companies"}, {"mode", "disconnect"}, {"count", 1}});
  Fault({{"path", "/oauth2"}, {"mode", "error"}, {"count", 1}});
  for (const char* stream : {"invoices", "credit-notes", "payments", "companies"}) {
    Walk w = WalkStream(stream);
    EXPECT_FALSE(w.records.empty()) << stream;
  }
  EXPECT_GE(sleeps_.size(), 5u);
}

TEST_F(SellsyConnectorTest, PersistentFaultsAreUnavailable) {
  Fault({{"path", "/v2/invoices"}, {"mode", "error"}, {"count", 50}});
  Result<FetchPage> r = connector_->Fetch("invoices", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message().find("/v2/invoices/search"), std::string::npos)
      << r.error().message();
  EXPECT_NE(r.error().message().find("500"), std::string::npos) << r.error().message();
  EXPECT_EQ(r.error().message().find("Bearer"), std::string::npos);

  ASSERT_EQ(emulator_->Delete("/_control/faults"), 204);
  Fault({{"path", "/v2/payments"}, {"mode", "garbage"}, {"count", 50}});
  Result<FetchPage> g = connector_->Fetch("payments", "");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(g.error().message().find("not valid JSON"), std::string::npos) << g.error().message();

  ASSERT_EQ(emulator_->Delete("/_control/faults"), 204);
  Fault({{"path", "/v2/payments"}, {"mode", "error"}, {"status", 403}, {"count", 1}});
  Result<FetchPage> denied = connector_->Fetch("payments", "");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code(), ErrorCode::kPermissionDenied);
}

TEST_F(SellsyConnectorTest, WebhookRegistration) {
  Result<std::string> id = connector_->RegisterWebhook("http://127.0.0.1:9/hooks/sellsy/abc");
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  json data = emulator_->Get("/_control/data?only=webhooks");
  ASSERT_EQ(data["webhooks"].size(), 1u) << data.dump();
  const json& hook = data["webhooks"][0];
  EXPECT_EQ(std::to_string(hook["id"].get<int64_t>()), *id);
  EXPECT_EQ(hook["endpoint"], "http://127.0.0.1:9/hooks/sellsy/abc");
  EXPECT_EQ(hook["is_enabled"], true);
  std::set<std::string> events;
  for (const auto& e : hook["configuration"]) {
    if (e["is_enabled"] == true) events.insert(e["id"].get<std::string>());
  }
  for (const char* e : {"client.created", "client.updated", "client.deleted", "individual.updated",
                        "people.updated", "third_party_contact.main", "third_party_contact.deleted",
                        "invoice.updated", "creditnote.updated", "payment.deleted"}) {
    EXPECT_TRUE(events.count(e)) << e;
  }
  ASSERT_TRUE(connector_->UnregisterWebhook(*id).ok());
  EXPECT_TRUE(emulator_->Get("/_control/data?only=webhooks")["webhooks"].empty());
  EXPECT_TRUE(connector_->UnregisterWebhook(*id).ok());  // already gone
}

// R-SELLSY-1 end to end: a change in Sellsy, its delivery parsed into a
// hint, the hint re-fetched.
TEST_F(SellsyConnectorTest, DeliveriesBecomeHintsThatRefetch) {
  httplib::Server server;
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> deliveries;
  server.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    deliveries.emplace_back(req.get_header_value("Content-Type"), req.body);
    res.status = 200;
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  Result<std::string> id =
      connector_->RegisterWebhook("http://127.0.0.1:" + std::to_string(port) + "/hook");
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  ASSERT_EQ(Control("PATCH", "/_control/objects/companies/1001", {{"name", "ACME Group"}}), 200);
  emulator_->Post("/_control/deliveries/wait", {{"timeout_ms", 10000}});
  server.stop();
  thread.join();
  ASSERT_FALSE(deliveries.empty());
  bool refetched = false;
  for (const auto& [type, body] : deliveries) {
    Result<std::vector<ChangeHint>> hints = SellsyConnectorType().parse_webhook(type, body);
    ASSERT_TRUE(hints.ok()) << hints.error().ToString() << " " << body;
    for (const auto& h : *hints) {
      Result<std::vector<SourceRecord>> got = connector_->Refetch(h);
      ASSERT_TRUE(got.ok()) << got.error().ToString();
      for (const auto& r : *got) {
        if (r.external_id == "company/1001") {
          EXPECT_EQ(std::get<SourceCustomer>(r.data).record.name, "ACME Group");
          refetched = true;
        }
      }
    }
  }
  EXPECT_TRUE(refetched);
}

// A client whose transport answers every API call with `answer(url)` (a
// token for the token endpoint), without the emulator.
SellsyClientOptions ScriptedOptions(std::function<std::string(const std::string& url)> answer) {
  SellsyClientOptions o;
  o.api_url = "http://sellsy.test/v2";
  o.token_url = "http://sellsy.test/oauth2/access-tokens";
  o.client_id = kClientId;
  o.client_secret = kClientSecret;
  o.max_attempts = 3;
  o.sleep = [](std::chrono::milliseconds) {};
  o.perform = [answer](const net::HttpRequest& request,
                       std::string_view) -> Result<net::HttpResponse> {
    if (request.url == "http://sellsy.test/oauth2/access-tokens") {
      return net::HttpResponse{200, {}, R"({"access_token": "t", "expires_in": 3600})"};
    }
    return net::HttpResponse{200, {}, answer(request.url)};
  };
  return o;
}

// Truncated JSON, garbage and a number beyond 64 bits are retried, then
// kUnavailable naming the URL and the last problem.
TEST(SellsyClient, GarbageAndTruncatedAnswersAreRetriedThenUnavailable) {
  const std::vector<std::string> bad = {R"({"data": [{"id": 1)", "<html>oops</html>",
                                        R"({"data": [{"id": 100000000000000000000}]})"};
  size_t calls = 0;
  SellsyClient client(ScriptedOptions([&](const std::string&) { return bad[calls++ % 3]; }));
  Result<SellsyPage> page = client.Page("/payments", {}, "");
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().code(), ErrorCode::kUnavailable);
  const std::string& m = page.error().message();
  EXPECT_NE(m.find("GET http://sellsy.test/v2/payments?limit=100 failed after 3 attempts"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("is not valid JSON: \"{\"data\": [{\"id\": 1000000000000000"), std::string::npos)
      << m;
  EXPECT_EQ(calls, 3u);

  calls = 0;
  const std::vector<std::string> then_good = {R"({"data": [{"id": 1)",
                                              R"({"data": [{"id": 1}], "pagination": {}})"};
  SellsyClient retried(ScriptedOptions([&](const std::string&) { return then_good[calls++]; }));
  Result<SellsyPage> good = retried.Page("/payments", {}, "");
  ASSERT_TRUE(good.ok()) << good.error().ToString();
  ASSERT_EQ(good->data.size(), 1u);
  EXPECT_EQ(JsonMember(good->data[0], "id")->get_int64().value_unsafe(), 1);
}

// Each answer has a document of its own: the items of a page, of All and of
// a batch are read after further calls were parsed (ASan checks the reads).
TEST(SellsyClient, ItemsOutliveTheCallsMadeWhileTheyAreRead) {
  SellsyClient client(ScriptedOptions([](const std::string& url) -> std::string {
    if (url.find("/credit-notes/search") != std::string::npos) {
      return R"({"data": [{"id": 1, "number": "AV-\u00e91"}, {"id": 2, "number": "AV-2"}],
                 "pagination": {"count": 2}})";
    }
    if (url.ends_with("/batch")) {
      return R"({"responses": [{"code": 200, "response": {"data": [{"id": 11}]}},
                               {"code": 200, "response": {"data": [{"id": 12}]}}]})";
    }
    // /credit-notes/{id}/invoices: a different answer each time.
    static int n = 0;
    return R"({"data": [{"id": )" + std::to_string(100 + n++) + R"(, "pad": ")" +
           std::string(4096, 'x') + R"("}]})";
  }));
  Result<SellsyPage> page = client.Page("/credit-notes/search", {}, "", json::object());
  ASSERT_TRUE(page.ok()) << page.error().ToString();
  ASSERT_EQ(page->data.size(), 2u);
  Result<std::vector<Result<SellsyPage>>> batch =
      client.FirstPages({"/contacts/1/companies", "/contacts/2/companies"}, {});
  ASSERT_TRUE(batch.ok()) << batch.error().ToString();
  std::vector<SellsyItems> lists;
  for (JsonElement item : page->data) {
    Result<SellsyItems> invoices =
        client.All("/credit-notes/" + std::to_string(*IdOf(item)) + "/invoices", {});
    ASSERT_TRUE(invoices.ok()) << invoices.error().ToString();
    lists.push_back(std::move(*invoices));
  }
  EXPECT_EQ(TextMember(page->data[0], "number"),
            "AV-\xc3\xa9"
            "1");
  EXPECT_EQ(TextMember(page->data[1], "number"), "AV-2");
  ASSERT_EQ(lists.size(), 2u);
  EXPECT_EQ(IdOf(lists[0].data.at(0)), 100);
  EXPECT_EQ(IdOf(lists[1].data.at(0)), 101);
  ASSERT_EQ(batch->size(), 2u);
  ASSERT_TRUE((*batch)[1].ok());
  EXPECT_EQ(IdOf((*batch)[1]->data.at(0)), 12);
}

// A batch's NDJSON lines are what nlohmann's dump gave of the request line
// as an object (keys in byte order; a name ending in [] or repeated is an
// array), which Sellsy and the emulator read; here written without it.
TEST(SellsyClient, BatchLinesAreTheDumpOfTheRequestObject) {
  auto reference = [](const BatchRequest& r) {
    json line = {{"method", r.method}, {"uri", r.path}};
    if (!r.query.empty()) {
      json query = json::object();
      for (const auto& [name, value] : r.query) {
        auto it = query.find(name);
        if (it == query.end()) {
          query[name] = name.ends_with("[]") ? json::array({value}) : json(value);
        } else {
          if (!it->is_array()) *it = json::array({*it});
          it->push_back(value);
        }
      }
      line["query"] = std::move(query);
    }
    auto dump = [](const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); };
    return dump(line) + "\n" + (r.body ? dump(*r.body) : "{}") + "\n";
  };
  const std::vector<BatchRequest> requests = {
      {"GET", "/contacts/42/companies", {}, std::nullopt},
      {"GET",
       "/contacts/42/companies",
       {{"field[]", "id"}, {"field[]", "type"}, {"limit", "100"}, {"field[]", "main_contact_id"}},
       std::nullopt},
      {"GET", "/x", {{"b", "1"}, {"a", "2"}, {"b", "3"}, {"embed[]", "only"}}, std::nullopt},
      {"POST", "/search", {{"order", "id"}}, json{{"filters", {{"id", {1, 2}}}}}},
      {"GET",
       "/odd \"path\"\\\t\xc3\xa9\xff",
       {{"n\x01", "v\"al"}, {"\xc3\xa9[]", "\xe2\x82\xac"}, {"Z", "bad\xff"}},
       std::nullopt},
  };
  std::string all;
  std::string expected_all;
  for (const BatchRequest& r : requests) {
    std::string lines;
    AppendBatchLines(r, lines);
    EXPECT_EQ(lines, reference(r)) << r.path;
    AppendBatchLines(r, all);
    expected_all += reference(r);
  }
  EXPECT_EQ(all, expected_all);
}

}  // namespace
}  // namespace relance::sync::sellsy
