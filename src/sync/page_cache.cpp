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

const auto& Customers() { return store::RepositoryOf<domain::Customer>(); }
const auto& Contacts() { return store::RepositoryOf<domain::Contact>(); }
const auto& Invoices() { return store::RepositoryOf<domain::Invoice>(); }

// `fn(conditions)` for each chunk of `ids` (store::kIdsPerLookup) as
// `column IN (...)`, plus `also`.
template <typename Fn>
Result<void> ForIdChunks(const std::vector<std::string>& ids, const std::string& column,
                         const std::vector<Condition>& also, Fn fn) {
  return store::ForEachLookupChunk(ids, [&](std::span<const std::string> chunk) {
    Condition in{column, Condition::Op::kIn, {}};
    in.values.assign(chunk.begin(), chunk.end());
    std::vector<Condition> conditions = also;
    conditions.push_back(std::move(in));
    return fn(conditions);
  });
}

}  // namespace

Result<void> PageCache::Preload(const std::vector<std::string>& customer_ids,
                                const std::vector<std::string>& invoice_ids) {
  RETURN_IF_ERROR(ForIdChunks(customer_ids, "id", {}, [&](const auto& where) -> Result<void> {
    ASSIGN_OR_RETURN(auto rows, Customers().FindAll(c_, org_id_, where));
    for (auto& r : rows) customers_[r.meta.id] = std::move(r);
    return Ok();
  }));
  ASSIGN_OR_RETURN(auto with_main, store::CustomersWithMainContact(c_, org_id_, customer_ids));
  for (const auto& id : customer_ids) has_main_.try_emplace(id, with_main.contains(id));
  RETURN_IF_ERROR(ForIdChunks(invoice_ids, "id", {}, [&](const auto& where) -> Result<void> {
    ASSIGN_OR_RETURN(auto rows, Invoices().FindAll(c_, org_id_, where));
    for (auto& r : rows) {
      std::string id = r.meta.id;
      balances_[id] = Balance{std::move(r), 0, false};
    }
    return Ok();
  }));
  ASSIGN_OR_RETURN(auto received, store::SumAllocationsByInvoice(c_, org_id_, invoice_ids));
  for (const auto& [id, sum] : received) {
    if (auto it = balances_.find(id); it != balances_.end()) it->second.received = sum;
  }
  return Ok();
}

Result<const domain::Customer*> PageCache::FindCustomer(const std::string& org_id,
                                                        const std::string& id) {
  if (org_id != org_id_) return Internal("page cache of " + org_id_ + " asked for " + org_id);
  if (auto it = customers_.find(id); it != customers_.end()) return &it->second;
  ASSIGN_OR_RETURN(auto found, Customers().Find(c_, org_id_, id));
  if (!found) return nullptr;
  return &(customers_[id] = std::move(*found));
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
  ASSIGN_OR_RETURN(auto found, Invoices().Find(c_, org_id_, invoice_id));
  if (!found) return nullptr;
  ASSIGN_OR_RETURN(int64_t received,
                   store::SumAllocations(c_, org_id_, "invoice_id", invoice_id));
  return &(balances_[invoice_id] = Balance{std::move(*found), received, false});
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
