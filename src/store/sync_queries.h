// The queries of the sync engine that are not one entity's CRUD (those go
// through RecordRepository): external ids of many records at once, stream
// cursors, the webhook inbox, connection leases. Every call takes the
// organization id first, except the two that find an organization (the
// webhook token, the scheduler's due connections). Stateless; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/db.h"

namespace relance::store {

// What the engine knows of one external record.
struct RefRow {
  std::string record_id;
  std::string external_version;
};

// external id -> ref, for the `external_ids` that have one (any number;
// queried in chunks). `entity` is the spec entity ("customer", "invoice").
Result<std::unordered_map<std::string, RefRow>> FindRefs(Connection& c, const std::string& org_id,
                                                const std::string& connector,
                                                const std::string& entity,
                                                const std::vector<std::string>& external_ids);

// Inserts or replaces a ref with its kind and the scan that saw it.
struct RefWrite {
  std::string entity;
  std::string kind;  // sync EntityName: distinguishes credit notes from invoices
  std::string record_id;
  std::string external_id;
  std::string external_version;
  std::string synced_at;
  std::string owned_fields;  // comma-separated
  std::string scan_id;       // empty: not part of a full scan
};
Result<void> WriteRef(Connection& c, const std::string& org_id, const std::string& connector,
                      const RefWrite& ref);
// Inserts refs whose keys have none yet (the records a page created), all
// at once with Connection::BulkInsert.
// Their texts are moved into the rows written.
Result<void> InsertRefs(Connection& c, const std::string& org_id, const std::string& connector,
                        std::vector<RefWrite> refs);
Result<void> DeleteRef(Connection& c, const std::string& org_id, const std::string& connector,
                       const std::string& entity, const std::string& external_id);
// Stamps refs seen unchanged by a full scan.
Result<void> MarkRefsSeen(Connection& c, const std::string& org_id, const std::string& connector,
                          const std::string& entity, const std::vector<std::string>& external_ids,
                          const std::string& scan_id);
// External ids of `kind` not seen by `scan_id`: gone from the source.
Result<std::vector<std::string>> RefsNotSeen(Connection& c, const std::string& org_id,
                                             const std::string& connector, const std::string& kind,
                                             const std::string& scan_id);

struct CursorRow {
  std::string cursor;
  std::string scan_id;  // the full scan in progress (or last finished)
  std::optional<std::string> last_full_scan_at;
};
Result<std::map<std::string, CursorRow>> LoadCursors(Connection& c, const std::string& org_id,
                                                     const std::string& connection_id);
Result<void> SaveCursor(Connection& c, const std::string& org_id, const std::string& connection_id,
                        const std::string& stream, const CursorRow& row, const std::string& now);
Result<void> ResetCursors(Connection& c, const std::string& org_id,
                          const std::string& connection_id);

struct InboxRow {
  std::string id;
  std::string object_type;
  std::string object_id;
  std::string event;
  int64_t attempts = 0;
};
Result<void> InsertInbox(Connection& c, const std::string& org_id,
                         const std::string& connection_id, const InboxRow& row,
                         const std::string& received_at);
// The oldest `limit` hints, in arrival order.
Result<std::vector<InboxRow>> PeekInbox(Connection& c, const std::string& org_id,
                                        const std::string& connection_id, int limit);
Result<void> DeleteInbox(Connection& c, const std::string& org_id,
                         const std::string& connection_id, const std::vector<std::string>& ids);
Result<void> MarkInboxFailed(Connection& c, const std::string& org_id,
                             const std::string& connection_id, const std::string& id,
                             const std::string& error);
Result<int64_t> InboxBacklog(Connection& c, const std::string& org_id,
                             const std::string& connection_id);

// The connection whose webhook token hashes to `token_hash`: (org, id).
Result<std::optional<std::pair<std::string, std::string>>> FindConnectionByWebhook(
    Connection& c, const std::string& token_hash);
// Connections a runner should take now (enabled, next_run_at <= now or an
// inbox not empty, no live lease): (org, id), at most `limit`.
Result<std::vector<std::pair<std::string, std::string>>> DueConnections(Connection& c,
                                                                       const std::string& now,
                                                                       int limit);
// Takes the lease if it is free or expired; false when another runner holds it.
Result<bool> ClaimConnection(Connection& c, const std::string& org_id, const std::string& id,
                             const std::string& owner, const std::string& now,
                             const std::string& lease_until);
Result<void> ReleaseConnection(Connection& c, const std::string& org_id, const std::string& id,
                               const std::string& owner);
// Runs left RUNNING by a runner that died; called by the runner that now
// holds the connection's lease.
Result<void> AbandonRunningRuns(Connection& c, const std::string& org_id,
                                const std::string& connection_id, const std::string& now);
// What a connection leaves behind besides its own row, removed when it is
// deleted: its pending webhook hints, its cursors, and its connector's
// external references (the records stay, and without references become
// Relance's own: editable, no longer owned by the connector).
Result<void> DeleteConnectionState(Connection& c, const std::string& org_id,
                                   const std::string& connection_id, const std::string& connector);

}  // namespace relance::store

namespace relance::store {

// Sum of the allocations whose `column` ("invoice_id" or "source_id") is
// `id`: what an invoice received, or what a payment or credit note gave.
Result<int64_t> SumAllocations(Connection& c, const std::string& org_id, std::string_view column,
                               const std::string& id);
// A new outstanding amount for an invoice read at `version`.
struct OutstandingWrite {
  std::string invoice_id;
  int64_t version = 0;
  int64_t outstanding_amount = 0;
};
// Writes each (its version one up, updated at `now`; an invoice at most once),
// kIdsPerLookup per statement, and moves the invoices' change stamp once;
// kConflict naming the invoice when one was changed since it was read.
Result<void> SetOutstandingAmounts(Connection& c, const std::string& org_id,
                                   const std::vector<OutstandingWrite>& writes,
                                   const std::string& now);
// The `customer_ids` that have a main contact (R-SELLSY-4), read without
// loading the contacts.
Result<std::set<std::string>> CustomersWithMainContact(Connection& c, const std::string& org_id,
                                                       const std::vector<std::string>& customer_ids);

}  // namespace relance::store

namespace relance::store {

// Invoices and credit notes of `origin` (a connector) with a remote
// pdf_url and no stored copy yet: (id, pdf_url), at most `limit`.
Result<std::vector<std::pair<std::string, std::string>>> InvoicesMissingDocument(
    Connection& c, const std::string& org_id, const std::string& origin, int limit);

}  // namespace relance::store
