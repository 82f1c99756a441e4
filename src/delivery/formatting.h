// Money and dates as a French or English reader expects them in a message.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/date.h"

namespace relance::delivery {

// fr: "1 234,56 €" (U+202F narrow no-break space between thousands, U+00A0
// no-break space before the symbol); en: "€1,234.56". The currency's minor
// digits come from ISO 4217 (JPY "1 235 ¥" / "¥1,235", TND "1 234,567 TND").
// Currencies without a well-known symbol show their code ("1 234,56 CHF",
// "CHF 1,234.56"); an unknown code is shown with two decimals. Negative
// amounts get a leading "-". Any language other than "en..." formats as fr.
std::string FormatMoney(int64_t minor, std::string_view currency, std::string_view language);

// fr "15/01/2026", en "15 Jan 2026".
std::string FormatDate(Date d, std::string_view language);

}  // namespace relance::delivery
