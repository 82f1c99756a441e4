// The records a page writer (record_writer.cpp) creates, held back and
// written together: each table's new rows in one Connection::BulkInsert
// (prepared-statement reuse on SQLite, COPY on PostgreSQL), then the
// invoices whose balances the new allocations moved, then the new external
// references. A backfill is almost only creates, and this is what makes it
// cost a few statements per page instead of a dozen per record.
//
// Flush writes in an order the foreign keys accept (customers, contacts,
// invoices, payments, allocations). Nothing is in the database before
// Flush: the writer flushes before anything that reads or writes records
// one by one. Not thread-safe.
#pragma once

#include <vector>

#include "domain/entities.h"
#include "store/db.h"
#include "store/sync_queries.h"
#include "sync/page_cache.h"

namespace relance::sync {

class CreateBatch {
 public:
  void Add(domain::Customer r) { customers_.push_back(std::move(r)); }
  void Add(domain::Contact r) { contacts_.push_back(std::move(r)); }
  void Add(domain::Invoice r) { invoices_.push_back(std::move(r)); }
  void Add(domain::Payment r) { payments_.push_back(std::move(r)); }
  void Add(domain::Allocation r) { allocations_.push_back(std::move(r)); }
  void AddRef(store::RefWrite ref) { refs_.push_back(std::move(ref)); }

  bool empty() const { return refs_.empty(); }
  size_t size() const { return refs_.size(); }

  // Writes everything held, the balances `cache` says moved (stamped `now`,
  // their version one up), and empties the batch. On error the caller rolls
  // the batch's writes back; the batch is empty either way.
  Result<void> Flush(store::Connection& c, const std::string& org_id, const std::string& connector,
                     PageCache& cache, const std::string& now);
  void Clear();

 private:
  std::vector<domain::Customer> customers_;
  std::vector<domain::Contact> contacts_;
  std::vector<domain::Invoice> invoices_;
  std::vector<domain::Payment> payments_;
  std::vector<domain::Allocation> allocations_;
  std::vector<store::RefWrite> refs_;
};

}  // namespace relance::sync
