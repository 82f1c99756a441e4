#include "store/change_stamps.h"

#include <algorithm>
#include <set>

namespace relance::store {

bool IsChangeStamped(std::string_view table) { return table == "invoices"; }

Result<void> BumpChangeStamp(Connection& c, const std::string& org_id, std::string_view table) {
  // ON CONFLICT ... DO UPDATE: the same text on SQLite (3.24+) and PostgreSQL.
  SqlValue params[] = {org_id, std::string(table)};
  RETURN_IF_ERROR(c.Exec(
      "INSERT INTO change_stamps (org_id, table_name, stamp) VALUES (?, ?, 1) "
      "ON CONFLICT (org_id, table_name) DO UPDATE SET stamp = change_stamps.stamp + 1",
      params));
  return Ok();
}

Result<void> StampBulkRows(Connection& c, std::string_view table,
                           std::span<const std::string> columns,
                           std::span<const std::vector<SqlValue>> rows) {
  if (!IsChangeStamped(table)) return Ok();
  auto at = std::find(columns.begin(), columns.end(), "org_id");
  if (at == columns.end()) {
    return InvalidArgument("bulk insert into " + std::string(table) + " without org_id");
  }
  const size_t column = static_cast<size_t>(at - columns.begin());
  std::set<std::string> orgs;
  for (const auto& row : rows) {
    if (const auto* org = std::get_if<std::string>(&row[column])) orgs.insert(*org);
  }
  for (const auto& org : orgs) RETURN_IF_ERROR(BumpChangeStamp(c, org, table));
  return Ok();
}

Result<int64_t> ReadChangeStamp(Connection& c, const std::string& org_id, std::string_view table) {
  SqlValue params[] = {org_id, std::string(table)};
  ASSIGN_OR_RETURN(auto rows,
                   c.Query("SELECT stamp FROM change_stamps WHERE org_id = ? AND table_name = ?",
                           params));
  return rows.empty() ? int64_t{0} : rows[0].Int(0);
}

}  // namespace relance::store
