#include "store/sync_queries.h"

#include <algorithm>
#include <set>
#include <span>

#include "store/change_stamps.h"
#include "store/id_lookup.h"
#include "store/record_repository.h"

namespace relance::store {
namespace {

// A slice of ids for one lookup (ForEachLookupChunk, id_lookup.h).
using Chunk = std::span<const std::string>;

SqlValue OptText(const std::optional<std::string>& v) { return v ? SqlValue(*v) : Null(); }

}  // namespace

Result<std::unordered_map<std::string, RefRow>> FindRefs(Connection& c, const std::string& org_id,
                                                          const std::string& connector,
                                                          const std::string& entity,
                                                          const std::vector<std::string>& external_ids) {
  std::unordered_map<std::string, RefRow> out;
  out.reserve(external_ids.size());
  RETURN_IF_ERROR(QueryByIds(c, {org_id, connector, entity}, external_ids,
                             "SELECT external_id, record_id, external_version FROM external_refs "
                             "WHERE org_id = ? AND connector = ? AND entity = ? AND external_id",
                             "", [&](SqlRow& row) {
                               out.insert_or_assign(
                                   row.TakeText(0),
                                   RefRow{row.TakeText(1), row.IsNull(2) ? "" : row.TakeText(2)});
                             }));
  return out;
}

Result<void> WriteRef(Connection& c, const std::string& org_id, const std::string& connector,
                      const RefWrite& ref) {
  SqlValue params[] = {org_id,
                       ref.entity,
                       ref.record_id,
                       connector,
                       ref.external_id,
                       ref.external_version,
                       ref.synced_at,
                       connector,
                       ref.owned_fields,
                       ref.kind,
                       ref.scan_id.empty() ? Null() : SqlValue(ref.scan_id)};
  RETURN_IF_ERROR(c.Exec(
      "INSERT INTO external_refs (org_id, entity, record_id, connector, external_id, "
      "external_version, last_synced_at, last_change_origin, owned_fields, kind, last_seen_scan) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, entity, connector, "
      "external_id) DO UPDATE SET record_id = excluded.record_id, external_version = "
      "excluded.external_version, last_synced_at = excluded.last_synced_at, last_change_origin = "
      "excluded.last_change_origin, owned_fields = excluded.owned_fields, kind = excluded.kind, "
      "last_seen_scan = COALESCE(excluded.last_seen_scan, external_refs.last_seen_scan)",
      params));
  return Ok();
}

Result<void> InsertRefs(Connection& c, const std::string& org_id, const std::string& connector,
                        std::vector<RefWrite> refs) {
  static const std::vector<std::string> kColumns = {
      "org_id",         "entity",          "record_id",          "connector",
      "external_id",    "external_version", "last_synced_at",    "last_change_origin",
      "owned_fields",   "kind",            "last_seen_scan"};
  std::vector<std::vector<SqlValue>> rows;
  rows.reserve(refs.size());
  for (auto& ref : refs) {
    // Built value by value: a braced list would copy every text once more.
    auto& row = rows.emplace_back();
    row.reserve(kColumns.size());
    row.emplace_back(org_id);
    row.emplace_back(std::move(ref.entity));
    row.emplace_back(std::move(ref.record_id));
    row.emplace_back(connector);
    row.emplace_back(std::move(ref.external_id));
    row.emplace_back(std::move(ref.external_version));
    row.emplace_back(std::move(ref.synced_at));
    row.emplace_back(connector);
    row.emplace_back(std::move(ref.owned_fields));
    row.emplace_back(std::move(ref.kind));
    row.push_back(ref.scan_id.empty() ? Null() : SqlValue(std::move(ref.scan_id)));
  }
  return c.BulkInsert("external_refs", kColumns, rows);
}

Result<void> DeleteRef(Connection& c, const std::string& org_id, const std::string& connector,
                       const std::string& entity, const std::string& external_id) {
  SqlValue params[] = {org_id, connector, entity, external_id};
  RETURN_IF_ERROR(c.Exec("DELETE FROM external_refs WHERE org_id = ? AND connector = ? AND entity "
                         "= ? AND external_id = ?",
                         params));
  return Ok();
}

Result<void> MarkRefsSeen(Connection& c, const std::string& org_id, const std::string& connector,
                          const std::string& entity, const std::vector<std::string>& external_ids,
                          const std::string& scan_id) {
  return ForEachLookupChunk(external_ids, [&](Chunk chunk) -> Result<void> {
    std::vector<SqlValue> params = {scan_id, org_id, connector, entity};
    for (const auto& id : chunk) params.emplace_back(id);
    RETURN_IF_ERROR(c.Exec("UPDATE external_refs SET last_seen_scan = ? WHERE org_id = ? AND "
                           "connector = ? AND entity = ? AND external_id IN (" +
                               Placeholders(chunk.size()) + ")",
                           params));
    return Ok();
  });
}

Result<std::vector<std::string>> RefsNotSeen(Connection& c, const std::string& org_id,
                                             const std::string& connector, const std::string& kind,
                                             const std::string& scan_id) {
  SqlValue params[] = {org_id, connector, kind, scan_id};
  ASSIGN_OR_RETURN(auto rows,
                   c.Query("SELECT external_id FROM external_refs WHERE org_id = ? AND connector "
                           "= ? AND kind = ? AND (last_seen_scan IS NULL OR last_seen_scan <> ?) "
                           "ORDER BY external_id",
                           params));
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(row.Text(0));
  return out;
}

Result<std::map<std::string, CursorRow>> LoadCursors(Connection& c, const std::string& org_id,
                                                     const std::string& connection_id) {
  SqlValue params[] = {org_id, connection_id};
  ASSIGN_OR_RETURN(auto rows,
                   c.Query("SELECT stream, cursor_value, scan_id, last_full_scan_at FROM "
                           "sync_cursors WHERE org_id = ? AND connection_id = ?",
                           params));
  std::map<std::string, CursorRow> out;
  for (const auto& row : rows) {
    CursorRow r{row.Text(1), row.Text(2), std::nullopt};
    if (!row.IsNull(3)) r.last_full_scan_at = row.Text(3);
    out[row.Text(0)] = std::move(r);
  }
  return out;
}

Result<void> SaveCursor(Connection& c, const std::string& org_id, const std::string& connection_id,
                        const std::string& stream, const CursorRow& row, const std::string& now) {
  SqlValue params[] = {org_id,      connection_id, stream, row.cursor, row.scan_id,
                       OptText(row.last_full_scan_at), now};
  RETURN_IF_ERROR(c.Exec(
      "INSERT INTO sync_cursors (org_id, connection_id, stream, cursor_value, scan_id, "
      "last_full_scan_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, "
      "connection_id, stream) DO UPDATE SET cursor_value = excluded.cursor_value, scan_id = "
      "excluded.scan_id, last_full_scan_at = excluded.last_full_scan_at, updated_at = "
      "excluded.updated_at",
      params));
  return Ok();
}

Result<void> ResetCursors(Connection& c, const std::string& org_id,
                          const std::string& connection_id) {
  SqlValue params[] = {org_id, connection_id};
  RETURN_IF_ERROR(
      c.Exec("DELETE FROM sync_cursors WHERE org_id = ? AND connection_id = ?", params));
  return Ok();
}

Result<void> InsertInbox(Connection& c, const std::string& org_id,
                         const std::string& connection_id, const InboxRow& row,
                         const std::string& received_at) {
  SqlValue params[] = {org_id,    connection_id, row.id, row.object_type, row.object_id,
                       row.event, received_at};
  RETURN_IF_ERROR(c.Exec("INSERT INTO sync_inbox (org_id, connection_id, id, object_type, "
                         "object_id, event, received_at, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                         params));
  return Ok();
}

Result<std::vector<InboxRow>> PeekInbox(Connection& c, const std::string& org_id,
                                        const std::string& connection_id, int limit) {
  SqlValue params[] = {org_id, connection_id, int64_t{limit}};
  ASSIGN_OR_RETURN(auto rows, c.Query("SELECT id, object_type, object_id, event, attempts FROM "
                                      "sync_inbox WHERE org_id = ? AND connection_id = ? ORDER "
                                      "BY id LIMIT ?",
                                      params));
  std::vector<InboxRow> out;
  for (const auto& row : rows) {
    out.push_back({row.Text(0), row.Text(1), row.Text(2), row.Text(3), row.Int(4)});
  }
  return out;
}

Result<void> DeleteInbox(Connection& c, const std::string& org_id,
                         const std::string& connection_id, const std::vector<std::string>& ids) {
  return ForEachLookupChunk(ids, [&](Chunk chunk) -> Result<void> {
    std::vector<SqlValue> params = {org_id, connection_id};
    for (const auto& id : chunk) params.emplace_back(id);
    RETURN_IF_ERROR(c.Exec("DELETE FROM sync_inbox WHERE org_id = ? AND connection_id = ? AND "
                           "id IN (" + Placeholders(chunk.size()) + ")",
                           params));
    return Ok();
  });
}

Result<void> MarkInboxFailed(Connection& c, const std::string& org_id,
                             const std::string& connection_id, const std::string& id,
                             const std::string& error) {
  SqlValue params[] = {error, org_id, connection_id, id};
  RETURN_IF_ERROR(c.Exec("UPDATE sync_inbox SET attempts = attempts + 1, last_error = ? WHERE "
                         "org_id = ? AND connection_id = ? AND id = ?",
                         params));
  return Ok();
}

Result<int64_t> InboxBacklog(Connection& c, const std::string& org_id,
                             const std::string& connection_id) {
  SqlValue params[] = {org_id, connection_id};
  ASSIGN_OR_RETURN(auto rows, c.Query("SELECT COUNT(*) FROM sync_inbox WHERE org_id = ? AND "
                                      "connection_id = ?",
                                      params));
  return rows.empty() ? 0 : rows[0].Int(0);
}

Result<std::optional<std::pair<std::string, std::string>>> FindConnectionByWebhook(
    Connection& c, const std::string& token_hash) {
  SqlValue params[] = {token_hash};
  ASSIGN_OR_RETURN(auto rows, c.Query("SELECT org_id, id FROM sync_connections WHERE "
                                      "webhook_token_hash = ?",
                                      params));
  if (rows.empty()) return std::optional<std::pair<std::string, std::string>>();
  return std::optional(std::make_pair(rows[0].Text(0), rows[0].Text(1)));
}

Result<std::vector<std::pair<std::string, std::string>>> DueConnections(Connection& c,
                                                                       const std::string& now,
                                                                       int limit) {
  SqlValue params[] = {now, now, int64_t{limit}};
  ASSIGN_OR_RETURN(
      auto rows,
      c.Query("SELECT s.org_id, s.id FROM sync_connections s WHERE s.enabled = 1 AND (s.lease_until "
              "IS NULL OR s.lease_until < ?) AND (s.next_run_at <= ? OR EXISTS (SELECT 1 FROM "
              "sync_inbox i WHERE i.org_id = s.org_id AND i.connection_id = s.id)) ORDER BY "
              "s.next_run_at LIMIT ?",
              params));
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& row : rows) out.emplace_back(row.Text(0), row.Text(1));
  return out;
}

Result<bool> ClaimConnection(Connection& c, const std::string& org_id, const std::string& id,
                             const std::string& owner, const std::string& now,
                             const std::string& lease_until) {
  // One conditional update: of two runners racing, exactly one changes the row.
  SqlValue params[] = {owner, lease_until, org_id, id, now, owner};
  ASSIGN_OR_RETURN(int64_t changed,
                   c.Exec("UPDATE sync_connections SET lease_owner = ?, lease_until = ?, version "
                          "= version + 1 WHERE org_id = ? AND id = ? AND (lease_until IS NULL OR "
                          "lease_until < ? OR lease_owner = ?)",
                          params));
  return changed == 1;
}

Result<void> ReleaseConnection(Connection& c, const std::string& org_id, const std::string& id,
                               const std::string& owner) {
  SqlValue params[] = {org_id, id, owner};
  RETURN_IF_ERROR(c.Exec("UPDATE sync_connections SET lease_owner = NULL, lease_until = NULL, "
                         "version = version + 1 WHERE org_id = ? AND id = ? AND lease_owner = ?",
                         params));
  return Ok();
}

Result<void> AbandonRunningRuns(Connection& c, const std::string& org_id,
                                const std::string& connection_id, const std::string& now) {
  SqlValue params[] = {now, now, org_id, connection_id};
  RETURN_IF_ERROR(c.Exec("UPDATE sync_runs SET status = 'FAILED', error = 'interrupted: the runner "
                         "stopped before the end (the next run resumed from the last committed "
                         "cursor)', finished_at = ?, updated_at = ?, version = version + 1 WHERE "
                         "org_id = ? AND connection_id = ? AND status = 'RUNNING'",
                         params));
  return Ok();
}

Result<void> DeleteConnectionState(Connection& c, const std::string& org_id,
                                   const std::string& connection_id, const std::string& connector) {
  SqlValue params[] = {org_id, connection_id};
  RETURN_IF_ERROR(c.Exec("DELETE FROM sync_inbox WHERE org_id = ? AND connection_id = ?", params));
  RETURN_IF_ERROR(ResetCursors(c, org_id, connection_id));
  SqlValue ref_params[] = {org_id, connector};
  RETURN_IF_ERROR(
      c.Exec("DELETE FROM external_refs WHERE org_id = ? AND connector = ?", ref_params));
  return Ok();
}

}  // namespace relance::store

namespace relance::store {

Result<int64_t> SumAllocations(Connection& c, const std::string& org_id, std::string_view column,
                               const std::string& id) {
  if (column != "invoice_id" && column != "source_id") {
    return Internal("SumAllocations: unknown column " + std::string(column));
  }
  SqlValue params[] = {org_id, id};
  ASSIGN_OR_RETURN(auto rows, c.Query("SELECT COALESCE(SUM(amount), 0) FROM allocations WHERE "
                                      "org_id = ? AND " + std::string(column) + " = ?",
                                      params));
  return rows.empty() ? 0 : rows[0].Int(0);
}

namespace {

// The first write of `chunk` whose invoice the update did not return (its
// version had moved on), as a conflict naming it.
Error OutstandingConflict(std::span<const OutstandingWrite> chunk, const std::vector<SqlRow>& updated) {
  std::set<std::string> written;
  for (const auto& row : updated) written.insert(row.Text(0));
  for (const auto& w : chunk) {
    if (!written.contains(w.invoice_id)) {
      return Error(ErrorCode::kConflict,
                   "invoice " + w.invoice_id + " was changed by another writer; try again");
    }
  }
  return Error(ErrorCode::kConflict, "an invoice was changed by another writer; try again");
}

}  // namespace

// On PostgreSQL, one UPDATE ... FROM (VALUES ...) per kIdsPerLookup invoices
// rather than one statement each: a backfill moves the balance of every
// invoice its payments and credit notes touch, and each statement is a round
// trip. VALUES' columns are column1..3; the casts give PostgreSQL their types
// (a bare parameter in VALUES would be text). On SQLite, one statement per
// invoice: it runs in this process, so a batch saves no round trip, and its
// planner, without statistics, joined such a list by walking all of the
// organization's invoices for each statement.
Result<void> SetOutstandingAmounts(Connection& c, const std::string& org_id,
                                   const std::vector<OutstandingWrite>& writes,
                                   const std::string& now) {
  if (writes.empty()) return Ok();
  if (c.dialect() == Dialect::kSqlite) {
    for (const auto& w : writes) {
      SqlValue params[] = {w.outstanding_amount, w.version + 1, now, org_id, w.invoice_id, w.version};
      ASSIGN_OR_RETURN(int64_t changed,
                       c.Exec("UPDATE invoices SET outstanding_amount = ?, version = ?, "
                              "updated_at = ? WHERE org_id = ? AND id = ? AND version = ?",
                              params));
      if (changed == 0) return OutstandingConflict(std::span(&w, 1), {});
    }
    return BumpChangeStamp(c, org_id, "invoices");
  }
  const std::span<const OutstandingWrite> all(writes);
  for (size_t i = 0; i < all.size(); i += kIdsPerLookup) {
    const auto chunk = all.subspan(i, std::min(kIdsPerLookup, all.size() - i));
    std::string sql =
        "UPDATE invoices SET outstanding_amount = v.column2, version = v.column3 + 1, "
        "updated_at = ? FROM (VALUES ";
    std::vector<SqlValue> params = {now};
    params.reserve(3 * chunk.size() + 2);
    for (size_t k = 0; k < chunk.size(); ++k) {
      sql += k == 0 ? "(?, CAST(? AS BIGINT), CAST(? AS BIGINT))"
                    : ", (?, CAST(? AS BIGINT), CAST(? AS BIGINT))";
      params.emplace_back(chunk[k].invoice_id);
      params.emplace_back(chunk[k].outstanding_amount);
      params.emplace_back(chunk[k].version);
    }
    sql += ") AS v WHERE invoices.org_id = ? AND invoices.id = v.column1 "
           "AND invoices.version = v.column3 RETURNING invoices.id";
    params.emplace_back(org_id);
    ASSIGN_OR_RETURN(auto updated, c.Query(sql, params));
    if (updated.size() != chunk.size()) return OutstandingConflict(chunk, updated);
  }
  return BumpChangeStamp(c, org_id, "invoices");
}

Result<std::set<std::string>> CustomersWithMainContact(Connection& c, const std::string& org_id,
                                                       const std::vector<std::string>& customer_ids) {
  std::set<std::string> out;
  RETURN_IF_ERROR(QueryByIds(
      c, {org_id}, customer_ids,
      "SELECT DISTINCT customer_id FROM contacts WHERE org_id = ? AND is_main = 1 AND customer_id",
      "", [&](const SqlRow& row) { out.insert(row.Text(0)); }));
  return out;
}

}  // namespace relance::store

namespace relance::store {

Result<std::vector<std::pair<std::string, std::string>>> InvoicesMissingDocument(
    Connection& c, const std::string& org_id, const std::string& origin, int limit) {
  SqlValue params[] = {org_id, origin, int64_t{limit}};
  ASSIGN_OR_RETURN(auto rows, c.Query("SELECT id, pdf_url FROM invoices WHERE org_id = ? AND "
                                      "origin = ? AND pdf_file IS NULL AND pdf_url IS NOT NULL "
                                      "ORDER BY id LIMIT ?",
                                      params));
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& row : rows) out.emplace_back(row.Text(0), row.Text(1));
  return out;
}

}  // namespace relance::store
