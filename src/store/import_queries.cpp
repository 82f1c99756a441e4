#include "store/import_queries.h"

namespace relance::store {

Result<void> ForEachCustomerKey(Connection& c, const std::string& org_id,
                                const std::function<void(CustomerKey&&)>& fn, int page) {
  std::string after;
  for (;;) {
    SqlValue params[] = {org_id, after, int64_t{page}};
    ASSIGN_OR_RETURN(auto rows, c.Query("SELECT id, external_id, name, parent_id FROM customers "
                                        "WHERE org_id = ? AND id > ? ORDER BY id LIMIT ?",
                                        params));
    for (const auto& r : rows) {
      CustomerKey k;
      k.id = r.Text(0);
      if (!r.IsNull(1)) k.external_id = r.Text(1);
      k.name = r.Text(2);
      if (!r.IsNull(3)) k.parent_id = r.Text(3);
      after = k.id;
      fn(std::move(k));
    }
    if (rows.size() < static_cast<size_t>(page)) return Ok();
  }
}

Result<std::vector<std::pair<std::string, std::string>>> UserEmails(Connection& c,
                                                                    const std::string& org_id) {
  SqlValue params[] = {org_id};
  ASSIGN_OR_RETURN(auto rows, c.Query("SELECT id, email FROM users WHERE org_id = ?", params));
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.emplace_back(r.Text(0), r.Text(1));
  return out;
}

Result<void> SetCustomerParent(Connection& c, const std::string& org_id, const std::string& id,
                               const std::string& parent_id, const std::string& now,
                               bool bump_version) {
  SqlValue params[] = {parent_id, int64_t{bump_version ? 1 : 0}, now, org_id, id};
  ASSIGN_OR_RETURN(int64_t n, c.Exec("UPDATE customers SET parent_id = ?, version = version + ?, "
                                     "updated_at = ? WHERE org_id = ? AND id = ?",
                                     params));
  if (n != 1) return NotFound("customer " + id + " not found");
  return Ok();
}

Result<void> InsertImportRejections(Connection& c, const std::string& org_id,
                                    const std::string& import_id, int64_t first_seq,
                                    const std::vector<ImportRejection>& rows) {
  static const std::vector<std::string> kColumns = {"org_id", "import_id", "seq",   "line",
                                                    "column_name", "value", "reason"};
  std::vector<std::vector<SqlValue>> values;
  values.reserve(rows.size());
  int64_t seq = first_seq;
  for (const auto& r : rows) {
    values.push_back({org_id, import_id, seq++, r.line, r.column, r.value, r.reason});
  }
  return c.BulkInsert("import_rejections", kColumns, values);
}

Result<std::vector<std::pair<int64_t, ImportRejection>>> ListImportRejections(
    Connection& c, const std::string& org_id, const std::string& import_id, int64_t after_seq,
    int limit) {
  SqlValue params[] = {org_id, import_id, after_seq, int64_t{limit}};
  ASSIGN_OR_RETURN(auto rows,
                   c.Query("SELECT seq, line, column_name, value, reason FROM import_rejections "
                           "WHERE org_id = ? AND import_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                           params));
  std::vector<std::pair<int64_t, ImportRejection>> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back({r.Int(0), {r.Int(1), r.Text(2), r.Text(3), r.Text(4)}});
  }
  return out;
}

Result<std::optional<ImportJobKey>> ClaimQueuedImport(Connection& c, const std::string& now) {
  for (;;) {
    ASSIGN_OR_RETURN(auto rows, c.Query("SELECT org_id, id FROM imports WHERE status = 'QUEUED' "
                                        "ORDER BY created_at, id LIMIT 1"));
    if (rows.empty()) return std::optional<ImportJobKey>();
    ImportJobKey key{rows[0].Text(0), rows[0].Text(1)};
    SqlValue params[] = {now, now, key.org_id, key.id};
    ASSIGN_OR_RETURN(int64_t n,
                     c.Exec("UPDATE imports SET status = 'RUNNING', phase = 'validating', "
                            "started_at = ?, updated_at = ?, version = version + 1 "
                            "WHERE org_id = ? AND id = ? AND status = 'QUEUED'",
                            params));
    if (n == 1) return std::optional<ImportJobKey>(std::move(key));
    // Another runner took it first: look for the next one.
  }
}

Result<int64_t> RecoverInterruptedImports(Connection& c, const std::string& now) {
  SqlValue params[] = {now};
  RETURN_IF_ERROR(c.Exec("UPDATE imports SET status = 'FAILED', phase = '', finished_at = ?, "
                         "message = 'interrupted: the command that ran it stopped before the "
                         "end; nothing was written', version = version + 1 "
                         "WHERE status = 'RUNNING' AND source = 'cli'",
                         params));
  return c.Exec("UPDATE imports SET status = 'QUEUED', phase = '', version = version + 1 "
                "WHERE status = 'RUNNING' AND source <> 'cli'");
}

Result<void> RequeueImport(Connection& c, const std::string& org_id, const std::string& id) {
  SqlValue params[] = {org_id, id};
  RETURN_IF_ERROR(c.Exec("UPDATE imports SET status = 'QUEUED', phase = '', version = version + 1 "
                         "WHERE org_id = ? AND id = ? AND status = 'RUNNING'",
                         params));
  return Ok();
}

Result<void> DeleteImportRejections(Connection& c, const std::string& org_id,
                                    const std::string& import_id) {
  SqlValue params[] = {org_id, import_id};
  RETURN_IF_ERROR(
      c.Exec("DELETE FROM import_rejections WHERE org_id = ? AND import_id = ?", params));
  return Ok();
}

}  // namespace relance::store
