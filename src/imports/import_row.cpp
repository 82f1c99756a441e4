#include "imports/import_row.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "domain/rules/same_text.h"
#include "domain/rules/validation.h"

namespace relance::imports {
namespace {

// The bytes Trim removes: ASCII spaces and line breaks, and a Latin-1 no-break space.
// One look-up per byte: Trim looks at two bytes of every cell.
constexpr auto kTrimmed = [] {
  std::array<bool, 256> t{};
  for (unsigned char c : {' ', '\t', '\r', '\n'}) t[c] = true;
  t[0xA0] = true;
  return t;
}();
bool IsTrimmed(char c) { return kTrimmed[static_cast<unsigned char>(c)]; }

std::string_view Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && IsTrimmed(s[b])) ++b;
  while (e > b && IsTrimmed(s[e - 1])) --e;
  return s.substr(b, e - b);
}

#if defined(__SSE2__)
// The 16 bytes at p, ASCII capitals lowered. Bytes of 0x80 and above are
// negative to the signed compares: left alone.
inline void Lower16(char* p) {
  __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
                                      _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));
  v = _mm_or_si128(v, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
}
#endif

void LowerInPlace(std::string& s) {
  char* p = s.data();
  const size_t n = s.size();
#if defined(__SSE2__)
  if (n >= 16) {
    // 16 bytes at a time, the last 16 overlapping the ones before: lowering
    // twice is lowering once, and the tail costs no loop byte by byte.
    for (size_t i = 0; i + 16 < n; i += 16) Lower16(p + i);
    Lower16(p + n - 16);
    return;
  }
#endif
  for (size_t i = 0; i < n; ++i) {
    const bool upper = static_cast<unsigned char>(p[i] - 'A') < 26;
    p[i] = static_cast<char>(p[i] | (upper ? 0x20 : 0));
  }
}

using domain::SameText;

// Gives `dst`, empty, the value `v` (its first row with a value).
[[gnu::noinline]] void Emplace(std::optional<std::string>& dst, std::string_view v) {
  dst.emplace(v);
}

// Replaces the text of `dst`, reusing its storage. Inlined into Fill's loops
// with the two below: as a call, a copy cost about as much again, in the
// registers saved and restored around the call to memcpy.
[[gnu::always_inline]] inline void Replace(std::string& dst, std::string_view v) {
  dst.clear();
  dst.append(v);  // lighter than assign(), which allows for overlapping text
}

// Sets `dst` to `v`; returns whether the value changed.
[[gnu::always_inline]] inline bool Assign(std::optional<std::string>& dst, std::string_view v) {
  if (!dst) {
    Emplace(dst, v);
    return true;
  }
  if (SameText(*dst, v)) return false;
  Replace(*dst, v);
  return true;
}

// Assign() for a field whose changes nobody asks about (the contact's: each
// row is a new contact): the value is copied without comparing it first.
[[gnu::always_inline]] inline void Overwrite(std::optional<std::string>& dst, std::string_view v) {
  if (!dst) {
    Emplace(dst, v);
  } else {
    Replace(*dst, v);
  }
}

// FoldHeader(text) for a cell compared with labels: short texts (the usual
// ones: labels, flags, country names) are folded without allocating, ASCII
// ones by a shorter way.
class FoldedLabel {
 public:
  explicit FoldedLabel(std::string_view text) {
    if (text.size() <= sizeof(short_) &&
        std::all_of(text.begin(), text.end(), [](char c) { return (c & 0x80) == 0; })) {
      size_t n = 0;
      for (char c : text) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) short_[n++] = c;
      }
      view_ = std::string_view(short_, n);
    } else if (auto n = FoldHeaderInto(text, short_, sizeof(short_))) {
      view_ = std::string_view(short_, *n);
    } else {
      other_ = FoldHeader(text);
      view_ = other_;
    }
  }
  FoldedLabel(const FoldedLabel&) = delete;
  FoldedLabel& operator=(const FoldedLabel&) = delete;
  std::string_view view() const { return view_; }

 private:
  char short_[32];
  std::string other_;
  std::string_view view_;
};

