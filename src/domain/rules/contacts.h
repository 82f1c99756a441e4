// R-CORE-4 / R-IMP-9: contact positions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace relance::domain {

// ACCOUNTING, SALES, PURCHASER or PAYER from the English value or a French
// label (Comptabilité, Ventes / Commercial, Acheteur / Achats, Payeur), with
// case, accents and surrounding spaces ignored. nullopt when unknown.
std::optional<std::string> ParsePosition(std::string_view text);

}  // namespace relance::domain
