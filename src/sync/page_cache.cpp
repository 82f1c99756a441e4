#include "sync/page_cache.h"

#include <algorithm>
#include <set>
#include <span>

#include "domain/entity_spec.h"
#include "store/record_repository.h"
#include "store/sync_queries.h"

namespace relance::sync {
namespace {

using store::Condition;

const auto& Contacts() { return store::RepositoryOf<domain::Contact>(); }

}  // namespace

Result<void> PageCache::Preload(const std::vector<std::string>& customer_ids,
                                const std::vector<std::string>& invoice_ids, bool main_contacts) {
  ASSIGN_OR_RETURN(auto customers, store::FindCustomerReferences(c_, org_id_, customer_ids));
  for (auto& r : customers) {
    std::string id = r.id;
    customers_.insert_or_assign(std::move(id), std::move(r));
  }
  if (main_contacts) {
    ASSIGN_OR_RETURN(auto with_main, store::CustomersWithMainContact(c_, org_id_, customer_ids));
    for (const auto& id : customer_ids) has_main_.try_emplace(id, with_main.contains(id));
  }
  ASSIGN_OR_RETURN(auto balances, store::FindInvoiceBalances(c_, org_id_, invoice_ids));
  for (auto& b : balances) {
    std::string id = b.invoice_id;
    balances_.insert_or_assign(std::move(id), Balance{std::move(b), false});
  }
  return Ok();
}

Result<const store::CustomerReference*> PageCache::FindCustomer(const std::string& org_id,
                                                                const std::string& id) {
  if (org_id != org_id_) return Internal("page cache of " + org_id_ + " asked for " + org_id);
  if (auto it = customers_.find(id); it != customers_.end()) return &it->second;
  ASSIGN_OR_RETURN(auto found, store::FindCustomerReferences(c_, org_id_, {id}));
  if (found.empty()) return nullptr;
  return &(customers_[id] = std::move(found.front()));
}

Result<std::optional<std::string>> PageCache::DefaultPlanId(const std::string& org_id) {
  if (!default_plan_) {
    services::DatabaseReferenceReader db(c_);
    ASSIGN_OR_RETURN(default_plan_, db.DefaultPlanId(org_id));
  }
  return *default_plan_;
}

Result<bool> PageCache::HasMainContact(const std::string& customer_id) {
  if (auto it = has_main_.find(customer_id); it != has_main_.end()) return it->second;
  ASSIGN_OR_RETURN(int64_t mains,
                   Contacts().Count(c_, org_id_,
                                    {{"customer_id", Condition::Op::kEq, customer_id},
                                     {"is_main", Condition::Op::kEq, int64_t{1}}}));
  return has_main_[customer_id] = mains > 0;
}

Result<PageCache::Balance*> PageCache::FindBalance(const std::string& invoice_id) {
  if (auto it = balances_.find(invoice_id); it != balances_.end()) return &it->second;
  ASSIGN_OR_RETURN(auto found, store::FindInvoiceBalances(c_, org_id_, {invoice_id}));
  if (found.empty()) return nullptr;
  return &(balances_[invoice_id] = Balance{std::move(found.front()), false});
}

std::vector<PageCache::Balance*> PageCache::MovedBalances() {
  std::vector<Balance*> out;
  for (auto& [id, b] : balances_) {
    if (b.moved) out.push_back(&b);
  }
  return out;
}

void PageCache::ForgetAll() {
  ForgetCustomers();
  ForgetMainContacts();
  ForgetBalances();
  default_plan_.reset();
}

}  // namespace relance::sync