// The code of a country `text` names (out of line: its folded copy of the
// text would cost the usual cell, a code, a stack frame).
[[gnu::noinline]] std::optional<std::string_view> CountryCodeOfName(std::string_view text) {
  struct Name {
    std::string_view folded;
    std::string_view code;
  };
  static constexpr Name kNames[] = {
      {"france", "FR"},      {"belgique", "BE"},   {"belgium", "BE"},     {"suisse", "CH"},
      {"switzerland", "CH"}, {"luxembourg", "LU"}, {"allemagne", "DE"},   {"germany", "DE"},
      {"espagne", "ES"},     {"spain", "ES"},      {"italie", "IT"},      {"italy", "IT"},
      {"royaumeuni", "GB"},  {"unitedkingdom", "GB"}, {"paysbas", "NL"},  {"netherlands", "NL"},
      {"monaco", "MC"},      {"canada", "CA"},     {"etatsunis", "US"},   {"unitedstates", "US"},
      {"portugal", "PT"},    {"maroc", "MA"},      {"morocco", "MA"},     {"tunisie", "TN"},
      {"algerie", "DZ"},     {"senegal", "SN"},
  };
  FoldedLabel folded(text);
  for (const auto& n : kNames) {
    if (n.folded == folded.view()) return n.code;
  }
  return std::nullopt;
}

// Common country names of French-speaking customers' files; anything else
// must already be an ISO code. A two-character text is upper-cased into
// `upper`, which the result then views.
std::optional<std::string_view> CountryCode(std::string_view text, char (&upper)[2]) {
  if (text.size() == 2) {
    for (size_t i = 0; i < 2; ++i) {
      char c = text[i];
      upper[i] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    }
    return std::string_view(upper, 2);
  }
  return CountryCodeOfName(text);
}

std::optional<std::string_view> ParseStatus(std::string_view text) {
  FoldedLabel folded(text);
  std::string_view f = folded.view();
  if (f == "client" || f == "customer") return "CLIENT";
  if (f == "prospect") return "PROSPECT";
  return std::nullopt;
}

// R-IMP-9: the canonical position a label names.
std::optional<std::string_view> PositionOf(std::string_view text) {
  FoldedLabel folded(text);
  std::string_view f = folded.view();
  struct Label {
    std::string_view folded;
    std::string_view position;
  };
  static constexpr Label kLabels[] = {
      {"accounting", "ACCOUNTING"}, {"comptabilite", "ACCOUNTING"}, {"comptable", "ACCOUNTING"},
      {"compta", "ACCOUNTING"},     {"sales", "SALES"},             {"commercial", "SALES"},
      {"commerciale", "SALES"},     {"ventes", "SALES"},            {"vente", "SALES"},
      {"purchaser", "PURCHASER"},   {"acheteur", "PURCHASER"},      {"acheteuse", "PURCHASER"},
      {"achats", "PURCHASER"},      {"achat", "PURCHASER"},         {"payer", "PAYER"},
      {"payeur", "PAYER"},          {"payeuse", "PAYER"},
  };
  for (const auto& l : kLabels) {
    if (l.folded == f) return l.position;
  }
  return std::nullopt;
}

// The member of `row` that holds a field kept as text (nullptr for the
// others: the delay, keyed columns, the contact's e-mail and main flag).
std::optional<std::string>* TextSlot(ImportRow& row, ImportField f) {
  CustomerPart& cu = row.customer;
  ContactPart& co = row.contact;
  switch (f) {
    case ImportField::kExternalId: return &cu.external_id;
    case ImportField::kName: return &cu.name;
    case ImportField::kStatus: return &cu.status;
    case ImportField::kAccountingCode: return &cu.accounting_code;
    case ImportField::kVatNumber: return &cu.vat_number;
    case ImportField::kStreet: return &cu.street;
    case ImportField::kPostalCode: return &cu.postal_code;
    case ImportField::kCity: return &cu.city;
    case ImportField::kRegion: return &cu.region;
    case ImportField::kCountry: return &cu.country;
    case ImportField::kAccountManager: return &cu.account_manager_email;
    case ImportField::kDunningPlan: return &cu.dunning_plan_name;
    case ImportField::kGroupName: return &cu.group_name;
    case ImportField::kGroupExternalId: return &cu.group_external_id;
    case ImportField::kContactFirstName: return &co.first_name;
    case ImportField::kContactLastName: return &co.last_name;
    case ImportField::kContactPhone: return &co.phone;
    case ImportField::kContactExternalId: return &co.external_id;
    case ImportField::kContactPosition: return &co.position;
    case ImportField::kPaymentDelay:
    case ImportField::kSmartTag:
    case ImportField::kCustomField:
    case ImportField::kContactEmail:
    case ImportField::kContactMain: return nullptr;
  }
  return nullptr;
}

