#include "sync/connectors/sellsy/sellsy_mapping.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>
#include <nlohmann/json.hpp>

#include "core/byte_scan.h"
#include "core/money.h"

namespace relance::sync::sellsy {
namespace {

using nlohmann::json;

// "Sellsy invoice 3875" etc.: the start of every error message.
struct Subject {
  std::string name;  // "invoice"
  std::string id;    // "3875" or "?"
  std::string Text() const { return "Sellsy " + name + " " + id; }
};

Error Invalid(const Subject& s, const std::string& what) {
  return InvalidArgument(s.Text() + ": " + what);
}

// A value as the messages show it: a text in quotes, anything else as
// nlohmann's dump gave it (the messages predate simdjson; errors only).
std::string Quote(JsonElement v) {
  std::string_view text;
  if (v.get(text) == simdjson::SUCCESS) return "\"" + std::string(text) + "\"";
  return json::parse(simdjson::to_string(v)).dump(-1, ' ', false, json::error_handler_t::replace);
}

// A Sellsy id written as digits (webhooks, external ids).
std::optional<int64_t> IdText(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  if (!std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return std::nullopt;
  }
  int64_t id = 0;
  std::from_chars(s.data(), s.data() + s.size(), id);  // 18 digits fit
  if (id > 0) return id;
  return std::nullopt;
}

// A Sellsy id: a positive integer that fits int64 (or a string of digits,
// as in webhooks). Integers beyond int64 and non-integers are not ids.
std::optional<int64_t> IdValue(JsonElement v) {
  int64_t id = 0;
  if (v.get(id) == simdjson::SUCCESS) return id > 0 ? std::optional<int64_t>(id) : std::nullopt;
  std::string_view text;
  if (v.get(text) == simdjson::SUCCESS) return IdText(text);
  return std::nullopt;
}

Result<int64_t> RequiredId(JsonElement obj, const std::string& kind) {
  if (!obj.is_object()) return InvalidArgument("Sellsy " + kind + ": not a JSON object");
  std::optional<JsonElement> v = JsonMember(obj, "id");
  if (!v) return InvalidArgument("Sellsy " + kind + " without an id");
  std::optional<int64_t> id = IdValue(*v);
  if (!id) return InvalidArgument("Sellsy " + kind + ": id " + Quote(*v) + " is not an id");
  return *id;
}

// "a.b.c": nested members.
std::optional<JsonElement> Path(JsonElement obj, std::string_view path) {
  std::optional<JsonElement> cur = obj;
  size_t start = 0;
  while (cur) {
    size_t dot = path.find('.', start);
    cur = JsonMember(*cur, path.substr(start, dot == std::string_view::npos ? std::string_view::npos
                                                                            : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return cur;
}

// A member's id, when present and an id.
std::optional<int64_t> IdMember(JsonElement obj, std::string_view key) {
  std::optional<JsonElement> v = JsonMember(obj, key);
  return v ? IdValue(*v) : std::nullopt;
}

// The text of `v` when it is a JSON string.
std::optional<std::string_view> TextOf(JsonElement v) {
  std::string_view text;
  if (v.get(text) != simdjson::SUCCESS) return std::nullopt;
  return text;
}

// The array `v`, when it is one. Kept in a variable for a range-for: the
// array of a temporary simdjson_result would not outlive the loop's start.
std::optional<simdjson::dom::array> ArrayOf(std::optional<JsonElement> v) {
  simdjson::dom::array a;
  if (!v || v->get(a) != simdjson::SUCCESS) return std::nullopt;
  return a;
}

// Missing or null -> nullopt; a string -> its text (empty kept as nullopt).
Result<std::optional<std::string>> OptText(JsonElement obj, std::string_view path,
                                           const Subject& s) {
  std::optional<JsonElement> v = Path(obj, path);
  if (!v || v->is_null()) return std::optional<std::string>();
  std::optional<std::string_view> text = TextOf(*v);
  if (!text) return Invalid(s, std::string(path) + " " + Quote(*v) + " is not a text");
  if (text->empty()) return std::optional<std::string>();
  return std::optional<std::string>(*text);
}

Result<std::string> RequiredText(JsonElement obj, std::string_view path, const Subject& s) {
  ASSIGN_OR_RETURN(std::optional<std::string> t, OptText(obj, path, s));
  if (!t) return Invalid(s, std::string(path) + " is missing");
  return *t;
}

Result<Date> RequiredDate(JsonElement obj, std::string_view path, const Subject& s) {
  std::optional<JsonElement> v = Path(obj, path);
  if (!v || v->is_null()) return Invalid(s, std::string(path) + " is missing");
  std::optional<std::string_view> text = TextOf(*v);
  if (!text) return Invalid(s, std::string(path) + " " + Quote(*v) + " is not a date");
  Result<Date> d = Date::Parse(*text);
  if (!d.ok())
    return Invalid(s, std::string(path) + " " + Quote(*v) + " is not a date (YYYY-MM-DD)");
  return *d;
}

Result<int64_t> Money(JsonElement obj, std::string_view path, const Currency& currency,
                      const Subject& s) {
  std::optional<JsonElement> v = Path(obj, path);
  if (!v || v->is_null()) return Invalid(s, std::string(path) + " is missing");
  std::optional<std::string_view> text = TextOf(*v);
  if (!text) return Invalid(s, std::string(path) + " " + Quote(*v) + " is not a decimal amount");
  Result<int64_t> m = ParseDecimalToMinor(*text, currency);
  if (!m.ok()) return Invalid(s, std::string(path) + " " + Quote(*v) + " is not a decimal amount");
  return *m;
}

Result<Currency> CurrencyOf(JsonElement obj, std::string_view path, const Subject& s) {
  ASSIGN_OR_RETURN(std::optional<std::string> code, OptText(obj, path, s));
  Result<Currency> c = Currency::Parse(code.value_or("EUR"));
  if (!c.ok()) return Invalid(s, std::string(path) + " \"" + *code + "\" is not a currency");
  return *c;
}

// An RFC 3339 datetime, checked; the text kept as Sellsy gave it.
Result<std::optional<std::string>> OptInstant(JsonElement obj, std::string_view path,
                                              const Subject& s) {
  ASSIGN_OR_RETURN(std::optional<std::string> t, OptText(obj, path, s));
  if (t && !ParseTimestamp(*t).ok()) {
    return Invalid(s, std::string(path) + " \"" + *t + "\" is not an RFC 3339 datetime");
  }
  return t;
}

// The 64-bit FNV-1a hash of the versions.
constexpr uint64_t kFnvOffset = 14695981039346656037ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

// Whether nlohmann's dump(-1, ' ', false, replace) writes `text` between its
// quotes as it is: valid UTF-8 without a control character, '"' or '\' (with
// ensure_ascii off, DEL and multi-byte characters are not escaped).
bool IsVerbatimJsonText(std::string_view text) {
  return IsPlainJsonAscii(text) || (FindJsonSpecial(text, 0) == std::string_view::npos &&
                                    simdjson::validate_utf8(text.data(), text.size()));
}

// The FNV-1a hash of the text nlohmann's dump(-1, ' ', false, replace) gave
// of a JSON tree of the mapped fields (the versions already stored are that
// hash), fed piece by piece as that text would be written: neither the tree
// nor the text is built. The tree's objects were std::maps, so the pieces of
// an object come in ascending byte order of their keys (HashCanonical);
// sellsy_mapping_test checks the hash against such a tree's dump.
class CanonicalHash {
 public:
  // A piece known when compiling (keys and punctuation): unrolled, each byte
  // an immediate operand.
  template <size_t N>
  [[gnu::always_inline]] void Lit(const char (&piece)[N]) {
    Fold(piece, std::make_index_sequence<N - 1>());
  }
  // Bytes written as they are.
  void Bytes(std::string_view bytes) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto* const end = p + bytes.size();
    uint64_t h = h_;
    for (; end - p >= 8; p += 8) {
      h = (h ^ p[0]) * kFnvPrime;
      h = (h ^ p[1]) * kFnvPrime;
      h = (h ^ p[2]) * kFnvPrime;
      h = (h ^ p[3]) * kFnvPrime;
      h = (h ^ p[4]) * kFnvPrime;
      h = (h ^ p[5]) * kFnvPrime;
      h = (h ^ p[6]) * kFnvPrime;
      h = (h ^ p[7]) * kFnvPrime;
    }
    for (; p < end; ++p) h = (h ^ *p) * kFnvPrime;
    h_ = h;
  }
  void String(std::string_view text) {
    if (IsVerbatimJsonText(text)) {
      Lit("\"");
      Bytes(text);
      Lit("\"");
    } else {
      // Escapes, invalid bytes replaced: rare, left to nlohmann itself.
      Bytes(json(text).dump(-1, ' ', false, json::error_handler_t::replace));
    }
  }
  void Int(int64_t value) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    (void)ec;  // 24 bytes hold any int64_t
    Bytes(std::string_view(buf, static_cast<size_t>(end - buf)));
  }
  void Bool(bool value) { value ? Lit("true") : Lit("false"); }
  void Opt(const std::optional<std::string>& v) { v ? String(*v) : Lit("null"); }
  // Date::ToString is digits and '-': no escape to look for.
  void Day(Date d) {
    Lit("\"");
    Bytes(d.ToString());
    Lit("\"");
  }
  void OptDay(const std::optional<Date>& d) { d ? Day(*d) : Lit("null"); }
  // std::map iterates in the byte order of its keys, as the tree did.
  void Map(const domain::StringMap& map) {
    Lit("{");
    bool first = true;
    for (const auto& [k, v] : map) {
      if (!first) Lit(",");
      first = false;
      String(k);
      Lit(":");
      String(v);
    }
    Lit("}");
  }
  // [[invoice external id, amount], ...]
  void Allocations(const std::vector<SourceAllocation>& list) {
    Lit("[");
    for (size_t i = 0; i < list.size(); ++i) {
      if (i > 0) Lit(",");
      Lit("[");
      String(list[i].invoice_external_id);
      Lit(",");
      Int(list[i].amount);
      Lit("]");
    }
    Lit("]");
  }
  uint64_t value() const { return h_; }

 private:
  template <size_t... I>
  [[gnu::always_inline]] void Fold(const char* piece, std::index_sequence<I...>) {
    uint64_t h = h_;
    ((h = (h ^ static_cast<unsigned char>(piece[I])) * kFnvPrime), ...);
    h_ = h;
  }

  uint64_t h_ = kFnvOffset;
};

// Every mapped field and reference, as one canonical JSON text (keys sorted):
// {"customer"|"contact": {...}, "deleted", "id", "invoice": {...}, "kind",
//  "payment": {...}}, the data object present for a record not deleted.
void HashCanonical(const SourceRecord& r, CanonicalHash& h) {
  const auto* customer = r.deleted ? nullptr : std::get_if<SourceCustomer>(&r.data);
  const auto* contact = r.deleted ? nullptr : std::get_if<SourceContact>(&r.data);
  const auto* invoice = r.deleted ? nullptr : std::get_if<SourceInvoice>(&r.data);
  const auto* payment = r.deleted ? nullptr : std::get_if<SourcePayment>(&r.data);
  h.Lit("{");
  if (contact != nullptr) {
    const domain::Contact& x = contact->record;
    h.Lit(R"("contact":{"customer":)");
    h.String(contact->customer_external_id);
    h.Lit(R"(,"email":)");
    h.String(x.email);
    h.Lit(R"(,"first_name":)");
    h.Opt(x.first_name);
    h.Lit(R"(,"is_main":)");
    h.Bool(x.is_main);
    h.Lit(R"(,"last_name":)");
    h.Opt(x.last_name);
    h.Lit(R"(,"phone":)");
    h.Opt(x.phone);
    h.Lit(R"(,"position":)");
    h.Opt(x.position);
    h.Lit("},");
  }
  if (customer != nullptr) {
    const domain::Customer& x = customer->record;
    h.Lit(R"("customer":{"accounting_code":)");
    h.Opt(x.accounting_code);
    h.Lit(R"(,"city":)");
    h.Opt(x.city);
    h.Lit(R"(,"country":)");
    h.Opt(x.country);
    h.Lit(R"(,"name":)");
    h.String(x.name);
    h.Lit(R"(,"parent":)");
    h.Opt(customer->parent_external_id);
    h.Lit(R"(,"postal_code":)");
    h.Opt(x.postal_code);
    h.Lit(R"(,"smart_tags":)");
    h.Map(x.smart_tags);
    h.Lit(R"(,"status":)");
    h.String(x.status);
    h.Lit(R"(,"street":)");
    h.Opt(x.street);
    h.Lit(R"(,"vat_number":)");
    h.Opt(x.vat_number);
    h.Lit("},");
  }
  h.Lit(R"("deleted":)");
  h.Bool(r.deleted);
  h.Lit(R"(,"id":)");
  h.String(r.external_id);
  if (invoice != nullptr) {
    const domain::Invoice& x = invoice->record;
    h.Lit(R"(,"invoice":{"allocations":)");
    h.Allocations(invoice->allocations);
    h.Lit(R"(,"currency":)");
    h.String(x.currency);
    h.Lit(R"(,"customer":)");
    h.String(invoice->customer_external_id);
    h.Lit(R"(,"due_date":)");
    h.Day(x.due_date);
    h.Lit(R"(,"gross":)");
    h.Int(x.gross_amount);
    h.Lit(R"(,"is_void":)");
    h.Bool(x.is_void);
    h.Lit(R"(,"issue_date":)");
    h.Day(x.issue_date);
    h.Lit(R"(,"kind":)");
    h.String(x.kind);
    h.Lit(R"(,"net":)");
    h.Int(x.net_amount);
    h.Lit(R"(,"number":)");
    h.String(x.number);
    h.Lit(R"(,"payable_on_receipt":)");
    h.Bool(x.payable_on_receipt);
    h.Lit(R"(,"pdf_url":)");
    h.Opt(x.pdf_url);
    h.Lit(R"(,"printed_due_date":)");
    h.OptDay(x.printed_due_date);
    h.Lit(R"(,"tax":)");
    h.Int(x.tax_amount);
    h.Lit("}");
  }
  h.Lit(R"(,"kind":)");
  h.String(EntityName(r.kind));
  if (payment != nullptr) {
    const domain::Payment& x = payment->record;
    h.Lit(R"(,"payment":{"allocations":)");
    h.Allocations(payment->allocations);
    h.Lit(R"(,"amount":)");
    h.Int(x.amount);
    h.Lit(R"(,"currency":)");
    h.String(x.currency);
    h.Lit(R"(,"customer":)");
    h.String(payment->customer_external_id);
    h.Lit(R"(,"date":)");
    h.Day(x.date);
    h.Lit(R"(,"method":)");
    h.String(x.method);
    h.Lit(R"(,"reference":)");
    h.Opt(x.reference);
    h.Lit("}");
  }
  h.Lit("}");
}

SourceRecord Finish(SourceRecord r) {
  r.version = ComputeVersion(r);
  return r;
}

// `related` of a document: the one company or individual.
Result<std::string> DocumentCustomer(JsonElement doc, const Subject& s) {
  std::optional<simdjson::dom::array> related = ArrayOf(Path(doc, "related"));
  if (!related) return Invalid(s, "related is missing");
  std::optional<std::string> found;
  for (JsonElement item : *related) {
    std::optional<std::string_view> type_text = TextMember(item, "type");
    if (!type_text) continue;
    const std::string type(*type_text);
    if (type != "company" && type != "individual") continue;
    std::optional<int64_t> id = IdMember(item, "id");
    if (!id) return Invalid(s, "related " + type + " has no valid id");
    std::string ext =
        PartyExternalId(type == "company" ? PartyKind::kCompany : PartyKind::kIndividual, *id);
    if (found && *found != ext) return Invalid(s, "related names two customers");
    found = ext;
  }
  if (!found) return Invalid(s, "related names no company or individual");
  return *found;
}

Result<std::optional<SourceRecord>> MapDocument(JsonElement doc, bool credit_note,
                                                std::vector<SourceAllocation> allocations) {
  const std::string kind_name = credit_note ? "credit note" : "invoice";
  ASSIGN_OR_RETURN(int64_t id, RequiredId(doc, kind_name));
  const Subject s{kind_name, std::to_string(id)};
  const EntityKind kind = credit_note ? EntityKind::kCreditNote : EntityKind::kInvoice;
  const std::string ext = credit_note ? CreditNoteExternalId(id) : InvoiceExternalId(id);

  ASSIGN_OR_RETURN(std::string status, RequiredText(doc, "status", s));
  if (status == "draft") return std::optional<SourceRecord>(DeletedRecord(kind, ext));
  ASSIGN_OR_RETURN(Date date, RequiredDate(doc, "date", s));
  if (date < DatedFrom()) return std::optional<SourceRecord>();

  SourceInvoice out;
  domain::Invoice& x = out.record;
  x.kind = credit_note ? "CREDIT_NOTE" : "INVOICE";
  x.external_id = ext;
  ASSIGN_OR_RETURN(std::optional<std::string> number, OptText(doc, "number", s));
  if (!number) {
    // A draft cancelled before it was validated was never issued.
    if (status == "cancelled") return std::optional<SourceRecord>(DeletedRecord(kind, ext));
    return Invalid(s, "number is missing (a validated document has one)");
  }
  x.number = *number;
  x.issue_date = date;
  x.due_date = date;
  std::optional<JsonElement> due = Path(doc, "due_date");
  if (due && !due->is_null()) {
    ASSIGN_OR_RETURN(Date due_date, RequiredDate(doc, "due_date", s));
    x.printed_due_date = due_date;
    // R-SELLSY-9: Sellsy's "on receipt" terms give due_date == date.
    x.payable_on_receipt = due_date == date;
    x.due_date = due_date;
  }
  ASSIGN_OR_RETURN(Currency currency, CurrencyOf(doc, "currency", s));
  x.currency = currency.code();
  ASSIGN_OR_RETURN(x.gross_amount, Money(doc, "amounts.total_incl_tax", currency, s));
  ASSIGN_OR_RETURN(x.net_amount, Money(doc, "amounts.total_excl_tax", currency, s));
  x.tax_amount = x.gross_amount - x.net_amount;
  x.is_void = status == "cancelled";
  ASSIGN_OR_RETURN(x.pdf_url, OptText(doc, "pdf_link", s));
  x.origin = "sellsy";
  ASSIGN_OR_RETURN(out.customer_external_id, DocumentCustomer(doc, s));
  if (credit_note && !x.is_void) out.allocations = std::move(allocations);

  SourceRecord r;
  r.kind = kind;
  r.external_id = ext;
  r.data = std::move(out);
  return std::optional<SourceRecord>(Finish(std::move(r)));
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// application/x-www-form-urlencoded decoding; nullopt on a bad escape.
std::optional<std::string> FormDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      int hi = hex(text[i + 1]);
      int lo = hex(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Date DatedFrom() { return Date::FromYmd(2018, 1, 1).value(); }

std::string CompanyExternalId(int64_t id) { return "company/" + std::to_string(id); }
std::string IndividualExternalId(int64_t id) { return "individual/" + std::to_string(id); }
std::string PartyExternalId(PartyKind kind, int64_t id) {
  return kind == PartyKind::kCompany ? CompanyExternalId(id) : IndividualExternalId(id);
}
std::string ContactExternalId(int64_t id) { return "contact/" + std::to_string(id); }
std::string InvoiceExternalId(int64_t id) { return "invoice/" + std::to_string(id); }
std::string CreditNoteExternalId(int64_t id) { return "credit-note/" + std::to_string(id); }
std::string PaymentExternalId(int64_t id) { return "payment/" + std::to_string(id); }

std::optional<ParsedExternalId> ParseExternalId(std::string_view external_id) {
  size_t slash = external_id.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string prefix(external_id.substr(0, slash));
  static const std::vector<std::string> kPrefixes = {"company", "individual",  "contact",
                                                     "invoice", "credit-note", "payment"};
  if (std::find(kPrefixes.begin(), kPrefixes.end(), prefix) == kPrefixes.end()) return std::nullopt;
  std::optional<int64_t> id = IdText(external_id.substr(slash + 1));
  if (!id) return std::nullopt;
  return ParsedExternalId{prefix, *id};
}

SourceRecord DeletedRecord(EntityKind kind, std::string external_id) {
  SourceRecord r;
  r.kind = kind;
  r.external_id = std::move(external_id);
  r.deleted = true;
  switch (kind) {
    case EntityKind::kCustomer:
      r.data = SourceCustomer{};
      break;
    case EntityKind::kContact:
      r.data = SourceContact{};
      break;
    case EntityKind::kInvoice:
    case EntityKind::kCreditNote:
      r.data = SourceInvoice{};
      break;
    case EntityKind::kPayment:
      r.data = SourcePayment{};
      break;
  }
  return Finish(std::move(r));
}

std::string ComputeVersion(const SourceRecord& record) {
  CanonicalHash h;
  HashCanonical(record, h);
  return VersionText(h.value());
}

std::string VersionText(uint64_t hash) {
  std::string out(16, '0');
  for (size_t i = out.size(); i-- > 0; hash >>= 4) out[i] = "0123456789abcdef"[hash & 0xf];
  return out;
}

Result<SourceRecord> MapParty(JsonElement party, PartyKind kind) {
  const std::string kind_name = kind == PartyKind::kCompany ? "company" : "individual";
  ASSIGN_OR_RETURN(int64_t id, RequiredId(party, kind_name));
  const Subject s{kind_name, std::to_string(id)};
  const std::string ext = PartyExternalId(kind, id);
  ASSIGN_OR_RETURN(std::string type, RequiredText(party, "type", s));
  if (type == "supplier") return DeletedRecord(EntityKind::kCustomer, ext);
  if (type != "client" && type != "prospect") {
    return Invalid(s, "type \"" + type + "\" is not client, prospect or supplier");
  }

  SourceCustomer out;
  domain::Customer& x = out.record;
  x.external_id = ext;
  x.status = type == "client" ? "CLIENT" : "PROSPECT";
  if (kind == PartyKind::kCompany) {
    ASSIGN_OR_RETURN(x.name, RequiredText(party, "name", s));
  } else {
    ASSIGN_OR_RETURN(std::optional<std::string> first, OptText(party, "first_name", s));
    ASSIGN_OR_RETURN(std::optional<std::string> last, OptText(party, "last_name", s));
    if (!first && !last) return Invalid(s, "last_name is missing");
    x.name = first && last ? *first + " " + *last : first ? *first : *last;
  }
  ASSIGN_OR_RETURN(x.accounting_code, OptText(party, "auxiliary_code", s));
  ASSIGN_OR_RETURN(x.vat_number, OptText(party, "legal_france.vat", s));

  std::optional<JsonElement> address = Path(party, "_embed.invoicing_address");
  if (address && address->is_object()) {
    ASSIGN_OR_RETURN(std::optional<std::string> l1, OptText(*address, "address_line_1", s));
    ASSIGN_OR_RETURN(std::optional<std::string> l2, OptText(*address, "address_line_2", s));
    if (l1 || l2) {
      x.street = l1 && l2 ? *l1 + "\n" + *l2 : l1 ? *l1 : *l2;
    }
    ASSIGN_OR_RETURN(x.postal_code, OptText(*address, "postal_code", s));
    ASSIGN_OR_RETURN(x.city, OptText(*address, "city", s));
    ASSIGN_OR_RETURN(std::optional<std::string> country, OptText(*address, "country_code", s));
    if (country) {
      std::transform(country->begin(), country->end(), country->begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    }
    x.country = country;
  }
  // R-SELLSY-7: each tag's text is both the key and the value.
  if (std::optional<simdjson::dom::array> tags = ArrayOf(Path(party, "_embed.smart_tags"))) {
    for (JsonElement tag : *tags) {
      std::optional<std::string_view> value = TextMember(tag, "value");
      if (!value) {
        return Invalid(s, "_embed.smart_tags holds a tag without a text value");
      }
      if (!value->empty()) x.smart_tags[std::string(*value)] = std::string(*value);
    }
  }
  // R-SELLSY-8: payment terms are Sellsy's; payment_delay_days stays unset.

  SourceRecord r;
  r.kind = EntityKind::kCustomer;
  r.external_id = ext;
  ASSIGN_OR_RETURN(r.source_changed_at, OptInstant(party, "updated_at", s));
  r.data = std::move(out);
  return Finish(std::move(r));
}

const std::vector<std::string>& PartyFields(PartyKind kind) {
  static const std::vector<std::string> kEither =
      Concat(LinkedPartyFields(),
             {"auxiliary_code", "updated_at", "_embed.invoicing_address.address_line_1",
              "_embed.invoicing_address.address_line_2", "_embed.invoicing_address.postal_code",
              "_embed.invoicing_address.city", "_embed.invoicing_address.country_code",
              "_embed.smart_tags"});
  // Individuals have no name nor legal_france (research §6).
  static const std::vector<std::string> kCompany = Concat(kEither, {"name", "legal_france.vat"});
  static const std::vector<std::string> kIndividual = Concat(kEither, {"first_name", "last_name"});
  return kind == PartyKind::kCompany ? kCompany : kIndividual;
}

Result<LinkedParty> LinkedPartyOf(JsonElement party, PartyKind kind) {
  const std::string kind_name = kind == PartyKind::kCompany ? "company" : "individual";
  ASSIGN_OR_RETURN(int64_t id, RequiredId(party, kind_name));
  LinkedParty out;
  out.kind = kind;
  out.id = id;
  out.main_contact_id = IdMember(party, "main_contact_id");
  out.is_customer = TextMember(party, "type") != "supplier";
  return out;
}

const std::vector<std::string>& LinkedPartyFields() {
  static const std::vector<std::string> kFields = {"id", "type", "main_contact_id"};
  return kFields;
}

Result<SourceRecord> MapContact(JsonElement contact, const std::vector<LinkedParty>& parties) {
  ASSIGN_OR_RETURN(int64_t id, RequiredId(contact, "contact"));
  const Subject s{"contact", std::to_string(id)};
  const std::string ext = ContactExternalId(id);

  // R-SELLSY-3: the party where it is the main contact, else the lowest id.
  const LinkedParty* chosen = nullptr;
  bool is_main = false;
  for (const auto& p : parties) {
    if (!p.is_customer) continue;
    bool main_here = p.main_contact_id && *p.main_contact_id == id;
    if (chosen == nullptr || (main_here && !is_main) ||
        (main_here == is_main && p.id < chosen->id)) {
      chosen = &p;
      is_main = main_here;
    }
  }
  if (chosen == nullptr) return DeletedRecord(EntityKind::kContact, ext);

  SourceContact out;
  domain::Contact& x = out.record;
  x.external_id = ext;
  out.customer_external_id = PartyExternalId(chosen->kind, chosen->id);
  ASSIGN_OR_RETURN(std::optional<std::string> email, OptText(contact, "email", s));
  x.email = email.value_or("");
  ASSIGN_OR_RETURN(x.first_name, OptText(contact, "first_name", s));
  ASSIGN_OR_RETURN(x.last_name, OptText(contact, "last_name", s));
  ASSIGN_OR_RETURN(std::optional<std::string> phone, OptText(contact, "phone_number", s));
  if (!phone) {
    ASSIGN_OR_RETURN(phone, OptText(contact, "mobile_number", s));
  }
  x.phone = phone;
  x.is_main = is_main;
  x.position = is_main ? "ACCOUNTING" : "SALES";

  SourceRecord r;
  r.kind = EntityKind::kContact;
  r.external_id = ext;
  ASSIGN_OR_RETURN(r.source_changed_at, OptInstant(contact, "updated", s));
  r.data = std::move(out);
  return Finish(std::move(r));
}

const std::vector<std::string>& ContactFields() {
  static const std::vector<std::string> kFields = {
      "id", "email", "first_name", "last_name", "phone_number", "mobile_number", "updated"};
  return kFields;
}

Result<std::optional<SourceRecord>> MapInvoice(JsonElement invoice) {
  return MapDocument(invoice, /*credit_note=*/false, {});
}

Result<std::optional<SourceRecord>> MapCreditNote(JsonElement credit_note,
                                                  std::vector<SourceAllocation> allocations) {
  return MapDocument(credit_note, /*credit_note=*/true, std::move(allocations));
}

const std::vector<std::string>& InvoiceFields() {
  static const std::vector<std::string> kFields = {"id",
                                                   "status",
                                                   "date",
                                                   "number",
                                                   "due_date",
                                                   "currency",
                                                   "amounts.total_incl_tax",
                                                   "pdf_link",
                                                   "related",
                                                   "amounts.total_excl_tax"};
  return kFields;
}

const std::vector<std::string>& CreditNoteFields() {
  static const std::vector<std::string> kFields =
      Concat(InvoiceFields(), {"amounts.total_remaining_due_incl_tax"});
  return kFields;
}

const std::vector<std::string>& LinkedInvoiceFields() {
  static const std::vector<std::string> kFields = {"id", "amounts.total_incl_tax",
                                                   "amounts.total_remaining_due_incl_tax"};
  return kFields;
}

const std::vector<std::string>& InvoicePaymentFields() {
  static const std::vector<std::string> kFields = {"id", "amount.value"};
  return kFields;
}

Result<std::vector<SourceAllocation>> CreditNoteAllocations(
    JsonElement credit_note, const std::vector<JsonElement>& linked_invoices,
    const std::map<int64_t, std::vector<JsonElement>>& invoice_payments) {
  ASSIGN_OR_RETURN(int64_t id, RequiredId(credit_note, "credit note"));
  const Subject s{"credit note", std::to_string(id)};
  ASSIGN_OR_RETURN(Currency currency, CurrencyOf(credit_note, "currency", s));
  ASSIGN_OR_RETURN(int64_t total, Money(credit_note, "amounts.total_incl_tax", currency, s));
  ASSIGN_OR_RETURN(int64_t remaining,
                   Money(credit_note, "amounts.total_remaining_due_incl_tax", currency, s));
  int64_t allocated = total - remaining;
  std::vector<SourceAllocation> out;
  if (allocated <= 0 || linked_invoices.empty()) return out;
  if (linked_invoices.size() == 1) {
    ASSIGN_OR_RETURN(int64_t inv_id, RequiredId(linked_invoices[0], "invoice"));
    out.push_back({InvoiceExternalId(inv_id), allocated});
    return out;
  }
  std::vector<std::pair<int64_t, JsonElement>> sorted;
  for (const auto& inv : linked_invoices) {
    ASSIGN_OR_RETURN(int64_t inv_id, RequiredId(inv, "invoice"));
    sorted.emplace_back(inv_id, inv);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  int64_t left = allocated;
  for (const auto& [inv_id, inv] : sorted) {
    if (left <= 0) break;
    const Subject is{"invoice", std::to_string(inv_id)};
    ASSIGN_OR_RETURN(int64_t inv_total, Money(inv, "amounts.total_incl_tax", currency, is));
    ASSIGN_OR_RETURN(int64_t inv_remaining,
                     Money(inv, "amounts.total_remaining_due_incl_tax", currency, is));
    int64_t paid = 0;
    auto it = invoice_payments.find(inv_id);
    if (it != invoice_payments.end()) {
      for (const auto& p : it->second) {
        ASSIGN_OR_RETURN(int64_t pid, RequiredId(p, "payment"));
        const Subject ps{"payment", std::to_string(pid)};
        ASSIGN_OR_RETURN(int64_t linked, Money(p, "amount.value", currency, ps));
        paid += linked;
      }
    }
    int64_t amount = std::min(inv_total - inv_remaining - paid, left);
    if (amount <= 0) continue;
    out.push_back({InvoiceExternalId(inv_id), amount});
    left -= amount;
  }
  return out;
}

std::string PaymentMethodName(std::optional<int64_t> id) {
  if (!id) return "OTHER";
  switch (*id) {
    case 1:
      return "TRANSFER";  // Virement
    case 2:
      return "CHECK";  // Chèque
    case 3:
      return "CARD";  // Carte bancaire
    case 4:
      return "DIRECT_DEBIT";  // Prélèvement
    case 5:
      return "CASH";  // Espèces
    default:
      return "OTHER";  // 7 Paypal, and methods we do not know
  }
}

Result<std::optional<SourceRecord>> MapPayment(JsonElement payment) {
  ASSIGN_OR_RETURN(int64_t id, RequiredId(payment, "payment"));
  const Subject s{"payment", std::to_string(id)};
  const std::string ext = PaymentExternalId(id);

  ASSIGN_OR_RETURN(std::string paid_at, RequiredText(payment, "paid_at", s));
  if (paid_at.size() < 10 || !ParseTimestamp(paid_at).ok()) {
    return Invalid(s, "paid_at \"" + paid_at + "\" is not an RFC 3339 datetime");
  }
  // The day as Sellsy shows it (its own time zone), not the UTC day.
  Result<Date> date = Date::Parse(std::string_view(paid_at).substr(0, 10));
  if (!date.ok()) return Invalid(s, "paid_at \"" + paid_at + "\" is not an RFC 3339 datetime");
  if (*date < DatedFrom()) return std::optional<SourceRecord>();

  ASSIGN_OR_RETURN(std::optional<std::string> status, OptText(payment, "status", s));
  if (status && (*status == "rejected" || *status == "failed" || *status == "refund")) {
    return std::optional<SourceRecord>(DeletedRecord(EntityKind::kPayment, ext));
  }
  ASSIGN_OR_RETURN(Currency currency, CurrencyOf(payment, "currency", s));

  SourcePayment out;
  std::optional<JsonElement> objects = Path(payment, "related_objects");
  if (objects && !objects->is_null()) {
    std::optional<simdjson::dom::array> list = ArrayOf(objects);
    if (!list) return Invalid(s, "related_objects is not an array");
    for (JsonElement o : *list) {
      if (TextMember(o, "type") != "invoice") continue;
      std::optional<int64_t> inv = IdMember(o, "id");
      if (!inv) return Invalid(s, "related_objects holds an invoice without a valid id");
      std::optional<JsonElement> linked_amount = JsonMember(o, "amount_linked");
      if (!linked_amount || linked_amount->is_null()) continue;
      ASSIGN_OR_RETURN(int64_t linked, Money(o, "amount_linked", currency,
                                             Subject{"payment", std::to_string(id) + " (invoice " +
                                                                    std::to_string(*inv) + ")"}));
      if (linked <= 0) continue;
      out.allocations.push_back({InvoiceExternalId(*inv), linked});
    }
  }
  // R-SELLSY-6: only payments allocated to invoices.
  if (out.allocations.empty()) {
    return std::optional<SourceRecord>(DeletedRecord(EntityKind::kPayment, ext));
  }

  domain::Payment& x = out.record;
  x.external_id = ext;
  x.currency = currency.code();
  ASSIGN_OR_RETURN(x.amount, Money(payment, "amounts.total", currency, s));
  x.date = *date;
  x.method = PaymentMethodName(IdMember(payment, "payment_method_id"));
  ASSIGN_OR_RETURN(x.reference, OptText(payment, "number", s));

  std::optional<JsonElement> related = Path(payment, "related");
  if (related && related->is_object()) {
    std::optional<std::string_view> type_text = TextMember(*related, "type");
    const std::string type(type_text.value_or(""));
    std::optional<int64_t> pid = IdMember(*related, "id");
    if ((type == "company" || type == "individual") && pid) {
      out.customer_external_id =
          PartyExternalId(type == "company" ? PartyKind::kCompany : PartyKind::kIndividual, *pid);
    }
  }
  if (out.customer_external_id.empty()) {
    return Invalid(s, "related names no company or individual");
  }

  SourceRecord r;
  r.kind = EntityKind::kPayment;
  r.external_id = ext;
  r.data = std::move(out);
  return std::optional<SourceRecord>(Finish(std::move(r)));
}

const std::vector<std::string>& PaymentFields() {
  static const std::vector<std::string> kFields = {
      "id",     "paid_at", "status",        "currency",         "related_objects",
      "number", "related", "amounts.total", "payment_method_id"};
  return kFields;
}

const std::vector<std::string>& WebhookEntities() {
  static const std::vector<std::string> kEntities = {
      "client", "individual", "people", "third_party_contact", "invoice", "creditnote", "payment"};
  return kEntities;
}

Result<std::vector<ChangeHint>> ParseWebhook(std::string_view content_type, std::string_view body) {
  std::string type(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!type.empty() && type != "application/x-www-form-urlencoded") {
    return InvalidArgument(
        "Sellsy webhook: expected an application/x-www-form-urlencoded body, got " +
        std::string(content_type));
  }
  std::optional<std::string> notif;
  size_t start = 0;
  while (start <= body.size()) {
    size_t amp = body.find('&', start);
    std::string_view pair =
        body.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    size_t eq = pair.find('=');
    std::optional<std::string> name = FormDecode(pair.substr(0, eq));
    if (!name) return InvalidArgument("Sellsy webhook: bad percent-encoding in the form body");
    if (*name == "notif") {
      if (eq == std::string_view::npos)
        return InvalidArgument("Sellsy webhook: the notif field is empty");
      notif = FormDecode(pair.substr(eq + 1));
      if (!notif) return InvalidArgument("Sellsy webhook: bad percent-encoding in the notif field");
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  if (!notif) return InvalidArgument("Sellsy webhook: the form has no notif field");
  // A parser of its own: a delivery is rare, and its elements die here.
  simdjson::dom::parser parser;
  JsonElement j;
  if (parser.parse(*notif).get(j) != simdjson::SUCCESS || !j.is_object()) {
    return InvalidArgument("Sellsy webhook: notif is not a JSON object");
  }
  std::optional<std::string_view> related = TextMember(j, "relatedtype");
  if (!related || related->empty()) {
    return InvalidArgument("Sellsy webhook: notif has no relatedtype text");
  }
  std::optional<JsonElement> related_id = JsonMember(j, "relatedid");
  if (!related_id) return InvalidArgument("Sellsy webhook: notif has no relatedid");
  std::optional<int64_t> id = IdValue(*related_id);
  if (!id) {
    return InvalidArgument("Sellsy webhook: notif relatedid " + Quote(*related_id) +
                           " is not an id");
  }
  std::string event = "updated";
  if (std::optional<JsonElement> e = JsonMember(j, "event")) {
    std::optional<std::string_view> text = TextOf(*e);
    if (!text) return InvalidArgument("Sellsy webhook: notif event is not a text");
    event = *text;
  }
  std::vector<ChangeHint> hints;
  const auto& known = WebhookEntities();
  if (std::find(known.begin(), known.end(), *related) != known.end()) {
    hints.push_back({std::string(*related), std::to_string(*id), event});
  }
  return hints;
}

}  // namespace relance::sync::sellsy
