// Money is an integer count of a currency's minor units (cents for EUR, yen
// for JPY) plus its ISO 4217 code. There is no double anywhere on this path
// and no implicit conversion between amounts of different currencies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace relance {

class Currency {
 public:
  // Accepts an active ISO 4217 code, upper case ("EUR"); anything else is an error.
  static Result<Currency> Parse(std::string_view code);
  const std::string& code() const { return code_; }
  // Digits after the decimal point: 2 for EUR, 0 for JPY, 3 for TND.
  int minor_digits() const { return minor_digits_; }
  bool operator==(const Currency& o) const { return code_ == o.code_; }

 private:
  std::string code_;
  int minor_digits_ = 2;
};

// Largest amount accepted anywhere: 10^15 minor units (ten trillion euros),
// so that sums of millions of amounts still fit in int64 without overflow.
inline constexpr int64_t kMaxMinorUnits = 1'000'000'000'000'000;

// Checks an amount taken from outside: not negative (unless allowed), not
// above kMaxMinorUnits. `field` names it in the error.
Result<void> ValidateAmount(int64_t minor, std::string_view field, bool allow_negative = false);

// Parses a decimal string ("1234.5", "-0.07") exactly into minor units of
// the currency. More decimals than the currency has is an error, never rounded.
Result<int64_t> ParseDecimalToMinor(std::string_view text, const Currency& currency);
// 123456 EUR -> "1234.56".
std::string FormatMinor(int64_t minor, const Currency& currency);

// Overflow-checked addition for running totals.
Result<int64_t> AddAmounts(int64_t a, int64_t b);

}  // namespace relance
