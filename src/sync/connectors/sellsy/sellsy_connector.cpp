#include "sync/connectors/sellsy/sellsy_connector.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace relance::sync::sellsy {
namespace {

using nlohmann::json;

constexpr std::chrono::seconds kCursorOverlap{2};
// How long the companies of a contact read during a walk are reused (a
// contact listed by the companies stream, then by the contacts stream).
constexpr std::chrono::seconds kCompaniesCacheTtl{60};
// How long a contact's link to an individual that is not its main-contact
// link (found by listing or searching) is believed without reading it
// again; a hint naming the contact drops it at once.
constexpr std::chrono::minutes kIndividualLinksTtl{10};
// `query` asking for these fields only (field[], research §2).
Query FieldQuery(const std::vector<std::string>& fields, Query query = {}) {
  for (const std::string& f : fields) query.emplace_back("field[]", f);
  return query;
}

std::string CompaniesOfContactPath(int64_t contact_id) {
  return "/contacts/" + std::to_string(contact_id) + "/companies";
}

std::string InvoicesOfCreditNotePath(const SourceRecord& credit_note) {
  return "/credit-notes/" + std::to_string(ParseExternalId(credit_note.external_id)->id) +
         "/invoices";
}

// Whether `bare`, the credit note `cn` mapped without its allocations,
// allocated something: its invoices are then read to split it.
bool AllocatesSomething(JsonElement cn, const std::optional<SourceRecord>& bare) {
  if (!bare || bare->deleted) return false;
  if (std::get<SourceInvoice>(bare->data).record.is_void) return false;
  // MapCreditNote read total_incl_tax as a decimal text: only a text can
  // equal it.
  std::optional<JsonElement> amounts = JsonMember(cn, "amounts");
  std::optional<std::string_view> total, remaining;
  if (amounts) {
    total = TextMember(*amounts, "total_incl_tax");
    remaining = TextMember(*amounts, "total_remaining_due_incl_tax");
  }
  return !(total && remaining && *total == *remaining);  // equal: nothing allocated
}

// The companies of a contact as GET /contacts/{id}/companies lists them.
Result<std::vector<LinkedParty>> LinkedCompanies(const std::vector<JsonElement>& companies) {
  std::vector<LinkedParty> out;
  out.reserve(companies.size());
  for (JsonElement company : companies) {
    ASSIGN_OR_RETURN(LinkedParty p, LinkedPartyOf(company, PartyKind::kCompany));
    out.push_back(p);
  }
  return out;
}

const Query& PartyEmbeds() {
  static const Query q = {{"embed[]", "invoicing_address"}, {"embed[]", "smart_tags"}};
  return q;
}

std::string PartyPath(PartyKind kind) {
  return kind == PartyKind::kCompany ? "/companies" : "/individuals";
}

// The later of a walk's `max` and the RFC 3339 instants of a page, as
// FormatTimestamp text ("" = none). Each instant seen replaces the text when
// it parses and the text does not parse to a later or equal one; each is
// parsed once, and the text written once, at the end.
class LatestInstant {
 public:
  explicit LatestInstant(std::string text) : text_(std::move(text)) {
    if (text_.empty()) return;
    if (Result<Timestamp> t = ParseTimestamp(text_); t.ok()) parsed_ = *t;
  }

  void See(std::optional<std::string_view> seen) {
    if (!seen) return;
    Result<Timestamp> t = ParseTimestamp(*seen);
    if (!t.ok()) return;
    if (parsed_ && *parsed_ >= *t) return;
    latest_ = *t;
    // FormatTimestamp's text parses back to the instant, unless its year
    // is outside 1..9999 (Date's range): then it does not parse at all.
    const int year = Date::FromDays(static_cast<int32_t>(
                                        std::chrono::floor<std::chrono::days>(*t)
                                            .time_since_epoch()
                                            .count()))
                         .year();
    parsed_ = year >= 1 && year <= 9999 ? std::optional<Timestamp>(*t) : std::nullopt;
  }

  std::string Text() const { return latest_ ? FormatTimestamp(*latest_) : text_; }

