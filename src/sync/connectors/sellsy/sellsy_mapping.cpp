#include "sync/connectors/sellsy/sellsy_mapping.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <utility>
#include <nlohmann/json.hpp>

#include "core/byte_scan.h"
#include "core/money.h"

namespace relance::sync::sellsy {
namespace {

using nlohmann::json;

// "Sellsy invoice 3875" etc.: the start of every error message, written only
// when there is one.
struct Subject {
  Subject(std::string_view name, int64_t id, std::optional<int64_t> invoice = std::nullopt)
      : name(name), id(id), invoice(invoice) {}
  std::string_view name;  // "invoice"
  int64_t id = 0;
  // A payment's allocation to an invoice: "Sellsy payment 7 (invoice 3875)".
  std::optional<int64_t> invoice;
  std::string Text() const {
    std::string text = "Sellsy " + std::string(name) + " " + std::to_string(id);
    if (invoice) text += " (invoice " + std::to_string(*invoice) + ")";
    return text;
  }
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

// A member, when present, as an id.
std::optional<int64_t> IdAt(std::optional<JsonElement> v) {
  return v ? IdValue(*v) : std::nullopt;
}

// The id of an object of `kind`: `is_object` whether it is one, `id` its
// member "id".
Result<int64_t> RequiredIdOf(bool is_object, std::optional<JsonElement> id,
                             std::string_view kind) {
  if (is_object && id) {
    if (std::optional<int64_t> value = IdValue(*id)) return *value;
  }
  const std::string what = "Sellsy " + std::string(kind);
  if (!is_object) return InvalidArgument(what + ": not a JSON object");
  if (!id) return InvalidArgument(what + " without an id");
  return InvalidArgument(what + ": id " + Quote(*id) + " is not an id");
}

Result<int64_t> RequiredId(JsonElement obj, std::string_view kind) {
  if (!obj.is_object()) return RequiredIdOf(false, std::nullopt, kind);
  return RequiredIdOf(true, JsonMember(obj, "id"), kind);
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

// The text of `v` when it is a JSON string.
std::optional<std::string_view> TextOf(JsonElement v) {
  std::string_view text;
  if (v.get(text) != simdjson::SUCCESS) return std::nullopt;
  return text;
}

// A member, when present, as a text.
std::optional<std::string_view> TextAt(std::optional<JsonElement> v) {
  return v ? TextOf(*v) : std::nullopt;
}

// The array `v`, when it is one. Kept in a variable for a range-for: the
// array of a temporary simdjson_result would not outlive the loop's start.
std::optional<simdjson::dom::array> ArrayOf(std::optional<JsonElement> v) {
  simdjson::dom::array a;
  if (!v || v->get(a) != simdjson::SUCCESS) return std::nullopt;
  return a;
}

// Where ReadMembers puts the member `name`.
struct MemberSlot {
  std::string_view name;
  std::optional<JsonElement>* value;
};

// Points each slot at the member of `obj` of its name (the first of a name
// that repeats, as at_key finds it), in one walk of the object: a mapping
// reads most members of its object, and each at_key walks it from the start.
// False (no slot set) when `obj` is not an object.
// Inlined, so that the names are constants each key is compared with.
template <size_t N>
[[gnu::always_inline]] inline bool ReadMembers(JsonElement obj, const MemberSlot (&slots)[N]) {
  simdjson::dom::object object;
  if (obj.get(object) != simdjson::SUCCESS) return false;
  size_t found = 0;
  for (simdjson::dom::key_value_pair member : object) {
    for (const MemberSlot& slot : slots) {
      if (member.key != slot.name) continue;
      if (!*slot.value) {
        *slot.value = member.value;
        ++found;
      }
      break;
    }
    if (found == N) break;
  }
  return true;
}

// `v`, the member at `path` (named in messages): missing or null -> nullopt;
// a string -> its text, a view into the document (empty kept as nullopt).
Result<std::optional<std::string_view>> OptViewAt(std::optional<JsonElement> v,
                                                  std::string_view path, const Subject& s) {
  if (!v || v->is_null()) return std::optional<std::string_view>();
  std::optional<std::string_view> text = TextOf(*v);
  if (!text) return Invalid(s, std::string(path) + " " + Quote(*v) + " is not a text");
  if (text->empty()) return std::optional<std::string_view>();
  return text;
}

// OptViewAt's text, copied.
Result<std::optional<std::string>> OptTextAt(std::optional<JsonElement> v, std::string_view path,
                                             const Subject& s) {
  ASSIGN_OR_RETURN(std::optional<std::string_view> text, OptViewAt(v, path, s));
  if (!text) return std::optional<std::string>();
  return std::optional<std::string>(*text);
}

Result<std::string_view> RequiredViewAt(std::optional<JsonElement> v, std::string_view path,
                                        const Subject& s) {
  ASSIGN_OR_RETURN(std::optional<std::string_view> text, OptViewAt(v, path, s));
  if (!text) return Invalid(s, std::string(path) + " is missing");
  return *text;
}

Result<Date> RequiredDateAt(std::optional<JsonElement> v, std::string_view path,
                            const Subject& s) {
  if (!v || v->is_null()) return Invalid(s, std::string(path) + " is missing");
  std::optional<std::string_view> text = TextOf(*v);
  if (!text) return Invalid(s, std::string(path) + " " + Quote(*v) + " is not a date");
  std::optional<Date> d = ParseDay(*text);
  if (!d) return Invalid(s, std::string(path) + " " + Quote(*v) + " is not a date (YYYY-MM-DD)");
  return *d;
}

Result<int64_t> MoneyAt(std::optional<JsonElement> v, std::string_view path,
                        const Currency& currency, const Subject& s) {
  if (!v || v->is_null()) return Invalid(s, std::string(path) + " is missing");
  std::optional<std::string_view> text = TextOf(*v);
  if (!text) return Invalid(s, std::string(path) + " " + Quote(*v) + " is not a decimal amount");
  Result<int64_t> m = ParseDecimalToMinor(*text, currency);
  if (!m.ok()) return Invalid(s, std::string(path) + " " + Quote(*v) + " is not a decimal amount");
  return *m;
}

Result<int64_t> Money(JsonElement obj, std::string_view path, const Currency& currency,
                      const Subject& s) {
  return MoneyAt(Path(obj, path), path, currency, s);
}

// Currency::Parse, which looks the code up in the whole ISO 4217 table; the
// last code parsed is kept (per thread), a page being mostly one currency.
Result<Currency> ParseCurrency(std::string_view code) {
  thread_local std::optional<Currency> last;
  if (last && last->code() == code) return *last;
  Result<Currency> c = Currency::Parse(code);
  if (c.ok()) last = *c;
  return c;
}

Result<Currency> CurrencyAt(std::optional<JsonElement> v, std::string_view path,
                            const Subject& s) {
  ASSIGN_OR_RETURN(std::optional<std::string_view> code, OptViewAt(v, path, s));
  Result<Currency> c = ParseCurrency(code.value_or("EUR"));
  if (!c.ok()) {
    return Invalid(s, std::string(path) + " \"" + std::string(*code) + "\" is not a currency");
  }
  return c;
}

Result<Currency> CurrencyOf(JsonElement obj, std::string_view path, const Subject& s) {
  return CurrencyAt(Path(obj, path), path, s);
}

// An RFC 3339 datetime, checked; the text kept as Sellsy gave it.
Result<std::optional<std::string>> OptInstantAt(std::optional<JsonElement> v,
                                                std::string_view path, const Subject& s) {
  ASSIGN_OR_RETURN(std::optional<std::string_view> t, OptViewAt(v, path, s));
  if (!t) return std::optional<std::string>();
  if (!ParseTimestamp(*t).ok()) {
    return Invalid(s, std::string(path) + " \"" + std::string(*t) +
                          "\" is not an RFC 3339 datetime");
  }
  return std::optional<std::string>(*t);
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
    // Most texts are printable ASCII without '"' or '\': hashed as they are
    // checked, eight bytes at a time (the tail as the last eight bytes).
    using namespace byte_scan;
    auto may_escape = [](uint64_t w) {
      return (w & kHighs) != 0 || HasBelow(w, 0x20) || Has(w, 0x7f) || Has(w, '"') ||
             Has(w, '\\');
    };
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const size_t n = text.size();
    uint64_t h = (h_ ^ '"') * kFnvPrime;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      if (may_escape(Load(text.data() + i))) return OtherString(text);
      for (size_t k = 0; k < 8; ++k) h = (h ^ p[i + k]) * kFnvPrime;
    }
    if (i < n) {
      if (n >= 8) {
        if (may_escape(Load(text.data() + n - 8))) return OtherString(text);
      } else {
        for (size_t k = 0; k < n; ++k) {
          const unsigned char c = p[k];
          if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') return OtherString(text);
        }
      }
      for (; i < n; ++i) h = (h ^ p[i]) * kFnvPrime;
    }
    h_ = (h ^ '"') * kFnvPrime;
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
  // A text that is not printable ASCII, or holds '"' or '\'.
  void OtherString(std::string_view text) {
    if (IsVerbatimJsonText(text)) {
      Lit("\"");
      Bytes(text);
      Lit("\"");
    } else {
      // Escapes, invalid bytes replaced: rare, left to nlohmann itself.
      Bytes(json(text).dump(-1, ' ', false, json::error_handler_t::replace));
    }
  }

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

void Finish(SourceRecord& r) { r.version = ComputeVersion(r); }

// `r`, its kind and external id set, as DeletedRecord gives it.
void MarkDeleted(SourceRecord& r) {
  r.deleted = true;
  r.source_changed_at.reset();
  switch (r.kind) {
    case EntityKind::kCustomer:
      r.data.emplace<SourceCustomer>();
      break;
    case EntityKind::kContact:
      r.data.emplace<SourceContact>();
      break;
    case EntityKind::kInvoice:
    case EntityKind::kCreditNote:
      r.data.emplace<SourceInvoice>();
      break;
    case EntityKind::kPayment:
      r.data.emplace<SourcePayment>();
      break;
  }
  Finish(r);
}

// "invoice/3875": the prefix and the id's digits, written once.
std::string WithId(std::string_view prefix, int64_t id) {
  char buf[48];
  std::memcpy(buf, prefix.data(), prefix.size());  // prefixes are short words
  auto [end, ec] = std::to_chars(buf + prefix.size(), buf + sizeof buf, id);
  (void)ec;  // 20 characters hold any int64_t
  return std::string(buf, static_cast<size_t>(end - buf));
}

// `related` of a document: the one company or individual.
Result<std::string> DocumentCustomer(std::optional<JsonElement> related_member,
                                     const Subject& s) {
  std::optional<simdjson::dom::array> related = ArrayOf(related_member);
  if (!related) return Invalid(s, "related is missing");
  std::string found;  // empty: none yet (an external id never is)
  for (JsonElement item : *related) {
    std::optional<JsonElement> type_member, id_member;
    ReadMembers(item, {{"type", &type_member}, {"id", &id_member}});
    std::optional<std::string_view> type = TextAt(type_member);
    if (!type) continue;
    if (*type != "company" && *type != "individual") continue;
    std::optional<int64_t> id = IdAt(id_member);
    if (!id) return Invalid(s, "related " + std::string(*type) + " has no valid id");
    std::string ext =
        PartyExternalId(*type == "company" ? PartyKind::kCompany : PartyKind::kIndividual, *id);
    if (!found.empty() && found != ext) return Invalid(s, "related names two customers");
    found = std::move(ext);
  }
  if (found.empty()) return Invalid(s, "related names no company or individual");
  return found;
}

// An invoice or credit note into `r`, a record just constructed; false when
// it is not fetched (dated before 2018).
Result<bool> MapDocumentInto(JsonElement doc, bool credit_note,
                             std::vector<SourceAllocation> allocations, SourceRecord& r) {
  const std::string_view kind_name = credit_note ? "credit note" : "invoice";
  std::optional<JsonElement> id_m, status_m, date_m, number_m, due_m, currency_m, amounts_m,
      pdf_m, related_m;
  const bool is_object = ReadMembers(doc, {{"id", &id_m},
                                           {"status", &status_m},
                                           {"date", &date_m},
                                           {"number", &number_m},
                                           {"due_date", &due_m},
                                           {"currency", &currency_m},
                                           {"amounts", &amounts_m},
                                           {"pdf_link", &pdf_m},
                                           {"related", &related_m}});
  ASSIGN_OR_RETURN(int64_t id, RequiredIdOf(is_object, id_m, kind_name));
  const Subject s{kind_name, id};
  r.kind = credit_note ? EntityKind::kCreditNote : EntityKind::kInvoice;
  r.external_id = credit_note ? CreditNoteExternalId(id) : InvoiceExternalId(id);

  ASSIGN_OR_RETURN(std::string_view status, RequiredViewAt(status_m, "status", s));
  if (status == "draft") {
    MarkDeleted(r);
    return true;
  }
  ASSIGN_OR_RETURN(Date date, RequiredDateAt(date_m, "date", s));
  if (date < DatedFrom()) return false;

  SourceInvoice& out = r.data.emplace<SourceInvoice>();
  domain::Invoice& x = out.record;
  x.kind = credit_note ? "CREDIT_NOTE" : "INVOICE";
  x.external_id = r.external_id;
  ASSIGN_OR_RETURN(std::optional<std::string_view> number, OptViewAt(number_m, "number", s));
  if (!number) {
    // A draft cancelled before it was validated was never issued.
    if (status == "cancelled") {
      MarkDeleted(r);
      return true;
    }
    return Invalid(s, "number is missing (a validated document has one)");
  }
  x.number = *number;
  x.issue_date = date;
  x.due_date = date;
  if (due_m && !due_m->is_null()) {
    ASSIGN_OR_RETURN(Date due_date, RequiredDateAt(due_m, "due_date", s));
    x.printed_due_date = due_date;
    // R-SELLSY-9: Sellsy's "on receipt" terms give due_date == date.
    x.payable_on_receipt = due_date == date;
    x.due_date = due_date;
  }
  ASSIGN_OR_RETURN(Currency currency, CurrencyAt(currency_m, "currency", s));
  x.currency = currency.code();
  std::optional<JsonElement> gross_m, net_m;
  if (amounts_m) {
    ReadMembers(*amounts_m, {{"total_incl_tax", &gross_m}, {"total_excl_tax", &net_m}});
  }
  ASSIGN_OR_RETURN(x.gross_amount, MoneyAt(gross_m, "amounts.total_incl_tax", currency, s));
  ASSIGN_OR_RETURN(x.net_amount, MoneyAt(net_m, "amounts.total_excl_tax", currency, s));
  x.tax_amount = x.gross_amount - x.net_amount;
  x.is_void = status == "cancelled";
  ASSIGN_OR_RETURN(x.pdf_url, OptTextAt(pdf_m, "pdf_link", s));
  x.origin = "sellsy";
  ASSIGN_OR_RETURN(out.customer_external_id, DocumentCustomer(related_m, s));
  if (credit_note && !x.is_void) out.allocations = std::move(allocations);
  Finish(r);
  return true;
}

// `map_into(record)` on a record appended to `out`, taken back when it
// fails or gives false (nothing to say).
template <typename MapInto>
Result<void> AppendMapped(std::vector<SourceRecord>& out, MapInto map_into) {
  Result<bool> kept = map_into(out.emplace_back());
  if (!kept.ok() || !*kept) out.pop_back();
  if (!kept.ok()) return std::move(kept).take_error();
  return Ok();
}

// `map_into(record)` on a record of its own, returned when the mapping
// says true.
template <typename MapInto>
Result<std::optional<SourceRecord>> MapOptional(MapInto map_into) {
  SourceRecord r;
  ASSIGN_OR_RETURN(bool kept, map_into(r));
  if (!kept) return std::optional<SourceRecord>();
  return std::optional<SourceRecord>(std::move(r));
}

Result<bool> MapPartyInto(JsonElement party, PartyKind kind, SourceRecord& r) {
  const std::string_view kind_name = kind == PartyKind::kCompany ? "company" : "individual";
  std::optional<JsonElement> id_m, type_m, name_m, first_m, last_m, code_m, legal_m, embed_m,
      updated_m;
  const bool is_object = ReadMembers(party, {{"id", &id_m},
                                             {"type", &type_m},
                                             {"name", &name_m},
                                             {"first_name", &first_m},
                                             {"last_name", &last_m},
                                             {"auxiliary_code", &code_m},
                                             {"legal_france", &legal_m},
                                             {"_embed", &embed_m},
                                             {"updated_at", &updated_m}});
  ASSIGN_OR_RETURN(int64_t id, RequiredIdOf(is_object, id_m, kind_name));
  const Subject s{kind_name, id};
  r.kind = EntityKind::kCustomer;
  r.external_id = PartyExternalId(kind, id);
  ASSIGN_OR_RETURN(std::string_view type, RequiredViewAt(type_m, "type", s));
  if (type == "supplier") {
    MarkDeleted(r);
    return true;
  }
  if (type != "client" && type != "prospect") {
    return Invalid(s, "type \"" + std::string(type) + "\" is not client, prospect or supplier");
  }

  SourceCustomer& out = r.data.emplace<SourceCustomer>();
  domain::Customer& x = out.record;
  x.external_id = r.external_id;
  x.status = type == "client" ? "CLIENT" : "PROSPECT";
  if (kind == PartyKind::kCompany) {
    ASSIGN_OR_RETURN(std::string_view name, RequiredViewAt(name_m, "name", s));
    x.name = name;
  } else {
    ASSIGN_OR_RETURN(std::optional<std::string_view> first, OptViewAt(first_m, "first_name", s));
    ASSIGN_OR_RETURN(std::optional<std::string_view> last, OptViewAt(last_m, "last_name", s));
    if (!first && !last) return Invalid(s, "last_name is missing");
    if (first && last) {
      x.name.reserve(first->size() + 1 + last->size());
      x.name.append(*first).append(" ").append(*last);
    } else {
      x.name = first ? *first : *last;
    }
  }
  ASSIGN_OR_RETURN(x.accounting_code, OptTextAt(code_m, "auxiliary_code", s));
  ASSIGN_OR_RETURN(x.vat_number, OptTextAt(legal_m ? JsonMember(*legal_m, "vat") : std::nullopt,
                                           "legal_france.vat", s));

  std::optional<JsonElement> address, tags_m;
  if (embed_m) ReadMembers(*embed_m, {{"invoicing_address", &address}, {"smart_tags", &tags_m}});
  std::optional<JsonElement> l1_m, l2_m, postal_m, city_m, country_m;
  if (address && ReadMembers(*address, {{"address_line_1", &l1_m},
                                        {"address_line_2", &l2_m},
                                        {"postal_code", &postal_m},
                                        {"city", &city_m},
                                        {"country_code", &country_m}})) {
    ASSIGN_OR_RETURN(std::optional<std::string_view> l1, OptViewAt(l1_m, "address_line_1", s));
    ASSIGN_OR_RETURN(std::optional<std::string_view> l2, OptViewAt(l2_m, "address_line_2", s));
    if (l1 && l2) {
      x.street.emplace().reserve(l1->size() + 1 + l2->size());
      x.street->append(*l1).append("\n").append(*l2);
    } else if (l1 || l2) {
      x.street.emplace(l1 ? *l1 : *l2);
    }
    ASSIGN_OR_RETURN(x.postal_code, OptTextAt(postal_m, "postal_code", s));
    ASSIGN_OR_RETURN(x.city, OptTextAt(city_m, "city", s));
    ASSIGN_OR_RETURN(x.country, OptTextAt(country_m, "country_code", s));
    if (x.country) {
      std::transform(x.country->begin(), x.country->end(), x.country->begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    }
  }
  // R-SELLSY-7: each tag's text is both the key and the value.
  if (std::optional<simdjson::dom::array> tags = ArrayOf(tags_m)) {
    for (JsonElement tag : *tags) {
      std::optional<std::string_view> value = TextMember(tag, "value");
      if (!value) {
        return Invalid(s, "_embed.smart_tags holds a tag without a text value");
      }
      if (!value->empty()) x.smart_tags[std::string(*value)] = *value;
    }
  }
  // R-SELLSY-8: payment terms are Sellsy's; payment_delay_days stays unset.

  ASSIGN_OR_RETURN(r.source_changed_at, OptInstantAt(updated_m, "updated_at", s));
  Finish(r);
  return true;
}

Result<bool> MapContactInto(JsonElement contact, const std::vector<LinkedParty>& parties,
                            SourceRecord& r) {
  std::optional<JsonElement> id_m, email_m, first_m, last_m, phone_m, mobile_m, updated_m;
  const bool is_object = ReadMembers(contact, {{"id", &id_m},
                                               {"email", &email_m},
                                               {"first_name", &first_m},
                                               {"last_name", &last_m},
                                               {"phone_number", &phone_m},
                                               {"mobile_number", &mobile_m},
                                               {"updated", &updated_m}});
  ASSIGN_OR_RETURN(int64_t id, RequiredIdOf(is_object, id_m, "contact"));
  const Subject s{"contact", id};
  r.kind = EntityKind::kContact;
  r.external_id = ContactExternalId(id);

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
  if (chosen == nullptr) {
    MarkDeleted(r);
    return true;
  }

  SourceContact& out = r.data.emplace<SourceContact>();
  domain::Contact& x = out.record;
  x.external_id = r.external_id;
  out.customer_external_id = PartyExternalId(chosen->kind, chosen->id);
  ASSIGN_OR_RETURN(std::optional<std::string_view> email, OptViewAt(email_m, "email", s));
  if (email) x.email = *email;
  ASSIGN_OR_RETURN(x.first_name, OptTextAt(first_m, "first_name", s));
  ASSIGN_OR_RETURN(x.last_name, OptTextAt(last_m, "last_name", s));
  ASSIGN_OR_RETURN(std::optional<std::string_view> phone, OptViewAt(phone_m, "phone_number", s));
  if (!phone) {
    ASSIGN_OR_RETURN(phone, OptViewAt(mobile_m, "mobile_number", s));
  }
  if (phone) x.phone.emplace(*phone);
  x.is_main = is_main;
  x.position = is_main ? "ACCOUNTING" : "SALES";

  ASSIGN_OR_RETURN(r.source_changed_at, OptInstantAt(updated_m, "updated", s));
  Finish(r);
  return true;
}

Result<bool> MapPaymentInto(JsonElement payment, SourceRecord& r) {
  std::optional<JsonElement> id_m, paid_at_m, status_m, currency_m, objects_m, number_m,
      related_m, amounts_m, method_m;
  const bool is_object = ReadMembers(payment, {{"id", &id_m},
                                               {"paid_at", &paid_at_m},
                                               {"status", &status_m},
                                               {"currency", &currency_m},
                                               {"related_objects", &objects_m},
                                               {"number", &number_m},
                                               {"related", &related_m},
                                               {"amounts", &amounts_m},
                                               {"payment_method_id", &method_m}});
  ASSIGN_OR_RETURN(int64_t id, RequiredIdOf(is_object, id_m, "payment"));
  const Subject s{"payment", id};
  r.kind = EntityKind::kPayment;
  r.external_id = PaymentExternalId(id);

  ASSIGN_OR_RETURN(std::string_view paid_at, RequiredViewAt(paid_at_m, "paid_at", s));
  if (paid_at.size() < 10 || !ParseTimestamp(paid_at).ok()) {
    return Invalid(s, "paid_at \"" + std::string(paid_at) + "\" is not an RFC 3339 datetime");
  }
  // The day as Sellsy shows it (its own time zone), not the UTC day.
  std::optional<Date> date = ParseDay(paid_at.substr(0, 10));
  if (!date) {
    return Invalid(s, "paid_at \"" + std::string(paid_at) + "\" is not an RFC 3339 datetime");
  }
  if (*date < DatedFrom()) return false;

  ASSIGN_OR_RETURN(std::optional<std::string_view> status, OptViewAt(status_m, "status", s));
  if (status && (*status == "rejected" || *status == "failed" || *status == "refund")) {
    MarkDeleted(r);
    return true;
  }
  ASSIGN_OR_RETURN(Currency currency, CurrencyAt(currency_m, "currency", s));

  SourcePayment& out = r.data.emplace<SourcePayment>();
  if (objects_m && !objects_m->is_null()) {
    std::optional<simdjson::dom::array> list = ArrayOf(objects_m);
    if (!list) return Invalid(s, "related_objects is not an array");
    for (JsonElement o : *list) {
      std::optional<JsonElement> type_m, invoice_m, linked_m;
      ReadMembers(o, {{"type", &type_m}, {"id", &invoice_m}, {"amount_linked", &linked_m}});
      if (TextAt(type_m) != "invoice") continue;
      std::optional<int64_t> inv = IdAt(invoice_m);
      if (!inv) return Invalid(s, "related_objects holds an invoice without a valid id");
      if (!linked_m || linked_m->is_null()) continue;
      ASSIGN_OR_RETURN(int64_t linked,
                       MoneyAt(linked_m, "amount_linked", currency, Subject{"payment", id, *inv}));
      if (linked <= 0) continue;
      out.allocations.push_back({InvoiceExternalId(*inv), linked});
    }
  }
  // R-SELLSY-6: only payments allocated to invoices.
  if (out.allocations.empty()) {
    MarkDeleted(r);
    return true;
  }

  domain::Payment& x = out.record;
  x.external_id = r.external_id;
  x.currency = currency.code();
  std::optional<JsonElement> total_m;
  if (amounts_m) ReadMembers(*amounts_m, {{"total", &total_m}});
  ASSIGN_OR_RETURN(x.amount, MoneyAt(total_m, "amounts.total", currency, s));
  x.date = *date;
  x.method = PaymentMethodName(IdAt(method_m));
  ASSIGN_OR_RETURN(x.reference, OptTextAt(number_m, "number", s));

  std::optional<JsonElement> type_m, party_m;
  if (related_m && ReadMembers(*related_m, {{"type", &type_m}, {"id", &party_m}})) {
    const std::string_view type = TextAt(type_m).value_or("");
    std::optional<int64_t> pid = IdAt(party_m);
    if ((type == "company" || type == "individual") && pid) {
      out.customer_external_id =
          PartyExternalId(type == "company" ? PartyKind::kCompany : PartyKind::kIndividual, *pid);
    }
  }
  if (out.customer_external_id.empty()) {
    return Invalid(s, "related names no company or individual");
  }
  Finish(r);
  return true;
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

Date DatedFrom() {
  static const Date kFrom = Date::FromYmd(2018, 1, 1).value();
  return kFrom;
}

std::optional<Date> ParseDay(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int digits[8];
  int n = 0;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < '0' || c > '9') return std::nullopt;
    digits[n++] = c - '0';
  }
  const int y = digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3];
  const int m = digits[4] * 10 + digits[5];
  const int d = digits[6] * 10 + digits[7];
  if (y < 1 || m < 1 || m > 12 || d < 1) return std::nullopt;
  const bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
  static constexpr int kDaysIn[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d > kDaysIn[m - 1] + (m == 2 && leap ? 1 : 0)) return std::nullopt;
  // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
  // days_from_civil, which date::sys_days computes too).
  const int yy = m <= 2 ? y - 1 : y;
  const int era = yy / 400;  // yy >= 0
  const int yoe = yy - era * 400;
  const int doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return Date::FromDays(era * 146097 + doe - 719468);
}

std::string CompanyExternalId(int64_t id) { return WithId("company/", id); }
std::string IndividualExternalId(int64_t id) { return WithId("individual/", id); }
std::string PartyExternalId(PartyKind kind, int64_t id) {
  return kind == PartyKind::kCompany ? CompanyExternalId(id) : IndividualExternalId(id);
}
std::string ContactExternalId(int64_t id) { return WithId("contact/", id); }
std::string InvoiceExternalId(int64_t id) { return WithId("invoice/", id); }
std::string CreditNoteExternalId(int64_t id) { return WithId("credit-note/", id); }
std::string PaymentExternalId(int64_t id) { return WithId("payment/", id); }

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
  MarkDeleted(r);
  return r;
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
  SourceRecord r;
  RETURN_IF_ERROR(MapPartyInto(party, kind, r));
  return r;
}

Result<void> AppendParty(JsonElement party, PartyKind kind, std::vector<SourceRecord>& out) {
  return AppendMapped(out, [&](SourceRecord& r) { return MapPartyInto(party, kind, r); });
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
  std::optional<JsonElement> id_m, main_m, type_m;
  const bool is_object =
      ReadMembers(party, {{"id", &id_m}, {"main_contact_id", &main_m}, {"type", &type_m}});
  ASSIGN_OR_RETURN(int64_t id, RequiredIdOf(is_object, id_m,
                                            kind == PartyKind::kCompany ? "company" : "individual"));
  LinkedParty out;
  out.kind = kind;
  out.id = id;
  out.main_contact_id = IdAt(main_m);
  out.is_customer = TextAt(type_m) != "supplier";
  return out;
}

const std::vector<std::string>& LinkedPartyFields() {
  static const std::vector<std::string> kFields = {"id", "type", "main_contact_id"};
  return kFields;
}

Result<SourceRecord> MapContact(JsonElement contact, const std::vector<LinkedParty>& parties) {
  SourceRecord r;
  RETURN_IF_ERROR(MapContactInto(contact, parties, r));
  return r;
}

Result<void> AppendContact(JsonElement contact, const std::vector<LinkedParty>& parties,
                           std::vector<SourceRecord>& out) {
  return AppendMapped(out, [&](SourceRecord& r) { return MapContactInto(contact, parties, r); });
}

const std::vector<std::string>& ContactFields() {
  static const std::vector<std::string> kFields = {
      "id", "email", "first_name", "last_name", "phone_number", "mobile_number", "updated"};
  return kFields;
}

Result<std::optional<SourceRecord>> MapInvoice(JsonElement invoice) {
  return MapOptional([&](SourceRecord& r) { return MapDocumentInto(invoice, false, {}, r); });
}

Result<void> AppendInvoice(JsonElement invoice, std::vector<SourceRecord>& out) {
  return AppendMapped(out, [&](SourceRecord& r) { return MapDocumentInto(invoice, false, {}, r); });
}

Result<std::optional<SourceRecord>> MapCreditNote(JsonElement credit_note,
                                                  std::vector<SourceAllocation> allocations) {
  return MapOptional([&](SourceRecord& r) {
    return MapDocumentInto(credit_note, true, std::move(allocations), r);
  });
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
  const Subject s{"credit note", id};
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
    const Subject is{"invoice", inv_id};
    ASSIGN_OR_RETURN(int64_t inv_total, Money(inv, "amounts.total_incl_tax", currency, is));
    ASSIGN_OR_RETURN(int64_t inv_remaining,
                     Money(inv, "amounts.total_remaining_due_incl_tax", currency, is));
    int64_t paid = 0;
    auto it = invoice_payments.find(inv_id);
    if (it != invoice_payments.end()) {
      for (const auto& p : it->second) {
        ASSIGN_OR_RETURN(int64_t pid, RequiredId(p, "payment"));
        const Subject ps{"payment", pid};
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
  return MapOptional([&](SourceRecord& r) { return MapPaymentInto(payment, r); });
}

Result<void> AppendPayment(JsonElement payment, std::vector<SourceRecord>& out) {
  return AppendMapped(out, [&](SourceRecord& r) { return MapPaymentInto(payment, r); });
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