constexpr uint64_t Bit(ImportField f) { return uint64_t{1} << static_cast<unsigned>(f); }

// Bit() of every customer field.
constexpr uint64_t kCustomerFields = [] {
  uint64_t bits = 0;
  for (auto f = ImportField::kExternalId; f <= ImportField::kContactMain;
       f = static_cast<ImportField>(static_cast<int>(f) + 1)) {
    if (!IsContactField(f)) bits |= Bit(f);
  }
  return bits;
}();

// Calls visit(record_field, part_field) for every field that
// CustomerPart::ApplyTo sets, so copying a part onto a customer and lending
// it to one for validation (below) go over the same list.
template <typename Part, typename Visit>
void VisitCustomerFields(Part& part, domain::Customer& c, Visit&& visit) {
  visit(c.external_id, part.external_id);
  visit(c.name, part.name);
  visit(c.status, part.status);
  visit(c.accounting_code, part.accounting_code);
  visit(c.vat_number, part.vat_number);
  visit(c.street, part.street);
  visit(c.postal_code, part.postal_code);
  visit(c.city, part.city);
  visit(c.region, part.region);
  visit(c.country, part.country);
  visit(c.payment_delay_days, part.payment_delay_days);
  visit(c.smart_tags, part.smart_tags);
  visit(c.custom_fields, part.custom_fields);
}

// The same for ContactPart::ApplyTo.
template <typename Part, typename Visit>
void VisitContactFields(Part& part, domain::Contact& c, Visit&& visit) {
  visit(c.email, part.email);
  visit(c.first_name, part.first_name);
  visit(c.last_name, part.last_name);
  visit(c.phone, part.phone);
  visit(c.external_id, part.external_id);
  visit(c.position, part.position);
  visit(c.is_main, part.is_main);
}

// ApplyTo: a set value replaces the record's; maps add their entries.
struct CopySet {
  template <typename T>
  void operator()(T& dst, const std::optional<T>& v) const {
    if (v) dst = *v;
  }
  template <typename T>
  void operator()(std::optional<T>& dst, const std::optional<T>& v) const {
    if (v) dst = *v;
  }
  void operator()(std::string& dst, const std::string& v) const { dst = v; }
  void operator()(domain::StringMap& dst, const domain::StringMap& v) const {
    for (const auto& [k, value] : v) dst[k] = value;
  }
};

// Puts a FieldError of the domain validators back on the file's column.
RowProblem FromDetail(const FieldError& d, const ColumnMapping& m,
                      std::span<const std::string_view> cells, bool contact) {
  std::string_view field = d.field;
  FieldTarget target;
  if (field.starts_with("smart_tags.") || field.starts_with("custom_fields.")) {
    target = *ParseTargetName(field);
  } else {
    auto parsed = ParseTargetName(contact ? "contact." + std::string(field) : std::string(field));
    if (!parsed) return {std::string(field), "", d.message};
    target = *parsed;
  }
  for (size_t i = 0; i < m.columns.size(); ++i) {
    if (m.columns[i] && (*m.columns[i] == target ||
                         (target.key.empty() && m.columns[i]->field == target.field))) {
      return {m.headers[i], i < cells.size() ? std::string(Trim(cells[i])) : "", d.message};
    }
  }
  return {std::string(field), "", d.message};
}

// Inline, so a valid record (most) costs a test, not a call.
inline void AddValidation(const Result<void>& r, const ColumnMapping& m,
                          std::span<const std::string_view> cells, bool contact,
                          std::vector<RowProblem>& out) {
  if (r.ok()) return;
  for (const auto& d : r.error().details()) out.push_back(FromDetail(d, m, cells, contact));
}

uint64_t Mix(uint64_t h, std::string_view s) {
  // FNV-1a, then a separator so ("ab","c") and ("a","bc") differ.
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return (h ^ 0xff) * 0x100000001b3ull;
}

}  // namespace

RowProblem CustomerFieldProblem(const FieldError& d, const ColumnMapping& mapping) {
  return FromDetail(d, mapping, {}, /*contact=*/false);
}

