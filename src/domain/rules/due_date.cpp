#include "domain/rules/due_date.h"

namespace relance::domain {

Date EffectiveDueDate(const Invoice& invoice, std::optional<int64_t> customer_delay_days,
                      int64_t org_delay_days) {
  if (invoice.printed_due_date) return *invoice.printed_due_date;
  if (invoice.payable_on_receipt) return invoice.issue_date;
  return invoice.issue_date.AddDays(customer_delay_days.value_or(org_delay_days));
}

}  // namespace relance::domain
