// R-CORE-7: an invoice's status. TO_SEND and VOID are set explicitly; the
// others derive from the outstanding amount, the due date and today's date in
// the organization's time zone (the caller computes `today` with TodayIn).
#pragma once

#include <string_view>
#include <vector>

#include "domain/entities.h"

namespace relance::domain {

std::string_view InvoiceStatus(const Invoice& invoice, Date today);

// "TO_SEND", "NOT_DUE", "OVERDUE", "PAID", "VOID".
const std::vector<std::string_view>& KnownInvoiceStatuses();

}  // namespace relance::domain