 private:
  std::string text_;                 // the walk's max, until an instant replaces it
  std::optional<Timestamp> latest_;  // the instant that replaced it
  std::optional<Timestamp> parsed_;  // what the current text parses to
};

// max - the overlap, in whole seconds, as RFC 3339 with an offset
// ("2026-12-02T00:09:56+00:00", the form Sellsy documents).
std::string SinceAfter(const std::string& max) {
  Result<Timestamp> t = ParseTimestamp(max);
  if (!t.ok()) return "";
  std::string text = FormatTimestamp(std::chrono::floor<std::chrono::seconds>(*t - kCursorOverlap));
  return text.substr(0, 19) + "+00:00";
}

Result<int64_t> HintId(const ChangeHint& hint) {
  const std::string& s = hint.object_id;
  if (s.empty() || s.size() > 18 ||
      !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return InvalidArgument("Sellsy hint: " + hint.object_type + " id \"" + s + "\" is not an id");
  }
  return std::stoll(s);
}

bool IsNotFound(const Error& e) { return e.code() == ErrorCode::kNotFound; }

// An item's integer `id`, as list and search answers give it.
std::optional<int64_t> IntegerId(JsonElement item) {
  std::optional<JsonElement> id = JsonMember(item, "id");
  int64_t value = 0;
  if (!id || id->get(value) != simdjson::SUCCESS) return std::nullopt;
  return value;
}

EntityPolicy Entity(EntityKind kind, std::vector<std::string> owned, DeletionPolicy deletion,
                    std::vector<ChangeDetection> detection) {
  EntityPolicy e;
  e.kind = kind;
  e.direction = Direction::kPull;
  e.owned_fields = std::move(owned);
  e.deletion = deletion;
  e.detection = std::move(detection);
  return e;
}

ConnectorPolicy BuildPolicy() {
  ConnectorPolicy p;
  p.connector = "sellsy";
  // A full run walks these streams from the start too, so what it does not
  // list was deleted (a lost client.deleted delivery).
  const std::vector<ChangeDetection> by_cursor = {ChangeDetection::kWebhooks,
                                                  ChangeDetection::kUpdatedAtCursor,
                                                  ChangeDetection::kSnapshotDiff};
  const std::vector<ChangeDetection> by_snapshot = {ChangeDetection::kWebhooks,
                                                    ChangeDetection::kSnapshotDiff};
  // R-SELLSY-8: payment terms are Sellsy's (owned, though never mapped).
  p.entities.push_back(
      Entity(EntityKind::kCustomer,
             {"name", "status", "accounting_code", "vat_number", "street", "postal_code", "city",
              "country", "payment_delay_days", "smart_tags"},
             DeletionPolicy::kPropagate, by_cursor));
  // R-SELLSY-4: main contact and positions are the user's after creation;
  // R-SELLSY-5: pull only.
  EntityPolicy contact = Entity(EntityKind::kContact, {"email", "first_name", "last_name", "phone"},
                                DeletionPolicy::kPropagate, by_cursor);
  contact.create_only_fields = {"position", "is_main"};
  p.entities.push_back(std::move(contact));
  const std::vector<std::string> document_fields = {
      "number",   "issue_date", "printed_due_date", "payable_on_receipt",
      "currency", "net_amount", "tax_amount",       "gross_amount",
      "is_void",  "pdf_url"};
  // R-SELLSY-9: payable on receipt = due on its own date.
  FieldTransform on_receipt{"R-SELLSY-9 payable on receipt is due on the issue date",
                            [](SourceRecord& r) {
                              if (r.deleted) return;
                              if (auto* i = std::get_if<SourceInvoice>(&r.data)) {
                                if (i->record.payable_on_receipt) {
                                  i->record.due_date = i->record.issue_date;
                                }
                              }
                            }};
  for (EntityKind kind : {EntityKind::kInvoice, EntityKind::kCreditNote}) {
    EntityPolicy e = Entity(kind, document_fields, DeletionPolicy::kMarkDeleted, by_snapshot);
    e.dated_from = DatedFrom();  // R-SELLSY-2
    e.transforms.push_back(on_receipt);
    p.entities.push_back(std::move(e));
  }
  EntityPolicy payment =
      Entity(EntityKind::kPayment, {"amount", "currency", "date", "method", "reference"},
             DeletionPolicy::kPropagate, by_snapshot);
  payment.dated_from = DatedFrom();
  p.entities.push_back(std::move(payment));

  for (const char* name : {"companies", "individuals", "contacts"}) {
    p.streams.push_back({name, ChangeDetection::kUpdatedAtCursor, std::chrono::minutes(15)});
  }
  for (const char* name : {"invoices", "credit-notes", "payments"}) {
    p.streams.push_back({name, ChangeDetection::kSnapshotDiff, std::chrono::minutes(60)});
  }
  return p;
}

Result<std::string> Required(const ConnectionSettings& map, const std::string& key,
                             const char* what) {
  auto it = map.find(key);
  if (it == map.end() || it->second.empty()) {
    return InvalidArgument(std::string("Sellsy connection: the ") + what + " " + key +
                           " is missing");
  }
  return it->second;
}

}  // namespace

const ConnectorPolicy& SellsyPolicy() {
  static const ConnectorPolicy policy = BuildPolicy();
  return policy;
}

Result<std::unique_ptr<Connector>> CreateSellsyConnector(const ConnectionSettings& settings,
                                                         const ConnectionSettings& secrets) {
  SellsyClientOptions o;
  ASSIGN_OR_RETURN(o.api_url, Required(settings, "api_url", "setting"));
  ASSIGN_OR_RETURN(o.token_url, Required(settings, "token_url", "setting"));
  ASSIGN_OR_RETURN(o.client_id, Required(secrets, "client_id", "secret"));
  ASSIGN_OR_RETURN(o.client_secret, Required(secrets, "client_secret", "secret"));
  for (const std::string* url : {&o.api_url, &o.token_url}) {
    if (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0) {
      return InvalidArgument("Sellsy connection: \"" + *url + "\" is not an http(s) URL");
    }
  }
  return std::unique_ptr<Connector>(std::make_unique<SellsyConnector>(std::move(o)));
}

const ConnectorType& SellsyConnectorType() {
  static const ConnectorType type = [] {
    ConnectorType t;
    t.name = "sellsy";
    t.display_name = "Sellsy";
    t.required_settings = {"api_url", "token_url"};
    t.required_secrets = {"client_id", "client_secret"};
    t.policy = &SellsyPolicy();
    t.parse_webhook = [](std::string_view content_type, std::string_view body) {
      return ParseWebhook(content_type, body);
    };
    t.create = [](const ConnectionSettings& settings, const ConnectionSettings& secrets) {
      return CreateSellsyConnector(settings, secrets);
    };
    return t;
  }();
  return type;
}

SellsyConnector::SellsyConnector(SellsyClientOptions options) : client_(std::move(options)) {}

// ---------------------------------------------------------------------------
// Cursors

Result<SellsyConnector::Cursor> SellsyConnector::ParseCursor(std::string_view stream,
                                                             const std::string& text) {
  Cursor c;
  if (text.empty()) return c;
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) {
    return InvalidArgument("Sellsy cursor of stream " + std::string(stream) +
                           " is not a JSON object: " + text);
  }
  for (auto [key, field] : {std::pair<const char*, std::string*>{"since", &c.since},
                            {"offset", &c.offset},
                            {"max", &c.max}}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_string()) {
      return InvalidArgument("Sellsy cursor of stream " + std::string(stream) + ": " + key +
                             " is not a text");
    }
    *field = j[key].get<std::string>();
  }
  if (!c.since.empty() && !ParseTimestamp(c.since).ok()) {
    return InvalidArgument("Sellsy cursor of stream " + std::string(stream) + ": since \"" +
                           c.since + "\" is not an RFC 3339 instant");
  }
  c.full = j.contains("full") && j["full"].is_boolean() && j["full"].get<bool>();
  return c;
}

