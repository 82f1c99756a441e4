#include "domain/rules/allocation.h"

#include "core/money.h"

namespace relance::domain {

AllocationSource AllocationSource::FromPayment(const Payment& p) {
  return {"PAYMENT", p.meta.id, p.meta.org_id, p.currency, p.unallocated_amount};
}

AllocationSource AllocationSource::FromCreditNote(const Invoice& c) {
  return {"CREDIT_NOTE", c.meta.id, c.meta.org_id, c.currency, c.outstanding_amount};
}

Result<void> CheckAllocation(const AllocationSource& source, const Invoice& target, int64_t amount,
                             std::string_view field_prefix) {
  std::string prefix(field_prefix);
  if (target.meta.org_id != source.org_id) {
    return FieldInvalid(prefix + "invoice_id", "no invoice " + target.meta.id + " in this organization");
  }
  if (target.kind != "INVOICE") {
    return FieldInvalid(prefix + "invoice_id", "is a credit note; allocate to an invoice");
  }
  if (target.is_void) return FieldInvalid(prefix + "invoice_id", "is void");
  if (amount <= 0) return FieldInvalid(prefix + "amount", "must be greater than zero");
  RETURN_IF_ERROR(ValidateAmount(amount, prefix + "amount"));
  if (target.currency != source.currency) {
    return FieldInvalid(prefix + "invoice_id", "is in " + target.currency + ", the " +
                                                   (source.type == "PAYMENT" ? "payment" : "credit note") +
                                                   " in " + source.currency);
  }
  if (amount > target.outstanding_amount) {
    return FieldInvalid(prefix + "amount", "is above what invoice " + target.number +
                                               " still owes (" +
                                               std::to_string(target.outstanding_amount) + ")");
  }
  if (amount > source.available) {
    return FieldInvalid(prefix + "amount",
                        "is above what the " +
                            std::string(source.type == "PAYMENT" ? "payment" : "credit note") +
                            " has left to allocate (" + std::to_string(source.available) + ")");
  }
  return Ok();
}

Result<void> ApplyAllocation(AllocationSource& source, Invoice& target, int64_t amount) {
  if (amount <= 0 || amount > source.available || amount > target.outstanding_amount) {
    return Internal("allocation applied without being checked");
  }
  source.available -= amount;
  target.outstanding_amount -= amount;
  return Ok();
}

}  // namespace relance::domain
