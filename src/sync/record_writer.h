// Writes a page of mapped source records into the store, inside the
// caller's transaction: the heart of the engine's idempotence.
//
// For each record: its external id is looked up in the external references
// of this connector; an unchanged version is skipped (re-deliveries cost
// one indexed lookup); a new one is created with the entity's own rules
// (services/record_rules.h: validation, derived fields, R-SEND-1's TO_SEND);
// a known one gets the policy's owned fields (and its references) and
// nothing else, so the user's own changes to other fields — and the
// create-only ones, R-SELLSY-4 — survive; a deleted one follows the
// policy's deletion rule. Payments' and credit notes' allocations are
// replaced by the source's, with invoice balances recomputed in the same
// transaction. Each record runs in a savepoint: a record the rules refuse
// is rolled back alone and logged as REJECTED with the reason, the rest of
// the page is written. Every write is logged in the change log (R-OPS-3).
//
// References to records not written yet must have been resolved by the
// caller (sync_engine.cpp fetches them first); an allocation to an invoice
// the engine does not know (out of the policy's date filter) is dropped,
// and a payment left with none is not kept (R-SELLSY-6).
//
// Not thread-safe: one writer per runner.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "services/context.h"
#include "store/db.h"
#include "store/sync_queries.h"
#include "sync/policy.h"
#include "sync/source_record.h"

namespace relance::sync {

struct WriteStats {
  int64_t created = 0;
  int64_t updated = 0;
  int64_t deleted = 0;
  int64_t unchanged = 0;
  int64_t rejected = 0;
  int64_t written() const { return created + updated + deleted; }
};

// References already read for a page, entity ("customer", "invoice") ->
// external id -> stored reference.
using KnownRefs = std::map<std::string, std::unordered_map<std::string, store::RefRow>>;

struct WriterScope {
  std::string org_id;
  std::string connection_id;
  std::string run_id;
  // Stamped on every reference written or seen (snapshot diff).
  std::string scan_id;
};

class RecordWriter {
 public:
  RecordWriter(services::Context ctx, const ConnectorPolicy& policy, WriterScope scope);

  // Writes `records` in order on `c` (inside a transaction the caller
  // commits). Errors are storage failures only; refused records are stats.
  // `known`: references the caller read for the records' references (the
  // engine, resolving them before the transaction: sync_engine.cpp); they
  // are not read again. The caller is the connection's only runner, so
  // they are still the stored ones; a record deleted by a user in between
  // is refused by the rules, as if deleted during the write.
  Result<WriteStats> Write(store::Connection& c, std::vector<SourceRecord>& records,
                           KnownRefs known = {});

 private:
  services::Context ctx_;
  const ConnectorPolicy& policy_;
  WriterScope scope_;
};

}  // namespace relance::sync
