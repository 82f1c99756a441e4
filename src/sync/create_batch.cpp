#include "sync/create_batch.h"

#include "domain/entity_spec.h"
#include "store/record_repository.h"
#include "store/sync_queries.h"

namespace relance::sync {
namespace {

// Writes `records`, moving their texts into the rows: the batch is emptied
// after a flush whatever its outcome.
template <typename T>
Result<void> InsertAll(store::Connection& c, std::vector<T>& records) {
  if (records.empty()) return Ok();
  store::BulkWriter<T> writer(store::RepositoryOf<T>(), records.size());
  for (auto& r : records) RETURN_IF_ERROR(writer.Add(c, std::move(r)));
  return writer.Flush(c);
}

}  // namespace

Result<void> CreateBatch::Flush(store::Connection& c, const std::string& org_id,
                                const std::string& connector, PageCache& cache,
                                const std::string& now) {
  auto written = [&]() -> Result<void> {
    RETURN_IF_ERROR(InsertAll(c, customers_));
    RETURN_IF_ERROR(InsertAll(c, contacts_));
    RETURN_IF_ERROR(InsertAll(c, invoices_));
    RETURN_IF_ERROR(InsertAll(c, payments_));
    RETURN_IF_ERROR(InsertAll(c, allocations_));
    std::vector<PageCache::Balance*> moved = cache.MovedBalances();
    std::vector<store::OutstandingWrite> writes;
    writes.reserve(moved.size());
    for (const PageCache::Balance* b : moved) {
      writes.push_back({b->invoice_id, b->version, b->gross_amount - b->received});
    }
    RETURN_IF_ERROR(store::SetOutstandingAmounts(c, org_id, writes, now));
    for (PageCache::Balance* b : moved) {
      b->version += 1;
      b->moved = false;
    }
    if (!refs_.empty()) RETURN_IF_ERROR(store::InsertRefs(c, org_id, connector, std::move(refs_)));
    return Ok();
  }();
  Clear();
  return written;
}

void CreateBatch::Clear() {
  customers_.clear();
  contacts_.clear();
  invoices_.clear();
  payments_.clear();
  allocations_.clear();
  refs_.clear();
}

}  // namespace relance::sync