std::optional<std::string> ParsePosition(std::string_view text) {
  if (auto p = PositionOf(text)) return std::string(*p);
  return std::nullopt;
}

namespace {

// ParseMainFlag for the words (out of line: its folded copy of the text
// would cost the usual "1" or "0" a stack frame).
[[gnu::noinline]] std::optional<bool> MainFlagOfWord(std::string_view text) {
  FoldedLabel folded(text);
  std::string_view f = folded.view();
  if (f == "1" || f == "oui" || f == "yes" || f == "true" || f == "vrai" || f == "x") return true;
  if (f == "0" || f == "non" || f == "no" || f == "false" || f == "faux") return false;
  return std::nullopt;
}

}  // namespace

std::optional<bool> ParseMainFlag(std::string_view text) {
  if (text == "1") return true;  // what most files hold
  if (text == "0") return false;
  return MainFlagOfWord(text);
}

std::optional<int64_t> ParsePaymentDelay(std::string_view text) {
  // Spreadsheets may show a whole number as "30.0"; anything after the
  // point must then be zeros.
  size_t i = 0;
  int64_t v = 0;
  // Up to 6 digits; a seventh stops the loop too, and refuses the text.
  for (; i < text.size() && i <= 6 && text[i] >= '0' && text[i] <= '9'; ++i) {
    v = v * 10 + (text[i] - '0');
  }
  if (i == 0 || i > 6) return std::nullopt;
  if (i == text.size()) return v;
  if (text[i] != '.' || i + 1 == text.size()) return std::nullopt;
  for (size_t k = i + 1; k < text.size(); ++k) {
    if (text[k] != '0') return std::nullopt;
  }
  return v;
}

uint64_t CustomerPart::Digest() const {
  uint64_t h = 0xcbf29ce484222325ull;
  auto opt = [&h](const std::optional<std::string>& v) { h = v ? Mix(h, *v) : Mix(h, "\x01"); };
  opt(external_id), opt(name), opt(status), opt(accounting_code), opt(vat_number), opt(street);
  opt(postal_code), opt(city), opt(region), opt(country), opt(account_manager_email);
  opt(dunning_plan_name), opt(group_name), opt(group_external_id);
  h = Mix(h, payment_delay_days ? std::to_string(*payment_delay_days) : "\x01");
  for (const auto* map : {&smart_tags, &custom_fields}) {
    for (const auto& [k, v] : *map) h = Mix(Mix(h, k), v);
    h = Mix(h, "\x02");
  }
  return h;
}

void CustomerPart::ApplyTo(domain::Customer& c) const { VisitCustomerFields(*this, c, CopySet{}); }

void ContactPart::ApplyTo(domain::Contact& c) const { VisitContactFields(*this, c, CopySet{}); }

namespace {

// A view of `part`'s values as the domain's rules read a customer: an unset
// name or status reads as a default record's ("-": the name is required only
// of a new customer, which the job checks; "CLIENT").
domain::CustomerFields ViewOf(const CustomerPart& part) {
  domain::CustomerFields f = domain::SameNamedCustomerFields(part);
  f.name = part.name ? std::string_view(*part.name) : std::string_view("-");
  if (part.status) f.status = *part.status;
  return f;
}

domain::ContactFields ViewOf(const ContactPart& part) { return domain::ContactFieldsOf(part); }

// Trim, with the usual case (nothing to trim) decided on two bytes.
inline std::string_view TrimCell(std::string_view s) {
  if (s.empty() || (!IsTrimmed(s.front()) && !IsTrimmed(s.back()))) return s;
  return Trim(s);
}

}  // namespace

std::optional<std::string_view> RowParser::PositionMemo::Find(std::string_view text) {
  for (size_t i = 0; i < size; ++i) {
    if (SameText(texts[i], text)) return positions[i];
  }
  return Remember(text);
}

std::optional<std::string_view> RowParser::PositionMemo::Remember(std::string_view text) {
  const size_t i = size < kSize ? size++ : (next++ % kSize);
  texts[i].assign(text);
  positions[i] = PositionOf(text);
  return positions[i];
}

ImportRow ParseImportRow(int64_t line, std::span<const std::string_view> cells,
                         const ColumnMapping& mapping, bool validate) {
  RowParser parser(mapping);
  return parser.Parse(line, cells, validate);
}

