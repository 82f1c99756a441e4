#include "domain/rules/validation.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/date.h"
#include "core/ids.h"
#include "core/money.h"
#include "domain/rules/same_text.h"

namespace relance::domain {
namespace {

constexpr size_t kNameMax = 200;
constexpr size_t kTextMax = 1000;
constexpr size_t kCodeMax = 64;
constexpr size_t kMapEntriesMax = 50;
constexpr int64_t kDelayMaxDays = 3650;

// Collects every field problem of one record, then builds one error.
class Problems {
 public:
  explicit Problems(std::string_view entity) : entity_(entity) {}

  void Add(std::string field, std::string message) {
    list_.push_back({std::move(field), std::move(message)});
  }
  void Required(std::string_view field, std::string_view value, size_t max) {
    if (Blank(value)) {
      Add(std::string(field), "is required");
    } else {
      Length(field, value, max);
    }
  }
  void Length(std::string_view field, std::string_view value, size_t max) {
    if (value.size() > max) [[unlikely]] TooLong(field, max);  // the test inlined, the message not
  }
  [[gnu::noinline]] void TooLong(std::string_view field, size_t max) {
    Add(std::string(field), "is longer than " + std::to_string(max) + " characters");
  }
  template <typename Text>
  void Length(std::string_view field, const std::optional<Text>& value, size_t max) {
    if (value) Length(field, std::string_view(*value), max);
  }
  void Range(std::string_view field, int64_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi) {
      Add(std::string(field),
          "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    }
  }
  void Amount(std::string_view field, int64_t v) {
    if (auto r = ValidateAmount(v, field); !r.ok()) Add(std::string(field), r.error().details()[0].message);
  }
  void OneOf(std::string_view field, std::string_view v, std::initializer_list<std::string_view> allowed) {
    for (std::string_view a : allowed) {
      if (SameText(a, v)) return;
    }
    NotOneOf(field, v, allowed);
  }
  // The message of OneOf, out of line so that the test is inlined.
  [[gnu::noinline]] void NotOneOf(std::string_view field, std::string_view v,
                                  std::initializer_list<std::string_view> allowed) {
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    Add(std::string(field), "must be one of " + list + " (got \"" + std::string(v) + "\")");
  }
  void Currency(std::string_view field, const std::string& code) {
    if (!Currency::Parse(code).ok()) {
      Add(std::string(field), "is not an ISO 4217 currency code (got \"" + code + "\")");
    }
  }
  template <typename Text>
  void Ref(std::string_view field, const std::optional<Text>& id, std::string_view prefix) {
    if (id) Ref(field, std::string_view(*id), prefix);
  }
  void Ref(std::string_view field, std::string_view id, std::string_view prefix) {
    if (!IsValidId(id, prefix)) {
      Add(std::string(field),
          "is not a " + std::string(prefix) + "_… id (got \"" + std::string(id) + "\")");
    }
  }
  void Map(std::string_view field, const StringMap& m) {
    if (m.empty()) return;  // most records: a test, not the loop's setup
    MapEntries(field, m);
  }
  // Map's checks of each entry, out of line so that the test is inlined.
  [[gnu::noinline]] void MapEntries(std::string_view field, const StringMap& m) {
    if (m.size() > kMapEntriesMax) {
      Add(std::string(field), "has more than " + std::to_string(kMapEntriesMax) + " entries");
    }
    for (const auto& [k, v] : m) {
      std::string name = std::string(field) + "." + k;
      if (Blank(k) || k.size() > kCodeMax) {
        Add(std::string(field), "keys must have 1 to " + std::to_string(kCodeMax) + " characters");
      }
      Length(name, v, kTextMax);
    }
  }

  Result<void> Done() {
    if (list_.empty()) return Ok();
    return Failed();
  }

 private:
  // The error of Done, out of line so that the test is inlined.
  [[gnu::noinline]] Result<void> Failed() {
    std::string msg = "invalid " + std::string(entity_) + ": " + list_[0].field + " " +
                      list_[0].message;
    if (list_.size() > 1) msg += " (and " + std::to_string(list_.size() - 1) + " more)";
    return InvalidArgument(std::move(msg), std::move(list_));
  }

  // Whether `s` holds nothing but spaces, tabs and line breaks (is empty
  // once trimmed). A loop, not find_first_not_of, which calls memchr per
  // byte: a set value usually answers at its first byte.
  static bool Blank(std::string_view s) {
    for (char c : s) {
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
    }
    return true;
  }

  std::string_view entity_;
  std::vector<FieldError> list_;
};

void Email(Problems& p, std::string_view field, std::string_view email) {
  if (email.empty()) {
    p.Add(std::string(field), "is required");
  } else if (!IsPlausibleEmail(email)) {
    p.Add(std::string(field), "is not an e-mail address (got \"" + std::string(email) + "\")");
  }
}

// IsPlausibleEmail, one search per rule (any length, any processor).
bool IsPlausibleEmailByRule(std::string_view e) {
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

}  // namespace

bool IsPlausibleEmail(std::string_view e) {
  const size_t n = e.size();
  // The shortest address is "a@b.c"; the longest, RFC 5321's 254.
  if (n < 5 || n > 254) return false;
#if defined(__SSE2__)
  if (n <= 64) {
    // Addresses of up to 64 bytes (nearly all) in one pass, 16 bytes at a
    // time, rather than a search per rule: a bit per byte that is '@', one
    // per '.', and whether some byte is a space, a control character or DEL.
    // A shorter address is read from a copy padded with letters; the last 16
    // bytes of a longer one overlap the ones before (their bits are the same).
    char padded[16];
    const char* p = e.data();
    size_t len = n;
    if (n < 16) {
      std::memset(padded, 'a', sizeof(padded));
      std::memcpy(padded, p, n);
      p = padded;
      len = sizeof(padded);
    }
    // The bits of the bytes of v equal to c.
    auto bits = [](__m128i v, char c) {
      const int mask = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
      return uint64_t{static_cast<uint16_t>(mask)};
    };
    uint64_t ats = 0;
    uint64_t dots = 0;
    __m128i bad = _mm_setzero_si128();
    for (size_t o = 0;; o += 16) {
      o = std::min(o, len - 16);
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + o));
      ats |= bits(v, '@') << o;
      dots |= bits(v, '.') << o;
      const __m128i space_or_below = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(' ')), v);
      bad = _mm_or_si128(bad, space_or_below);
      bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)));
      if (o + 16 == len) break;
    }
    if (_mm_movemask_epi8(bad) != 0) return false;
    // One '@', not first, then a domain with a dot that is neither its first
    // byte nor its last.
    if (ats == 0 || (ats & (ats - 1)) != 0 || (ats & 1) != 0) return false;
    const auto at = static_cast<size_t>(__builtin_ctzll(ats));
    if (at + 1 >= n) return false;
    const uint64_t domain_dots = dots >> (at + 1);
    return domain_dots != 0 && (domain_dots & 1) == 0 && ((dots >> (n - 1)) & 1) == 0;
  }
