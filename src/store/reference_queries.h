// What the entity rules and the sync's balances read of the records others
// refer to: a few columns by id, not whole rows. A sync page refers to
// hundreds of customers and invoices; reading every column of each through
// the generic repository was an eighth of a backfill's CPU.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/db.h"

namespace relance::store {

// A customer as the rules of the records referring to it see it.
struct CustomerReference {
  std::string id;
  std::optional<std::string> parent_id;          // R-CORE-3's ancestry walk
  std::optional<int64_t> payment_delay_days;     // R-CORE-8's due date
};
// The organization's customers among `ids` (those it has), in no order.
Result<std::vector<CustomerReference>> FindCustomerReferences(Connection& c,
                                                              const std::string& org_id,
                                                              const std::vector<std::string>& ids);

// An invoice or credit note as allocations to it see it: its version (for
// SetOutstandingAmounts' check), its total, and the sum of its allocations.
struct InvoiceBalance {
  std::string invoice_id;
  int64_t version = 0;
  int64_t gross_amount = 0;
  int64_t received = 0;
};
// The organization's invoices among `ids`, in no order.
Result<std::vector<InvoiceBalance>> FindInvoiceBalances(Connection& c, const std::string& org_id,
                                                        const std::vector<std::string>& ids);

}  // namespace relance::store