RowParser::Reader RowParser::ReaderOf(ImportField field) {
  switch (field) {
    case ImportField::kStatus: return &RowParser::ReadStatus;
    case ImportField::kCountry: return &RowParser::ReadCountry;
    case ImportField::kAccountManager: return &RowParser::ReadAccountManager;
    case ImportField::kPaymentDelay: return &RowParser::ReadPaymentDelay;
    case ImportField::kSmartTag: return &RowParser::ReadSmartTag;
    case ImportField::kCustomField: return &RowParser::ReadCustomField;
    case ImportField::kContactEmail: return &RowParser::ReadContactEmail;
    case ImportField::kContactPosition: return &RowParser::ReadContactPosition;
    case ImportField::kContactMain: return &RowParser::ReadContactMain;
    default: return nullptr;  // a text field kept as written
  }
}

RowParser::RowParser(const ColumnMapping& mapping) : mapping_(mapping) {
  static_assert(static_cast<size_t>(ImportField::kContactMain) < 64, "a field is a bit of a mask");
  for (size_t col = 0; col < mapping.columns.size(); ++col) {
    const auto& target = mapping.columns[col];
    if (!target) continue;
    const ImportField field = target->field;
    const Step step{col, field, Bit(field), TextSlot(row_, field), &target->key};
    if (step.slot != nullptr) {
      text_fields_ |= step.bit;
      slots_[static_cast<size_t>(field)] = step.slot;
    }
    if (Reader read = ReaderOf(field)) {
      rule_steps_.push_back({step, read});
    } else if (IsContactField(field)) {
      contact_texts_.push_back(step);
    } else {
      customer_texts_.push_back(step);
    }
  }
}

void RowParser::AddProblem(const Step& step, std::string_view value, std::string reason) {
  row_.problems.push_back({mapping_.headers[step.column], std::string(value), std::move(reason)});
}

inline void RowParser::SetCustomerText(const Step& step, std::string_view text) {
  if (Assign(*step.slot, text)) changed_ |= step.bit;
  filled_ |= step.bit;
}

void RowParser::ReadStatus(const Step& step, std::string_view value) {
  if (auto status = ParseStatus(value)) {
    SetCustomerText(step, *status);
  } else {
    AddProblem(step, value, "must be Client or Prospect");
  }
}

void RowParser::ReadCountry(const Step& step, std::string_view value) {
  char upper[2];
  if (auto code = CountryCode(value, upper)) {
    SetCustomerText(step, *code);
  } else {
    AddProblem(step, value, "is not a country: give its ISO 3166-1 alpha-2 code, such as FR");
  }
}

void RowParser::ReadAccountManager(const Step& step, std::string_view value) {
  SetCustomerText(step, value);
  LowerInPlace(**step.slot);
}

void RowParser::ReadPaymentDelay(const Step& step, std::string_view value) {
  // R-IMP-6
  if (auto days = ParsePaymentDelay(value)) {
    row_.customer.payment_delay_days = *days;
  } else {
    AddProblem(step, value, "must be a whole number of days, such as 30");
  }
}

void RowParser::ReadSmartTag(const Step& step, std::string_view value) {
  row_.customer.smart_tags[*step.key] = std::string(value);
  customer_changed_ = true;
}

void RowParser::ReadCustomField(const Step& step, std::string_view value) {
  row_.customer.custom_fields[*step.key] = std::string(value);
  customer_changed_ = true;
}

void RowParser::ReadContactEmail(const Step&, std::string_view value) {
  Replace(row_.contact.email, value);
  LowerInPlace(row_.contact.email);
}

void RowParser::ReadContactPosition(const Step& step, std::string_view value) {
  // R-IMP-9
  if (auto position = positions_.Find(value)) {
    Overwrite(*step.slot, *position);
    filled_ |= step.bit;
  } else {
    AddProblem(step, value,
               "must be a position: ACCOUNTING (Comptabilité), SALES (Commercial), "
               "PURCHASER (Acheteur) or PAYER (Payeur)");
  }
}

void RowParser::ReadContactMain(const Step& step, std::string_view value) {
  // R-IMP-10
  if (auto main = ParseMainFlag(value)) {
    row_.contact.is_main = *main;
  } else {
    AddProblem(step, value, "must be 1 for the main contact, or 0 / empty");
  }
}