#endif
  return IsPlausibleEmailByRule(e);
}

bool IsCountryCode(std::string_view code) {
  // ISO 3166-1 alpha-2, officially assigned codes.
  static constexpr std::string_view kCodes =
      "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
      "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
      "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
      "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
      "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
      "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
      "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
      "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
      "VN VU WF WS YE YT ZA ZM ZW";
  // One bit per pair of letters, from the list above.
  static constexpr auto kAssigned = [] {
    std::array<uint32_t, 26> rows{};
    for (size_t i = 0; i + 2 <= kCodes.size(); i += 3) {
      rows[static_cast<size_t>(kCodes[i] - 'A')] |= uint32_t{1} << (kCodes[i + 1] - 'A');
    }
    return rows;
  }();
  if (code.size() != 2) return false;
  const auto first = static_cast<unsigned char>(code[0] - 'A');
  const auto second = static_cast<unsigned char>(code[1] - 'A');
  if (first >= 26 || second >= 26) return false;
  return (kAssigned[first] >> second) & 1;
}

Result<void> ValidateOrganization(const Organization& o) {
  Problems p("organization");
  p.Required("name", o.name, kNameMax);
  if (!ValidateTimeZone(o.time_zone).ok()) {
    p.Add("time_zone", "is not an IANA time zone such as Europe/Paris (got \"" + o.time_zone + "\")");
  }
  p.Range("send_hour", o.send_hour, 0, 23);
  p.Range("default_payment_delay_days", o.default_payment_delay_days, 0, kDelayMaxDays);
  p.Currency("default_currency", o.default_currency);
  p.OneOf("language", o.language, {"fr", "en"});
  p.Length("street", o.street, kTextMax);
  p.Length("postal_code", o.postal_code, kCodeMax);
  p.Length("city", o.city, kNameMax);
  if (o.country && !IsCountryCode(*o.country)) {
    p.Add("country", "is not an ISO 3166-1 alpha-2 code such as FR (got \"" + *o.country + "\")");
  }
  if (o.email) Email(p, "email", *o.email);
  p.Length("phone", o.phone, kCodeMax);
  if (o.holiday_calendar) p.OneOf("holiday_calendar", *o.holiday_calendar, {"FR"});
  return p.Done();
}

