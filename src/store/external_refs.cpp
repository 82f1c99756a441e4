#include "store/external_refs.h"

#include <sstream>

namespace relance::store {
namespace {

std::string JoinFields(const std::vector<std::string>& fields) {
  std::string out;
  for (const auto& f : fields) {
    if (!out.empty()) out += ',';
    out += f;
  }
  return out;
}

std::vector<std::string> SplitFields(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

SqlValue Opt(const std::optional<std::string>& v) { return v ? SqlValue(*v) : Null(); }

}  // namespace

Result<void> UpsertExternalRef(Connection& c, const std::string& org_id,
                               const domain::ExternalRef& ref) {
  SqlValue params[] = {org_id,
                       ref.entity,
                       ref.record_id,
                       ref.connector,
                       ref.external_id,
                       Opt(ref.external_version),
                       Opt(ref.last_synced_at),
                       Opt(ref.last_change_origin),
                       JoinFields(ref.owned_fields)};
  // ON CONFLICT ... DO UPDATE is understood by SQLite (3.24+) and PostgreSQL alike.
  RETURN_IF_ERROR(c.Exec(
      "INSERT INTO external_refs (org_id, entity, record_id, connector, external_id, "
      "external_version, last_synced_at, last_change_origin, owned_fields) VALUES (?, ?, ?, ?, ?, "
      "?, ?, ?, ?) ON CONFLICT (org_id, entity, connector, external_id) DO UPDATE SET record_id = "
      "excluded.record_id, external_version = excluded.external_version, last_synced_at = "
      "excluded.last_synced_at, last_change_origin = excluded.last_change_origin, owned_fields = "
      "excluded.owned_fields",
      params));
  return Ok();
}

Result<std::vector<domain::ExternalRef>> ExternalRefsOf(Connection& c, const std::string& org_id,
                                                        const std::string& entity,
                                                        const std::string& record_id) {
  SqlValue params[] = {org_id, entity, record_id};
  ASSIGN_OR_RETURN(auto rows,
                   c.Query("SELECT connector, external_id, external_version, last_synced_at, "
                           "last_change_origin, owned_fields FROM external_refs WHERE org_id = ? "
                           "AND entity = ? AND record_id = ? ORDER BY connector",
                           params));
  std::vector<domain::ExternalRef> refs;
  for (const auto& row : rows) {
    domain::ExternalRef ref;
    ref.entity = entity;
    ref.record_id = record_id;
    ref.connector = row.Text(0);
    ref.external_id = row.Text(1);
    if (!row.IsNull(2)) ref.external_version = row.Text(2);
    if (!row.IsNull(3)) ref.last_synced_at = row.Text(3);
    if (!row.IsNull(4)) ref.last_change_origin = row.Text(4);
    ref.owned_fields = SplitFields(row.Text(5));
    refs.push_back(std::move(ref));
  }
  return refs;
}

Result<void> DeleteExternalRefsOf(Connection& c, const std::string& org_id,
                                  const std::string& entity, const std::string& record_id) {
  SqlValue params[] = {org_id, entity, record_id};
  RETURN_IF_ERROR(
      c.Exec("DELETE FROM external_refs WHERE org_id = ? AND entity = ? AND record_id = ?", params));
  return Ok();
}

}  // namespace relance::store