// Overwrites row_ with the row read from `cells` (no domain check yet);
// returns whether its customer part differs from what row_ held before.
bool RowParser::Fill(int64_t line, std::span<const std::string_view> cells) {
  ImportRow& row = row_;
  row.line = line;
  row.problems.clear();
  CustomerPart& cu = row.customer;
  ContactPart& co = row.contact;
  // Text fields keep their strings from the previous row until the end,
  // where the ones this row did not fill are cleared; the rest starts over.
  const std::optional<int64_t> old_delay = cu.payment_delay_days;
  customer_changed_ = false;
  cu.payment_delay_days.reset();
  // Most files have no such columns: an empty map is left as it is.
  if (!cu.smart_tags.empty() || !cu.custom_fields.empty()) {
    customer_changed_ = true;
    cu.smart_tags.clear();
    cu.custom_fields.clear();
  }
  co.email.clear();
  co.is_main.reset();
  filled_ = 0;
  changed_ = 0;
  const size_t n = cells.size();
  // Each list is in column order: a short row ends it.
  for (const Step& step : customer_texts_) {
    if (step.column >= n) break;
    const std::string_view v = TrimCell(cells[step.column]);
    if (v.empty()) continue;
    if (Assign(*step.slot, v)) changed_ |= step.bit;
    filled_ |= step.bit;
  }
  for (const Step& step : contact_texts_) {
    if (step.column >= n) break;
    const std::string_view v = TrimCell(cells[step.column]);
    if (v.empty()) continue;
    Overwrite(*step.slot, v);  // each row is a new contact: nobody asks what changed
    filled_ |= step.bit;
  }
  uint64_t present = filled_;  // Bit() of the fields whose cell is not empty
  // Problems come in column order: only these columns have any.
  for (const RuleStep& rule : rule_steps_) {
    if (rule.step.column >= n) break;
    const std::string_view v = TrimCell(cells[rule.step.column]);
    if (v.empty()) continue;
    present |= rule.step.bit;
    (this->*rule.read)(rule.step, v);
  }
  // The text fields this row left empty lose the previous row's value.
  for (uint64_t stale = text_fields_ & ~filled_; stale != 0; stale &= stale - 1) {
    const auto field = static_cast<size_t>(__builtin_ctzll(stale));
    std::optional<std::string>& slot = *slots_[field];
    if (!slot) continue;
    slot.reset();
    changed_ |= uint64_t{1} << field;
  }
  co.present = (present & ~kCustomerFields) != 0;
  if ((changed_ & kCustomerFields) != 0) customer_changed_ = true;
  if (cu.payment_delay_days != old_delay) customer_changed_ = true;
  if (!cu.external_id && !cu.name) {
    row.problems.push_back({"", "",
                            "the row names no customer: both its name and its external id "
                            "are empty"});
  }
  return customer_changed_;
}

// The domain's own rules, so an import accepts exactly what the API does,
// read from the row's values where they are. The customer part is checked
// only when `check_customer`. Returns false when it was checked and found
// invalid.
bool RowParser::Check(std::span<const std::string_view> cells, bool check_customer) {
  ImportRow& row = row_;
  bool customer_valid = true;
  if (check_customer) {
    Result<void> r = domain::ValidateCustomerFields(ViewOf(row.customer));
    customer_valid = r.ok();
    AddValidation(r, mapping_, cells, false, row.problems);
  }
  ContactPart& co = row.contact;
  if (co.present) {
    if (co.email.empty()) {
      // R-IMP-8
      auto col = mapping_.ColumnOf(ImportField::kContactEmail);
      row.problems.push_back({col ? mapping_.headers[*col] : "contact.email", "",
                              "a contact needs an e-mail address, which identifies it"});
    } else {
      // The customer is not known yet: its id is not checked (it is always
      // valid once the job has resolved it).
      AddValidation(domain::ValidateContactFields(ViewOf(co)), mapping_, cells, true,
                    row.problems);
    }
  }
  return customer_valid;
}

const ImportRow& RowParser::Parse(int64_t line, std::span<const std::string_view> cells,
                                  bool validate) {
  const bool changed = Fill(line, cells);
  if (!validate) {
    if (changed) customer_valid_ = false;
    return row_;
  }
  customer_valid_ = Check(cells, changed || !customer_valid_);
  return row_;
}

}  // namespace relance::imports