Result<void> ValidateUser(const User& u) {
  Problems p("user");
  Email(p, "email", u.email);
  p.Length("name", u.name, kNameMax);
  p.OneOf("role", u.role, {"ADMIN", "MEMBER", "READ_ONLY"});
  if (u.language) p.OneOf("language", *u.language, {"fr", "en"});
  return p.Done();
}

CustomerFields FieldsOf(const Customer& c) {
  CustomerFields f = SameNamedCustomerFields(c);
  f.name = c.name;
  f.status = c.status;
  f.account_manager_id = c.account_manager_id;
  f.parent_id = c.parent_id;
  f.dunning_plan_id = c.dunning_plan_id;
  return f;
}

ContactFields FieldsOf(const Contact& c) { return ContactFieldsOf(c); }

Result<void> ValidateCustomer(const Customer& c) { return ValidateCustomerFields(FieldsOf(c)); }

Result<void> ValidateCustomerFields(const CustomerFields& c) {
  Problems p("customer");
  p.Required("name", c.name, kNameMax);
  if (c.external_id) p.Required("external_id", *c.external_id, kCodeMax);
  p.OneOf("status", c.status, {"PROSPECT", "CLIENT"});
  p.Length("accounting_code", c.accounting_code, kCodeMax);
  p.Length("vat_number", c.vat_number, kCodeMax);
  p.Length("street", c.street, kTextMax);
  p.Length("postal_code", c.postal_code, kCodeMax);
  p.Length("city", c.city, kNameMax);
  p.Length("region", c.region, kNameMax);
  if (c.country && !IsCountryCode(*c.country)) {
    p.Add("country", "is not an ISO 3166-1 alpha-2 code such as FR (got \"" +
                         std::string(*c.country) + "\")");
  }
  p.Ref("account_manager_id", c.account_manager_id, kUserPrefix);
  p.Ref("parent_id", c.parent_id, kCustomerPrefix);
  p.Ref("dunning_plan_id", c.dunning_plan_id, kDunningPlanPrefix);
  if (c.payment_delay_days) p.Range("payment_delay_days", *c.payment_delay_days, 0, kDelayMaxDays);
  if (c.smart_tags) p.Map("smart_tags", *c.smart_tags);
  if (c.custom_fields) p.Map("custom_fields", *c.custom_fields);
  return p.Done();
}

namespace {

void CheckContactFields(Problems& p, const ContactFields& c) {
  Email(p, "email", c.email);
  p.Length("first_name", c.first_name, kNameMax);
  p.Length("last_name", c.last_name, kNameMax);
  p.Length("phone", c.phone, kCodeMax);
  p.Length("external_id", c.external_id, kCodeMax);
  if (c.position) p.OneOf("position", *c.position, {"ACCOUNTING", "SALES", "PURCHASER", "PAYER"});
}

}  // namespace

Result<void> ValidateContact(const Contact& c) {
  Problems p("contact");
  p.Ref("customer_id", c.customer_id, kCustomerPrefix);
  CheckContactFields(p, FieldsOf(c));
  return p.Done();
}

Result<void> ValidateContactFields(const Contact& c) { return ValidateContactFields(FieldsOf(c)); }

Result<void> ValidateContactFields(const ContactFields& c) {
  Problems p("contact");
  CheckContactFields(p, c);
  return p.Done();
}

Result<void> ValidateInvoice(const Invoice& i) {
  Problems p("invoice");
  p.OneOf("kind", i.kind, {"INVOICE", "CREDIT_NOTE"});
  p.Required("number", i.number, kCodeMax);
  p.Ref("customer_id", i.customer_id, kCustomerPrefix);
  p.Length("external_id", i.external_id, kCodeMax);
  p.Currency("currency", i.currency);
  p.Amount("net_amount", i.net_amount);
  p.Amount("tax_amount", i.tax_amount);
  p.Amount("gross_amount", i.gross_amount);
  auto sum = AddAmounts(i.net_amount, i.tax_amount);
  if (i.net_amount != 0 || i.tax_amount != 0) {
    if (!sum.ok() || *sum != i.gross_amount) {
      p.Add("gross_amount", "must equal net_amount + tax_amount");
    }
  }
  if (i.printed_due_date && *i.printed_due_date < i.issue_date) {
    p.Add("printed_due_date", "is before issue_date");
  }
  p.Length("pdf_url", i.pdf_url, kTextMax);
  return p.Done();
}