std::string SellsyConnector::CursorText(const Cursor& c) {
  json j = json::object();
  if (!c.since.empty()) j["since"] = c.since;
  if (!c.offset.empty()) j["offset"] = c.offset;
  if (!c.max.empty()) j["max"] = c.max;
  if (c.full) j["full"] = true;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// ---------------------------------------------------------------------------

Result<void> SellsyConnector::TestCredentials() {
  RETURN_IF_ERROR(client_.EnsureToken());
  Result<json> r = client_.Get("/companies", {{"limit", "1"}, {"field[]", "id"}});
  if (!r.ok()) return std::move(r).take_error();
  return Ok();
}

Result<FetchPage> SellsyConnector::Fetch(std::string_view stream, const std::string& cursor) {
  ASSIGN_OR_RETURN(Cursor c, ParseCursor(stream, cursor));
  // A full walk of the individuals re-reads everything: the index too
  // (what a lost webhook left stale is corrected at least this often).
  if (stream == "individuals" && cursor.empty()) individuals_indexed_ = false;
  if (stream == "companies") return FetchParties(PartyKind::kCompany, c);
  if (stream == "individuals") return FetchParties(PartyKind::kIndividual, c);
  if (stream == "contacts") return FetchContacts(c);
  if (stream == "invoices") return FetchDocuments(false, c);
  if (stream == "credit-notes") return FetchDocuments(true, c);
  if (stream == "payments") return FetchPayments(c);
  return InvalidArgument("Sellsy has no stream \"" + std::string(stream) + "\"");
}

// The page's end: the next cursor and the flags (see the header).
void SellsyConnector::EndPage(FetchPage& out, const SellsyPage& page, const Cursor& cursor,
                              bool updated_at_stream, const std::string& max) {
  if (!page.last) {
    out.more = true;
    out.next_cursor = CursorText(Cursor{cursor.since, page.next_offset, max, cursor.full});
    return;
  }
  out.more = false;
  out.scan_complete = cursor.full;
  if (!updated_at_stream) {
    out.next_cursor = "";  // a snapshot stream walks everything again
  } else if (!max.empty()) {
    out.next_cursor = CursorText(Cursor{SinceAfter(max), "", "", false});
  } else {
    out.next_cursor = cursor.since.empty() ? "" : CursorText(Cursor{cursor.since, "", "", false});
  }
}

Result<FetchPage> SellsyConnector::FetchParties(PartyKind kind, const Cursor& cursor) {
  json filters = json::object();
  if (!cursor.since.empty()) filters["updated_at"] = {{"start", cursor.since}};
  Query q = FieldQuery(PartyFields(kind), {{"order", "updated_at"}, {"direction", "asc"}});
  q.insert(q.end(), PartyEmbeds().begin(), PartyEmbeds().end());
  ASSIGN_OR_RETURN(SellsyPage page,
                   client_.Page(PartyPath(kind) + "/search", q, cursor.offset, filters));
  FetchPage out;
  LatestInstant max(cursor.max);
  std::vector<LinkedParty> parties;
  parties.reserve(page.data.size());
  // Its contacts follow (ContactsOfPage): about one per party.
  out.records.reserve(2 * page.data.size());
  if (kind == PartyKind::kIndividual) RETURN_IF_ERROR(IndexIndividuals());
  for (JsonElement item : page.data) {
    RETURN_IF_ERROR(AppendParty(item, kind, out.records));
    max.See(TextMember(item, "updated_at"));
    ASSIGN_OR_RETURN(LinkedParty party, LinkedPartyOf(item, kind));
    if (kind == PartyKind::kIndividual && JsonMember(item, "main_contact_id")) {
      UpsertIndividual(party);
    }
    parties.push_back(party);
  }
  RETURN_IF_ERROR(ContactsOfPage(kind, parties, out.records));
  EndPage(out, page, cursor, /*updated_at_stream=*/true, max.Text());
  return out;
}

Result<FetchPage> SellsyConnector::FetchContacts(const Cursor& cursor) {
  json filters = json::object();
  if (!cursor.since.empty()) filters["updated"] = {{"start", cursor.since}};
  // Contacts cannot be ordered by `updated` (research §3): walk by id.
  ASSIGN_OR_RETURN(SellsyPage page,
                   client_.Page("/contacts/search", FieldQuery(ContactFields(), {{"order", "id"}}),
                                cursor.offset, filters));
  RETURN_IF_ERROR(ReadCompaniesOfContacts(page.data));
  FetchPage out;
  out.records.reserve(page.data.size());
  LatestInstant max(cursor.max);
  for (JsonElement item : page.data) {
    RETURN_IF_ERROR(MapContactWithLinks(item, out.records));
    max.See(TextMember(item, "updated"));
  }
  EndPage(out, page, cursor, /*updated_at_stream=*/true, max.Text());
  return out;
}

Result<FetchPage> SellsyConnector::FetchDocuments(bool credit_notes, const Cursor& cursor) {
  json filters = json::object();
  // R-SELLSY-2 in the query where Sellsy has a filter (invoices only).
  if (!credit_notes) filters["date"] = {{"start", kDatedFromText}};
  ASSIGN_OR_RETURN(SellsyPage page,
                   client_.Page(credit_notes ? "/credit-notes/search" : "/invoices/search",
                                FieldQuery(credit_notes ? CreditNoteFields() : InvoiceFields(),
                                           {{"order", "id"}}),
                                cursor.offset, filters));
  FetchPage out;
  out.records.reserve(page.data.size());
  if (credit_notes) {
    RETURN_IF_ERROR(MapCreditNotes(page.data, out.records));
  } else {
    for (JsonElement item : page.data) RETURN_IF_ERROR(AppendInvoice(item, out.records));
  }
  EndPage(out, page, cursor, /*updated_at_stream=*/false, "");
  return out;
}

Result<FetchPage> SellsyConnector::FetchPayments(const Cursor& cursor) {
  ASSIGN_OR_RETURN(SellsyPage page,
                   client_.Page("/payments/search", FieldQuery(PaymentFields(), {{"order", "id"}}),
                                cursor.offset, json::object()));
  FetchPage out;
  out.records.reserve(page.data.size());
  for (JsonElement item : page.data) RETURN_IF_ERROR(AppendPayment(item, out.records));
  EndPage(out, page, cursor, /*updated_at_stream=*/false, "");
  return out;
}

// ---------------------------------------------------------------------------
// Contacts and their parties (R-SELLSY-3)

Result<std::vector<SourceRecord>> SellsyConnector::ContactsOf(const LinkedParty& party) {
  ASSIGN_OR_RETURN(
      SellsyItems contacts,
      client_.All(PartyPath(party.kind) + "/" + std::to_string(party.id) + "/contacts", {}));
  if (party.kind == PartyKind::kIndividual) {
    for (auto& [contact_id, links] : individual_links_) links.erase(party.id);
    for (JsonElement c : contacts.data) {
      if (std::optional<int64_t> id = IntegerId(c)) NoteIndividualLink(*id, party);
    }
  }
  std::vector<SourceRecord> out;
  for (JsonElement c : contacts.data) {
    std::optional<int64_t> id = IntegerId(c);
    if (!id) {
      return InvalidArgument("Sellsy contact of " + PartyExternalId(party.kind, party.id) +
                             " without an id");
    }
    ASSIGN_OR_RETURN(std::vector<LinkedParty> parties, PartiesOfContact(*id));
    bool listed = std::any_of(parties.begin(), parties.end(), [&](const LinkedParty& p) {
      return p.kind == party.kind && p.id == party.id;
    });
    if (!listed) parties.push_back(party);
    RETURN_IF_ERROR(AppendContact(c, parties, out));
  }
  return out;
}

Result<void> SellsyConnector::ContactsOfPage(PartyKind kind,
                                            const std::vector<LinkedParty>& parties,
                                            std::vector<SourceRecord>& out) {
  if (parties.empty()) return Ok();
  json ids = json::array();
  for (const auto& p : parties) ids.push_back(p.id);
  ASSIGN_OR_RETURN(
      SellsyItems contacts,
      client_.All("/contacts/search", FieldQuery(ContactFields(), {{"order", "id"}}),
                  json{{kind == PartyKind::kCompany ? "companies" : "individuals", ids}}));
  if (kind == PartyKind::kIndividual) {
    // Which individual of the page each contact belongs to: the one it is
    // the main contact of (the index has it: FetchParties), else a search
    // among the page's individuals.
    RETURN_IF_ERROR(IndexIndividuals());
    for (auto& [contact_id, links] : individual_links_) {
      for (const auto& p : parties) links.erase(p.id);
    }
    for (JsonElement c : contacts.data) {
      std::optional<int64_t> id = IntegerId(c);
      if (!id) continue;
      const int64_t cid = *id;
      bool main_somewhere = false;
      for (const auto& p : parties) {
        if (p.main_contact_id && *p.main_contact_id == cid) {
          NoteIndividualLink(cid, p);
          main_somewhere = true;
        }
      }
      if (!main_somewhere) {
        ASSIGN_OR_RETURN(std::vector<LinkedParty> found, FindIndividualsAmong(cid, parties));
        (void)found;
      }
    }
  }
  RETURN_IF_ERROR(ReadCompaniesOfContacts(contacts.data));
  out.reserve(out.size() + contacts.data.size());
  for (JsonElement c : contacts.data) {
    std::optional<int64_t> id = IntegerId(c);
    if (!id) {
      RETURN_IF_ERROR(AppendContact(c, {}, out));  // the error naming it
      continue;
    }
    ASSIGN_OR_RETURN(std::vector<LinkedParty> linked, PartiesOfContact(*id));
    RETURN_IF_ERROR(AppendContact(c, linked, out));
  }
  return Ok();
}

Result<void> SellsyConnector::IndexIndividuals() {
  if (individuals_indexed_) return Ok();
  ASSIGN_OR_RETURN(SellsyItems all,
                   client_.All("/individuals/search",
                               FieldQuery(LinkedPartyFields(), {{"order", "id"}}), json::object()));
  individuals_.clear();
  main_of_contact_.clear();
  individual_links_.clear();  // links found later are searched again on demand
  for (JsonElement item : all.data) {
    ASSIGN_OR_RETURN(LinkedParty p, LinkedPartyOf(item, PartyKind::kIndividual));
    UpsertIndividual(p);
  }
  individuals_indexed_ = true;
  return Ok();
}

void SellsyConnector::UpsertIndividual(const LinkedParty& individual) {
  auto it = individuals_.find(individual.id);
  if (it != individuals_.end() && it->second.main_contact_id) {
    auto m = main_of_contact_.find(*it->second.main_contact_id);
    if (m != main_of_contact_.end()) {
      m->second.erase(individual.id);
      if (m->second.empty()) main_of_contact_.erase(m);
    }
  }
  individuals_[individual.id] = individual;
  if (individual.main_contact_id) main_of_contact_[*individual.main_contact_id].insert(individual.id);
}

void SellsyConnector::EraseIndividual(int64_t id) {
  auto it = individuals_.find(id);
  if (it != individuals_.end()) {
    if (it->second.main_contact_id) {
      auto m = main_of_contact_.find(*it->second.main_contact_id);
      if (m != main_of_contact_.end()) {
        m->second.erase(id);
        if (m->second.empty()) main_of_contact_.erase(m);
      }
    }
    individuals_.erase(it);
  }
  for (auto& [contact_id, links] : individual_links_) links.erase(id);
}

void SellsyConnector::NoteIndividualLink(int64_t contact_id, const LinkedParty& individual) {
  if (individual_links_.size() > 100000) individual_links_.clear();
  individual_links_[contact_id][individual.id] = {Clock::now(), individual};
}

Result<void> SellsyConnector::VerifyMainOf(int64_t contact_id) {
  auto m = main_of_contact_.find(contact_id);
  if (m == main_of_contact_.end()) return Ok();
  const std::set<int64_t> ids = m->second;  // the loop changes the index
  for (int64_t id : ids) {
    if (!verified_individuals_.insert(id).second) continue;
    Result<JsonDocument> got =
        client_.GetDocument("/individuals/" + std::to_string(id), FieldQuery(LinkedPartyFields()));
    if (!got.ok()) {
      if (!IsNotFound(got.error())) return std::move(got).take_error();
      EraseIndividual(id);
      continue;
    }
    ASSIGN_OR_RETURN(LinkedParty p, LinkedPartyOf((*got)->root(), PartyKind::kIndividual));
    UpsertIndividual(p);
  }
  return Ok();
}

void SellsyConnector::BeginCurrentStateCall() {
  companies_of_contact_.clear();
  verify_main_links_ = true;
  verified_individuals_.clear();
}

Result<bool> SellsyConnector::ContactLinkedToAny(int64_t contact_id,
                                                 const std::vector<LinkedParty>& individuals) {
  json ids = json::array();
  for (const auto& p : individuals) ids.push_back(p.id);
  ASSIGN_OR_RETURN(SellsyPage page,
                   client_.Page("/contacts/search", {{"field[]", "id"}}, "",
                                json{{"id", json::array({contact_id})}, {"individuals", ids}}));
  return !page.data.empty();
}

Result<std::vector<LinkedParty>> SellsyConnector::FindIndividualsOf(int64_t contact_id) {
  RETURN_IF_ERROR(IndexIndividuals());
  std::vector<LinkedParty> all;
  all.reserve(individuals_.size());
  for (const auto& [id, p] : individuals_) all.push_back(p);
  return FindIndividualsAmong(contact_id, all);
}

Result<std::vector<LinkedParty>> SellsyConnector::FindIndividualsAmong(
    int64_t contact_id, const std::vector<LinkedParty>& candidates) {
  std::vector<LinkedParty> found;
  for (size_t start = 0; start < candidates.size(); start += SellsyClient::kPageLimit) {
    size_t end = std::min(candidates.size(), start + SellsyClient::kPageLimit);
    std::vector<std::vector<LinkedParty>> todo = {
        std::vector<LinkedParty>(candidates.begin() + start, candidates.begin() + end)};
    while (!todo.empty()) {
      std::vector<LinkedParty> batch = std::move(todo.back());
      todo.pop_back();
      ASSIGN_OR_RETURN(bool linked, ContactLinkedToAny(contact_id, batch));
      if (!linked) continue;
      if (batch.size() == 1) {
        found.push_back(batch[0]);
        continue;
      }
      size_t half = batch.size() / 2;
      todo.emplace_back(batch.begin(), batch.begin() + half);
      todo.emplace_back(batch.begin() + half, batch.end());
    }
  }
  for (const auto& p : found) NoteIndividualLink(contact_id, p);
  return found;
}

Result<std::vector<LinkedParty>> SellsyConnector::PartiesOfContact(int64_t contact_id) {
  RETURN_IF_ERROR(IndexIndividuals());
  if (verify_main_links_) RETURN_IF_ERROR(VerifyMainOf(contact_id));
  const auto now = Clock::now();
  std::vector<LinkedParty> out;
  if (const std::vector<LinkedParty>* cached = FreshCompanies(contact_id, now)) {
    out = *cached;
  } else {
    ASSIGN_OR_RETURN(SellsyItems companies, client_.All(CompaniesOfContactPath(contact_id),
                                                        FieldQuery(LinkedPartyFields())));
    ASSIGN_OR_RETURN(out, LinkedCompanies(companies.data));
    RememberCompanies(contact_id, now, out);
  }
  // Its individuals: those whose main contact it is (the index), and the
  // other links seen lately, with the index's current view of each.
  std::map<int64_t, LinkedParty> individuals;
  if (auto m = main_of_contact_.find(contact_id); m != main_of_contact_.end()) {
    for (int64_t id : m->second) individuals[id] = individuals_.at(id);
  }
  if (auto l = individual_links_.find(contact_id); l != individual_links_.end()) {
    for (auto it = l->second.begin(); it != l->second.end();) {
      if (now - it->second.first >= kIndividualLinksTtl) {
        it = l->second.erase(it);
        continue;
      }
      auto indexed = individuals_.find(it->first);
      individuals[it->first] = indexed != individuals_.end() ? indexed->second : it->second.second;
      ++it;
    }
  }
  for (const auto& [id, p] : individuals) out.push_back(p);
  return out;
}

const std::vector<LinkedParty>* SellsyConnector::FreshCompanies(int64_t contact_id,
                                                                Clock::time_point now) const {
  auto cached = companies_of_contact_.find(contact_id);
  if (cached == companies_of_contact_.end() || now - cached->second.first >= kCompaniesCacheTtl) {
    return nullptr;
  }
  return &cached->second.second;
}

void SellsyConnector::RememberCompanies(int64_t contact_id, Clock::time_point when,
                                        std::vector<LinkedParty> companies) {
  if (companies_of_contact_.size() > 100000) companies_of_contact_.clear();
  companies_of_contact_[contact_id] = {when, std::move(companies)};
}

Result<void> SellsyConnector::ReadCompaniesOfContacts(const std::vector<JsonElement>& contacts) {
  const auto now = Clock::now();
  std::vector<int64_t> ids;
  std::vector<std::string> paths;
  std::set<int64_t> seen;
  for (JsonElement contact : contacts) {
    std::optional<int64_t> id = IntegerId(contact);
    if (!id || FreshCompanies(*id, now) != nullptr || !seen.insert(*id).second) continue;
    ids.push_back(*id);
    paths.push_back(CompaniesOfContactPath(*id));
  }
  if (ids.size() < 2) return Ok();  // one contact: its own call costs no more
  ASSIGN_OR_RETURN(std::vector<Result<SellsyPage>> pages,
                   client_.FirstPages(paths, FieldQuery(LinkedPartyFields())));
  for (size_t i = 0; i < ids.size(); ++i) {
    // Left to PartiesOfContact, which asks alone: a failed answer (its
    // retries, or the error a call of its own gives), more than one page
    // (walked page by page), a company it cannot read (the error).
    if (!pages[i].ok()) {
      spdlog::debug("Sellsy: contact {} is asked for its companies again alone: {}", ids[i],
                    pages[i].error().message());
      continue;
    }
    if (!pages[i]->last) continue;
    Result<std::vector<LinkedParty>> companies = LinkedCompanies(pages[i]->data);
    if (companies.ok()) RememberCompanies(ids[i], now, std::move(*companies));
  }
  return Ok();
}

Result<void> SellsyConnector::MapContactWithLinks(JsonElement contact,
                                                  std::vector<SourceRecord>& out) {
  std::optional<int64_t> contact_id = IntegerId(contact);
  if (!contact_id) return AppendContact(contact, {}, out);  // the error naming it
  const int64_t id = *contact_id;
  ASSIGN_OR_RETURN(std::vector<LinkedParty> parties, PartiesOfContact(id));
  if (parties.empty()) {
    // No company: linked to individuals only, or to nothing. Sellsy has no
    // /contacts/{id}/individuals: search for them.
    ASSIGN_OR_RETURN(SellsyItems linked,
                     client_.All("/contacts/search", {{"field[]", "id"}},
                                 json{{"id", json::array({id})}, {"is_linked", true}}));
    if (!linked.data.empty()) {
      ASSIGN_OR_RETURN(parties, FindIndividualsOf(id));
      // Linked to something we cannot find (yet): say nothing rather than
      // report it deleted.
      if (parties.empty()) return Ok();
    }
  }
  return AppendContact(contact, parties, out);
}

// ---------------------------------------------------------------------------
// Credit notes and their allocations

Result<std::optional<SourceRecord>> SellsyConnector::MapCreditNoteWithLinks(JsonElement cn) {
  ASSIGN_OR_RETURN(std::optional<SourceRecord> bare, MapCreditNote(cn, {}));
  if (!AllocatesSomething(cn, bare)) return bare;
  ASSIGN_OR_RETURN(SellsyItems invoices,
                   client_.All(InvoicesOfCreditNotePath(*bare), FieldQuery(LinkedInvoiceFields())));
  RETURN_IF_ERROR(AddAllocations(cn, invoices.data, *bare));
  return bare;
}

Result<void> SellsyConnector::MapCreditNotes(const std::vector<JsonElement>& credit_notes,
                                             std::vector<SourceRecord>& out) {
  std::vector<std::optional<SourceRecord>> bare;
  bare.reserve(credit_notes.size());
  std::vector<size_t> allocating;  // indexes into credit_notes
  std::vector<std::string> paths;  // their invoices
  for (size_t i = 0; i < credit_notes.size(); ++i) {
    ASSIGN_OR_RETURN(std::optional<SourceRecord> r, MapCreditNote(credit_notes[i], {}));
    if (AllocatesSomething(credit_notes[i], r)) {
      allocating.push_back(i);
      paths.push_back(InvoicesOfCreditNotePath(*r));
    }
    bare.push_back(std::move(r));
  }
  const Query query = FieldQuery(LinkedInvoiceFields());
  std::vector<Result<SellsyPage>> pages;
  // One credit note: its own call costs no more.
  if (paths.size() >= 2) {
    ASSIGN_OR_RETURN(pages, client_.FirstPages(paths, query));
  }
  for (size_t k = 0; k < allocating.size(); ++k) {
    const size_t i = allocating[k];
    // A failed answer (its retries, or the error a call of its own gives)
    // or more than one page: asked again alone, walked page by page.
    if (k < pages.size() && pages[k].ok() && pages[k]->last) {
      RETURN_IF_ERROR(AddAllocations(credit_notes[i], pages[k]->data, *bare[i]));
      continue;
    }
    if (k < pages.size() && !pages[k].ok()) {
      spdlog::debug("Sellsy: {} is asked for again alone: {}", paths[k],
                    pages[k].error().message());
    }
    ASSIGN_OR_RETURN(SellsyItems invoices, client_.All(paths[k], query));
    RETURN_IF_ERROR(AddAllocations(credit_notes[i], invoices.data, *bare[i]));
  }
  for (auto& r : bare) {
    if (r) out.push_back(std::move(*r));
  }
  return Ok();
}

Result<void> SellsyConnector::AddAllocations(JsonElement cn,
                                             const std::vector<JsonElement>& invoices,
                                             SourceRecord& credit_note) {
  std::map<int64_t, std::vector<JsonElement>> payments;
  std::vector<SellsyItems> payment_lists;  // what `payments` points into
  if (invoices.size() > 1) {
    for (JsonElement i : invoices) {
      std::optional<int64_t> id = IntegerId(i);
      if (!id) continue;
      int64_t inv_id = *id;
      ASSIGN_OR_RETURN(SellsyItems list,
                       client_.All("/invoices/" + std::to_string(inv_id) + "/payments",
                                   FieldQuery(InvoicePaymentFields())));
      payments[inv_id] = list.data;
      payment_lists.push_back(std::move(list));
    }
  }
  ASSIGN_OR_RETURN(std::vector<SourceAllocation> allocations,
                   CreditNoteAllocations(cn, invoices, payments));
  // What MapCreditNote(cn, allocations) gives, without mapping it again.
  std::get<SourceInvoice>(credit_note.data).allocations = std::move(allocations);
  credit_note.version = ComputeVersion(credit_note);
  return Ok();
}

// ---------------------------------------------------------------------------
// Refetch, FetchOne

Result<std::vector<SourceRecord>> SellsyConnector::RefetchParty(PartyKind kind, int64_t id,
                                                                bool with_contacts) {
  Result<JsonDocument> got =
      client_.GetDocument(PartyPath(kind) + "/" + std::to_string(id), PartyEmbeds());
  if (!got.ok()) {
    if (IsNotFound(got.error())) {
      if (kind == PartyKind::kIndividual) EraseIndividual(id);
      return std::vector<SourceRecord>{
          DeletedRecord(EntityKind::kCustomer, PartyExternalId(kind, id))};
    }
    return std::move(got).take_error();
  }
  const JsonElement party = (*got)->root();
  std::vector<SourceRecord> out;
  ASSIGN_OR_RETURN(SourceRecord r, MapParty(party, kind));
  out.push_back(std::move(r));
  if (kind == PartyKind::kIndividual && JsonMember(party, "main_contact_id")) {
    ASSIGN_OR_RETURN(LinkedParty self, LinkedPartyOf(party, kind));
    if (individuals_indexed_) UpsertIndividual(self);
    verified_individuals_.insert(id);
  }
  if (with_contacts) {
    ASSIGN_OR_RETURN(LinkedParty linked, LinkedPartyOf(party, kind));
    ASSIGN_OR_RETURN(std::vector<SourceRecord> contacts, ContactsOf(linked));
    for (auto& c : contacts) out.push_back(std::move(c));
  }
  return out;
}

Result<std::vector<SourceRecord>> SellsyConnector::RefetchContact(int64_t id) {
  // Its links may be what changed: found again from the source.
  individual_links_.erase(id);
  Result<JsonDocument> got = client_.GetDocument("/contacts/" + std::to_string(id));
  if (!got.ok()) {
    if (IsNotFound(got.error())) {
      return std::vector<SourceRecord>{DeletedRecord(EntityKind::kContact, ContactExternalId(id))};
    }
    return std::move(got).take_error();
  }
  std::vector<SourceRecord> out;
  RETURN_IF_ERROR(MapContactWithLinks((*got)->root(), out));
  return out;
}

Result<std::vector<SourceRecord>> SellsyConnector::RefetchDocument(bool credit_note, int64_t id) {
  const EntityKind kind = credit_note ? EntityKind::kCreditNote : EntityKind::kInvoice;
  const std::string ext = credit_note ? CreditNoteExternalId(id) : InvoiceExternalId(id);
  Result<JsonDocument> got = client_.GetDocument(
      std::string(credit_note ? "/credit-notes/" : "/invoices/") + std::to_string(id));
  if (!got.ok()) {
    if (IsNotFound(got.error())) return std::vector<SourceRecord>{DeletedRecord(kind, ext)};
    return std::move(got).take_error();
  }
  std::optional<SourceRecord> r;
  if (credit_note) {
    ASSIGN_OR_RETURN(r, MapCreditNoteWithLinks((*got)->root()));
  } else {
    ASSIGN_OR_RETURN(r, MapInvoice((*got)->root()));
  }
  // Dated before 2018 (R-SELLSY-2): outside the filters, so gone for Relance.
  if (!r) return std::vector<SourceRecord>{DeletedRecord(kind, ext)};
  return std::vector<SourceRecord>{std::move(*r)};
}

Result<std::vector<SourceRecord>> SellsyConnector::RefetchPayment(int64_t id) {
  Result<JsonDocument> got = client_.GetDocument("/payments/" + std::to_string(id));
  if (!got.ok()) {
    if (IsNotFound(got.error())) {
      return std::vector<SourceRecord>{DeletedRecord(EntityKind::kPayment, PaymentExternalId(id))};
    }
    return std::move(got).take_error();
  }
  ASSIGN_OR_RETURN(std::optional<SourceRecord> r, MapPayment((*got)->root()));
  if (!r)
    return std::vector<SourceRecord>{DeletedRecord(EntityKind::kPayment, PaymentExternalId(id))};
  return std::vector<SourceRecord>{std::move(*r)};
}

namespace {

// Ends a Refetch / FetchOne's "current state" mode however it returns.
class CurrentStateScope {
 public:
  explicit CurrentStateScope(bool& flag) : flag_(flag) {}
  ~CurrentStateScope() { flag_ = false; }
  CurrentStateScope(const CurrentStateScope&) = delete;
  CurrentStateScope& operator=(const CurrentStateScope&) = delete;

 private:
  bool& flag_;
};

}  // namespace

Result<std::vector<SourceRecord>> SellsyConnector::Refetch(const ChangeHint& hint) {
  BeginCurrentStateCall();  // a hint asks for the current state
  CurrentStateScope scope(verify_main_links_);
  const std::string& t = hint.object_type;
  const std::vector<std::string>& known = WebhookEntities();
  if (std::find(known.begin(), known.end(), t) == known.end()) return std::vector<SourceRecord>{};
  ASSIGN_OR_RETURN(int64_t id, HintId(hint));
  if (t == "client") return RefetchParty(PartyKind::kCompany, id, true);
  if (t == "individual") return RefetchParty(PartyKind::kIndividual, id, true);
  // third_party_contact: relatedid is the contact whose link changed.
  if (t == "people" || t == "third_party_contact") return RefetchContact(id);
  if (t == "invoice") return RefetchDocument(false, id);
  if (t == "creditnote") return RefetchDocument(true, id);
  return RefetchPayment(id);  // "payment"
}

Result<std::vector<SourceRecord>> SellsyConnector::FetchOne(EntityKind kind,
                                                            const std::string& external_id) {
  BeginCurrentStateCall();
  CurrentStateScope scope(verify_main_links_);
  std::optional<ParsedExternalId> p = ParseExternalId(external_id);
  auto mismatch = [&]() {
    return InvalidArgument("\"" + external_id + "\" is not a Sellsy " +
                           std::string(EntityName(kind)) + " external id");
  };
  if (!p) return mismatch();
  Result<std::vector<SourceRecord>> got = std::vector<SourceRecord>{};
  switch (kind) {
    case EntityKind::kCustomer:
      if (p->prefix != "company" && p->prefix != "individual") return mismatch();
      got = RefetchParty(p->prefix == "company" ? PartyKind::kCompany : PartyKind::kIndividual,
                         p->id, false);
      break;
    case EntityKind::kContact:
      if (p->prefix != "contact") return mismatch();
      got = RefetchContact(p->id);
      break;
    case EntityKind::kInvoice:
      if (p->prefix != "invoice") return mismatch();
      got = RefetchDocument(false, p->id);
      break;
    case EntityKind::kCreditNote:
      if (p->prefix != "credit-note") return mismatch();
      got = RefetchDocument(true, p->id);
      break;
    case EntityKind::kPayment:
      if (p->prefix != "payment") return mismatch();
      got = RefetchPayment(p->id);
      break;
  }
  if (!got.ok()) return std::move(got).take_error();
  std::vector<SourceRecord> out;
  for (auto& r : *got) {
    if (!r.deleted && r.kind == kind && r.external_id == external_id) out.push_back(std::move(r));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Snapshots

Result<std::vector<std::string>> SellsyConnector::ListExternalIds(EntityKind kind) {
  std::vector<std::string> out;
  auto ids =
      [&](const std::string& path, const Query& q, const json& filters,
          const std::function<std::optional<std::string>(JsonElement)>& keep) -> Result<void> {
    ASSIGN_OR_RETURN(SellsyItems items, client_.All(path, q, filters));
    for (JsonElement item : items.data) {
      if (std::optional<std::string> ext = keep(item)) out.push_back(*ext);
    }
    return Ok();
  };
  const Query only_id = {{"order", "id"}, {"field[]", "id"}};
  switch (kind) {
    case EntityKind::kCustomer:
      for (PartyKind pk : {PartyKind::kCompany, PartyKind::kIndividual}) {
        RETURN_IF_ERROR(ids(PartyPath(pk) + "/search", only_id,
                            json{{"type", json::array({"client", "prospect"})}},
                            [&](JsonElement item) -> std::optional<std::string> {
                              auto id = IntegerId(item);
                              if (!id) return std::nullopt;
                              return PartyExternalId(pk, *id);
                            }));
      }
      break;
    case EntityKind::kContact:
      // Contacts linked to some party (a contact linked to suppliers only
      // is listed too; its own fetch maps it as deleted).
      RETURN_IF_ERROR(ids("/contacts/search", only_id, json{{"is_linked", true}},
                          [&](JsonElement item) -> std::optional<std::string> {
                            auto id = IntegerId(item);
                            if (!id) return std::nullopt;
                            return ContactExternalId(*id);
                          }));
      break;
    case EntityKind::kInvoice:
      RETURN_IF_ERROR(
          ids("/invoices/search", only_id,
              json{{"date", {{"start", kDatedFromText}}},
                   {"status", json::array({"due", "payinprogress", "paid", "late", "cancelled"})}},
              [&](JsonElement item) -> std::optional<std::string> {
                auto id = IntegerId(item);
                if (!id) return std::nullopt;
                return InvoiceExternalId(*id);
              }));
      break;
    case EntityKind::kCreditNote: {
      const std::string from = DatedFrom().ToString();
      RETURN_IF_ERROR(
          ids("/credit-notes/search", {{"order", "id"}, {"field[]", "id"}, {"field[]", "date"}},
              json{{"status", json::array({"stored", "partialspend", "spent", "cancelled"})}},
              [&](JsonElement item) -> std::optional<std::string> {
                auto id = IntegerId(item);
                std::optional<std::string_view> date = TextMember(item, "date");
                if (!id || !date || *date < from) {
                  return std::nullopt;
                }
                return CreditNoteExternalId(*id);
              }));
      break;
    }
    case EntityKind::kPayment:
      RETURN_IF_ERROR(ids("/payments/search", FieldQuery(PaymentFields(), {{"order", "id"}}),
                          json{{"status", json::array({"pending", "confirmed"})}},
                          [&](JsonElement item) -> std::optional<std::string> {
                            Result<std::optional<SourceRecord>> r = MapPayment(item);
                            if (!r.ok() || !*r || (*r)->deleted) return std::nullopt;
                            return (*r)->external_id;
                          }));
      break;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Webhooks (research §14)

Result<std::string> SellsyConnector::RegisterWebhook(const std::string& url) {
  ASSIGN_OR_RETURN(json events, client_.Get("/webhooks/events"));
  const json* list = &events;
  if (events.is_object() && events.contains("data")) list = &events["data"];
  if (!list->is_array()) return Unavailable("Sellsy GET /webhooks/events did not answer a list");
  const std::vector<std::string>& wanted = WebhookEntities();
  json configuration = json::array();
  std::set<std::string> entities_found;
  for (const json& entity : *list) {
    if (!entity.is_object() || !entity.contains("id") || !entity["id"].is_string()) continue;
    const std::string id = entity["id"].get<std::string>();
    if (std::find(wanted.begin(), wanted.end(), id) == wanted.end()) continue;
    if (!entity.contains("events") || !entity["events"].is_object()) continue;
    for (const auto& [verb, label] : entity["events"].items()) {
      (void)label;
      configuration.push_back({{"id", id + "." + verb}, {"is_enabled", true}});
    }
    entities_found.insert(id);
  }
  if (entities_found.size() != wanted.size()) {
    std::string missing;
    for (const auto& w : wanted) {
      if (!entities_found.count(w)) missing += (missing.empty() ? "" : ", ") + w;
    }
    return Internal("Sellsy lists no webhook events for " + missing);
  }
  ASSIGN_OR_RETURN(json created, client_.Post("/webhooks", json{{"type", "http"},
                                                                {"endpoint", url},
                                                                {"is_enabled", true},
                                                                {"configuration", configuration}}));
  if (!created.is_object() || !created.contains("id") ||
      !(created["id"].is_number_integer() || created["id"].is_string())) {
    return Unavailable("Sellsy POST /webhooks answered without a webhook id");
  }
  return created["id"].is_string() ? created["id"].get<std::string>()
                                   : std::to_string(created["id"].get<int64_t>());
}

Result<void> SellsyConnector::UnregisterWebhook(const std::string& webhook_id) {
  if (webhook_id.empty() || !std::all_of(webhook_id.begin(), webhook_id.end(),
                                         [](unsigned char c) { return std::isdigit(c); })) {
    return InvalidArgument("\"" + webhook_id + "\" is not a Sellsy webhook id");
  }
  Result<json> r = client_.Delete("/webhooks/" + webhook_id);
  if (!r.ok() && !IsNotFound(r.error())) return std::move(r).take_error();
  return Ok();
}

Result<std::string> SellsyConnector::FetchDocument(const std::string& url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return InvalidArgument("\"" + url + "\" is not an http(s) document link");
  }
  net::HttpRequest request;
  request.method = "GET";
  request.url = url;
  request.timeout_ms = 60000;
  ASSIGN_OR_RETURN(net::HttpResponse r, net::PerformHttp(request, "Sellsy's document link"));
  if (r.status == 200) return std::move(r.body);
  if (r.status == 404 || r.status == 410) return NotFound("Sellsy has no document at " + url);
  if (r.status == 429 || r.status >= 500) {
    return Unavailable("Sellsy answered " + std::to_string(r.status) + " for the document " + url);
  }
  return Error(ErrorCode::kFailedPrecondition,
               "Sellsy refused the document " + url + " (" + std::to_string(r.status) + ")");
}

}  // namespace relance::sync::sellsy
