#include "delivery/formatting.h"

#include <cstdio>

#include "core/money.h"

namespace relance::delivery {
namespace {

constexpr std::string_view kNarrowNbsp = "\u202F";
constexpr std::string_view kNbsp = "\u00A0";

bool IsEnglish(std::string_view language) { return language.substr(0, 2) == "en"; }

struct Symbol {
  std::string_view code;
  std::string_view symbol;
};
// Only symbols a reader of either language recognises without ambiguity;
// "$" alone is kept for USD, the others show their code.
constexpr Symbol kSymbols[] = {{"EUR", "€"}, {"USD", "$"}, {"GBP", "£"}, {"JPY", "¥"}};

std::string_view SymbolOf(std::string_view code) {
  for (const auto& s : kSymbols) {
    if (s.code == code) return s.symbol;
  }
  return {};
}

std::string GroupDigits(uint64_t value, std::string_view separator) {
  std::string digits = std::to_string(value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += separator;
    out += digits[i];
  }
  return out;
}

}  // namespace

std::string FormatMoney(int64_t minor, std::string_view currency, std::string_view language) {
  Result<Currency> parsed = Currency::Parse(currency);
  int digits = parsed.ok() ? parsed->minor_digits() : 2;
  bool negative = minor < 0;
  // Through unsigned so INT64_MIN does not overflow on negation.
  uint64_t magnitude = negative ? ~static_cast<uint64_t>(minor) + 1 : static_cast<uint64_t>(minor);
  uint64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  uint64_t units = magnitude / scale;
  uint64_t fraction = magnitude % scale;
  bool english = IsEnglish(language);

  std::string number = GroupDigits(units, english ? std::string_view(",") : kNarrowNbsp);
  if (digits > 0) {
    std::string frac = std::to_string(fraction);
    number += english ? '.' : ',';
    number += std::string(static_cast<size_t>(digits) - frac.size(), '0') + frac;
  }
  std::string_view symbol = SymbolOf(currency);
  std::string sign = negative ? "-" : "";
  if (english) {
    if (!symbol.empty()) return sign + std::string(symbol) + number;
    return sign + std::string(currency) + std::string(kNbsp) + number;
  }
  return sign + number + std::string(kNbsp) + std::string(symbol.empty() ? currency : symbol);
}

std::string FormatDate(Date d, std::string_view language) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[32];
  if (IsEnglish(language)) {
    std::snprintf(buf, sizeof(buf), "%d %s %04d", d.day(), kMonths[d.month() - 1], d.year());
  } else {
    std::snprintf(buf, sizeof(buf), "%02d/%02d/%04d", d.day(), d.month(), d.year());
  }
  return buf;
}

}  // namespace relance::delivery
