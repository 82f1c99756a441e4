#include "domain/rules/invoice_status.h"

namespace relance::domain {

std::string_view InvoiceStatus(const Invoice& invoice, Date today) {
  if (invoice.is_void) return "VOID";
  if (invoice.to_send) return "TO_SEND";
  if (invoice.outstanding_amount <= 0) return "PAID";
  if (invoice.due_date < today) return "OVERDUE";
  return "NOT_DUE";
}

const std::vector<std::string_view>& KnownInvoiceStatuses() {
  static const std::vector<std::string_view> kStatuses = {"TO_SEND", "NOT_DUE", "OVERDUE",
                                                          "PAID", "VOID"};
  return kStatuses;
}

}  // namespace relance::domain
