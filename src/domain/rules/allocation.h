// R-CORE-5, R-CORE-6: moving money from a payment or a credit note onto an
// invoice. Pure checks on in-memory records; the caller persists both sides
// in one transaction.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "domain/entities.h"

namespace relance::domain {

// What a source can still give: a payment's unallocated amount, a credit
// note's outstanding amount.
struct AllocationSource {
  std::string type;  // PAYMENT or CREDIT_NOTE
  std::string id;
  std::string org_id;
  std::string currency;
  int64_t available = 0;

  static AllocationSource FromPayment(const Payment& p);
  static AllocationSource FromCreditNote(const Invoice& credit_note);
};

// Refuses, naming the field (`field_prefix` + "amount" / "invoice_id"): an
// amount that is not positive, above what the invoice still owes or above
// what the source still has; another currency or organization; a target
// that is a credit note or void.
Result<void> CheckAllocation(const AllocationSource& source, const Invoice& target, int64_t amount,
                             std::string_view field_prefix);

// Moves `amount` (already checked) from the source to the invoice.
Result<void> ApplyAllocation(AllocationSource& source, Invoice& target, int64_t amount);

}  // namespace relance::domain
