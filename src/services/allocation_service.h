// Money moving onto invoices: payments with their allocations, and credit
// notes allocated to invoices (R-CORE-5, R-CORE-6). Each call is one
// transaction that writes the allocation rows and the new outstanding /
// unallocated amounts together, so balances never drift from allocations.
// Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "domain/entities.h"
#include "services/record_service.h"

namespace relance::services {

struct AllocationRequest {
  std::string invoice_id;
  int64_t amount = 0;
};

struct PaymentWithAllocations {
  domain::Payment payment;
  std::vector<domain::Allocation> allocations;
};

class AllocationService {
 public:
  explicit AllocationService(Context ctx) : ctx_(ctx) {}

  // Creates the payment and allocates it; refuses (writing nothing) an
  // allocation above what the invoice still owes or above the payment's
  // amount, another currency, a credit note or void invoice as target.
  Result<PaymentWithAllocations> CreatePayment(const Principal& p,
                                               const std::vector<FieldAssignment>& payment,
                                               const std::vector<AllocationRequest>& allocations) const;
  // Allocates an existing payment ("PAYMENT") or credit note ("CREDIT_NOTE").
  Result<domain::Allocation> Allocate(const Principal& p, const std::string& source_type,
                                      const std::string& source_id,
                                      const AllocationRequest& request) const;
  // Removes an allocation and gives the money back to both sides.
  Result<void> Deallocate(const Principal& p, const std::string& allocation_id) const;
  // A payment and its allocations.
  Result<PaymentWithAllocations> GetPayment(const Principal& p, const std::string& id) const;
  // Deleting a payment removes its allocations first.
  Result<void> DeletePayment(const Principal& p, const std::string& id) const;

 private:
  Context ctx_;
};

}  // namespace relance::services
