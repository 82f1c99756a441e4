// What a page writer (record_writer.cpp) knows of the stored records its
// page refers to, loaded for the whole page in a few queries instead of one
// or more per record: the customers (what the entity rules read of them, as
// their services::ReferenceReader), the organization's default plan, which
// customers have a main contact, and the balances of the invoices that
// allocations move. Only the columns these need are read.
//
// The writer keeps it true for the records it creates (Put*, Allocate) and
// forgets what a record written one by one may have changed (Forget*); a
// miss reads the database. Lives for one page; not thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/entities.h"
#include "services/reference_reader.h"
#include "store/reference_queries.h"

namespace relance::sync {

class PageCache final : public services::ReferenceReader {
 public:
  PageCache(store::Connection& c, std::string org_id) : c_(c), org_id_(std::move(org_id)) {}

  // Loads the given customers (and whether they have a main contact, when
  // `main_contacts`: a page of contacts), and the balances of the given
  // invoices, in chunks of store::kIdsPerLookup ids.
  Result<void> Preload(const std::vector<std::string>& customer_ids,
                       const std::vector<std::string>& invoice_ids, bool main_contacts);

  Result<const store::CustomerReference*> FindCustomer(const std::string& org_id,
                                                       const std::string& id) override;
  Result<std::optional<std::string>> DefaultPlanId(const std::string& org_id) override;

  // R-SELLSY-4: whether the customer has a main contact.
  Result<bool> HasMainContact(const std::string& customer_id);

  // An invoice that allocations move: its version and total, and the sum
  // of its allocations. Null when there is no such invoice.
  struct Balance : store::InvoiceBalance {
    bool moved = false;  // received changed since the row was read
  };
  Result<Balance*> FindBalance(const std::string& invoice_id);
  // Every balance whose received amount moved, in id order.
  std::vector<Balance*> MovedBalances();

  // What a record created in the page adds.
  void PutNewCustomer(const domain::Customer& c) {
    customers_[c.meta.id] = {c.meta.id, c.parent_id, c.payment_delay_days};
    has_main_[c.meta.id] = false;  // no contact yet
  }
  void PutMainContact(const std::string& customer_id) { has_main_[customer_id] = true; }
  void PutInvoice(const domain::Invoice& inv) {
    balances_[inv.meta.id] = {{inv.meta.id, inv.meta.version, inv.gross_amount, 0}, false};
  }

  // What a record written one by one may have changed.
  void ForgetCustomers() { customers_.clear(); }
  void ForgetMainContacts() { has_main_.clear(); }
  void ForgetBalances() { balances_.clear(); }
  void ForgetAll();

 private:
  store::Connection& c_;
  std::string org_id_;
  std::unordered_map<std::string, store::CustomerReference> customers_;
  std::optional<std::optional<std::string>> default_plan_;
  std::unordered_map<std::string, bool> has_main_;
  std::map<std::string, Balance> balances_;
};

}  // namespace relance::sync
