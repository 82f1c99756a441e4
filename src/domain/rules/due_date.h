// R-CORE-8: when an invoice is due.
#pragma once

#include <cstdint>
#include <optional>

#include "domain/entities.h"

namespace relance::domain {

// The date printed on the invoice when there is one. Otherwise an invoice
// payable on receipt is due on its issue date (never plus a delay, R-SELLSY-9);
// otherwise issue date + the customer's default delay, else the organization's.
Date EffectiveDueDate(const Invoice& invoice, std::optional<int64_t> customer_delay_days,
                      int64_t org_delay_days);

}  // namespace relance::domain