Result<void> ValidatePayment(const Payment& pay) {
  Problems p("payment");
  p.Ref("customer_id", pay.customer_id, kCustomerPrefix);
  p.Length("external_id", pay.external_id, kCodeMax);
  p.Amount("amount", pay.amount);
  if (pay.amount == 0) p.Add("amount", "must be greater than zero");
  p.Currency("currency", pay.currency);
  p.OneOf("method", pay.method, {"TRANSFER", "CARD", "CHECK", "CASH", "DIRECT_DEBIT", "OTHER"});
  p.Length("reference", pay.reference, kNameMax);
  return p.Done();
}

Result<void> ValidateProduct(const Product& pr) {
  Problems p("product");
  p.Required("code", pr.code, kCodeMax);
  p.Required("name", pr.name, kNameMax);
  p.Amount("price", pr.price);
  p.Currency("currency", pr.currency);
  if (pr.stock && *pr.stock < 0) p.Add("stock", "must not be negative (null = not stock-managed)");
  p.Length("image_url", pr.image_url, kTextMax);
  return p.Done();
}

Result<void> ValidateDunningPlan(const DunningPlan& d) {
  Problems p("dunning plan");
  p.Required("name", d.name, kNameMax);
  p.OneOf("level", d.level, {"CUSTOMER", "INVOICE"});
  p.Range("min_delay_days", d.min_delay_days, 0, kDelayMaxDays);
  return p.Done();
}

namespace {

constexpr size_t kTemplateMax = 100000;

void Positions(Problems& p, std::string_view field, const std::string& list) {
  if (list.empty()) return;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    std::string one = list.substr(start, end - start);
    if (one != "ACCOUNTING" && one != "SALES" && one != "PURCHASER" && one != "PAYER") {
      p.Add(std::string(field), "\"" + one +
                                    "\" is not a contact position (ACCOUNTING, SALES, PURCHASER, "
                                    "PAYER), comma-separated without spaces");
      return;
    }
    start = end + 1;
  }
}

}  // namespace

Result<void> ValidateDunningStep(const DunningStep& s) {
  Problems p("dunning step");
  p.Ref("plan_id", s.plan_id, kDunningPlanPrefix);
  p.OneOf("kind", s.kind, {"REMINDER", "INVOICING"});
  p.Length("name", s.name, kNameMax);
  p.OneOf("channel", s.channel, {"EMAIL", "LETTER", "SMS", "CALL", "TASK"});
  p.OneOf("relative_to", s.relative_to, {"DUE_DATE", "ISSUE_DATE"});
  p.OneOf("mode", s.mode, {"AUTOMATIC", "MANUAL"});
  p.Range("offset_days", s.offset_days, -kDelayMaxDays, kDelayMaxDays);
  if ((s.channel == "CALL" || s.channel == "TASK") && s.mode == "AUTOMATIC") {
    p.Add("mode", "a " + std::string(s.channel == "CALL" ? "phone call" : "manual task") +
                      " step is done by a person: use MANUAL");
  }
  if (s.kind == "INVOICING") {
    // R-SEND-5: invoices go by e-mail, letter or SMS, a delay after the issue date.
    if (s.channel == "CALL" || s.channel == "TASK") {
      p.Add("channel", "an invoicing step sends the invoice: EMAIL, LETTER or SMS");
    }
    if (s.relative_to != "ISSUE_DATE") p.Add("relative_to", "an invoicing step counts from ISSUE_DATE");
    if (s.offset_days < 0) p.Add("offset_days", "an invoicing delay cannot be negative");
  } else if (s.relative_to == "ISSUE_DATE" && s.offset_days < 0) {
    p.Add("offset_days", "cannot be before the issue date");
  }
  Positions(p, "to_positions", s.to_positions);
  Positions(p, "cc_positions", s.cc_positions);
  p.Length("subject", s.subject, kTextMax);
  p.Length("body", s.body, kTemplateMax);
  p.Ref("owner_id", s.owner_id, kUserPrefix);
  return p.Done();
}

}  // namespace relance::domain
