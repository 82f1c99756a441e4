#include "core/money.h"

#include <algorithm>
#include <iterator>

namespace relance {
namespace {

struct CurrencyInfo {
  std::string_view code;
  int digits;
};

// Active ISO 4217 codes (list of 2024), in code order. Codes with other than
// two minor digits are marked; the rest use two.
constexpr CurrencyInfo kCurrencies[] = {
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2},
    {"AUD", 2}, {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2},
    {"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BRL", 2}, {"BSD", 2},
    {"BTN", 2}, {"BWP", 2}, {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHF", 2},
    {"CLF", 4}, {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"CRC", 2}, {"CUP", 2}, {"CVE", 2},
    {"CZK", 2}, {"DJF", 0}, {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2},
    {"ETB", 2}, {"EUR", 2}, {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2},
    {"GIP", 2}, {"GMD", 2}, {"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2}, {"HNL", 2},
    {"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"IQD", 3}, {"IRR", 2},
    {"ISK", 0}, {"JMD", 2}, {"JOD", 3}, {"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2},
    {"KMF", 0}, {"KPW", 2}, {"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2},
    {"LBP", 2}, {"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2},
    {"MGA", 2}, {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2},
    {"MVR", 2}, {"MWK", 2}, {"MXN", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2},
    {"NIO", 2}, {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2},
    {"PGK", 2}, {"PHP", 2}, {"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2},
    {"RSD", 2}, {"RUB", 2}, {"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2},
    {"SEK", 2}, {"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SOS", 2}, {"SRD", 2}, {"SSP", 2},
    {"STN", 2}, {"SVC", 2}, {"SYP", 2}, {"SZL", 2}, {"THB", 2}, {"TJS", 2}, {"TMT", 2},
    {"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2}, {"TWD", 2}, {"TZS", 2}, {"UAH", 2},
    {"UGX", 0}, {"USD", 2}, {"UYU", 2}, {"UYW", 4}, {"UZS", 2}, {"VES", 2}, {"VND", 0},
    {"VUV", 0}, {"WST", 2}, {"XAF", 0}, {"XCD", 2}, {"XOF", 0}, {"XPF", 0}, {"YER", 2},
    {"ZAR", 2}, {"ZMW", 2}, {"ZWL", 2},
};
static_assert(std::is_sorted(std::begin(kCurrencies), std::end(kCurrencies),
                             [](const CurrencyInfo& a, const CurrencyInfo& b) {
                               return a.code < b.code;
                             }),
              "kCurrencies is searched by halves: keep it in code order");

}  // namespace

Result<Currency> Currency::Parse(std::string_view code) {
  // Every amount read (imports, syncs, the API) names its currency: a
  // search by halves rather than a walk of the 160 codes.
  const auto* info = std::lower_bound(
      std::begin(kCurrencies), std::end(kCurrencies), code,
      [](const CurrencyInfo& a, std::string_view c) { return a.code < c; });
  if (info != std::end(kCurrencies) && info->code == code) {
    Currency c;
    c.code_ = std::string(code);
    c.minor_digits_ = info->digits;
    return c;
  }
  return InvalidArgument("unknown currency \"" + std::string(code) +
                         "\" (expected an ISO 4217 code such as EUR)");
}

Result<void> ValidateAmount(int64_t minor, std::string_view field, bool allow_negative) {
  if (!allow_negative && minor < 0) {
    return FieldInvalid(std::string(field), "must not be negative");
  }
  if (minor > kMaxMinorUnits || minor < -kMaxMinorUnits) {
    return FieldInvalid(std::string(field), "is larger than the largest accepted amount (10^15 minor units)");
  }
  return Ok();
}

Result<int64_t> ParseDecimalToMinor(std::string_view text, const Currency& currency) {
  auto bad = [&](std::string why) {
    return InvalidArgument("amount \"" + std::string(text) + "\" " + why);
  };
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return bad("is empty");
  int64_t value = 0;
  int decimals = -1;
  bool any_digit = false;
  for (char c : s) {
    if (c == '.') {
      if (decimals >= 0) return bad("has two decimal points");
      decimals = 0;
      continue;
    }
    if (c < '0' || c > '9') return bad("is not a decimal number");
    any_digit = true;
    if (decimals >= 0 && ++decimals > currency.minor_digits()) {
      // A zero past the currency's precision is exact ("12.500" EUR); anything else is not.
      if (c != '0') {
        return bad("has more decimals than " + currency.code() + " allows (" +
                   std::to_string(currency.minor_digits()) + ")");
      }
      continue;
    }
    // The final value is at least `value`, so stop before the multiplication can overflow.
    if (value > kMaxMinorUnits) return bad("is too large");
    value = value * 10 + (c - '0');
  }
  if (!any_digit) return bad("has no digits");
  int used = std::min(std::max(decimals, 0), currency.minor_digits());
  for (int i = used; i < currency.minor_digits(); ++i) {
    if (value > kMaxMinorUnits) return bad("is too large");
    value *= 10;
  }
  if (value > kMaxMinorUnits) return bad("is too large");
  return negative ? -value : value;
}

std::string FormatMinor(int64_t minor, const Currency& currency) {
  bool negative = minor < 0;
  uint64_t abs = negative ? static_cast<uint64_t>(-(minor + 1)) + 1 : static_cast<uint64_t>(minor);
  std::string digits = std::to_string(abs);
  size_t d = static_cast<size_t>(currency.minor_digits());
  if (digits.size() <= d) digits = std::string(d + 1 - digits.size(), '0') + digits;
  // Built front to back (no insert into the middle): GCC 12 at -O3 reports a
  // false -Wrestrict on the in-place inserts.
  std::string out = negative ? "-" : "";
  out.append(digits, 0, digits.size() - d);
  if (d > 0) {
    out += '.';
    out.append(digits, digits.size() - d, d);
  }
  return out;
}

Result<int64_t> AddAmounts(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) return InvalidArgument("amount overflow");
  return out;
}

}  // namespace relance
