#include "store/bounce_queries.h"

namespace relance::store {

Result<std::optional<std::string>> FindActionIdByMessageId(Connection& c, const std::string& org_id,
                                                           const std::string& message_id) {
  SqlValue params[] = {org_id, message_id};
  // One action per Message-ID (it is derived from the action's id); the
  // order only makes the answer deterministic should a copy ever exist.
  ASSIGN_OR_RETURN(auto rows, c.Query("SELECT id FROM actions WHERE org_id = ? AND message_id = ? "
                                      "ORDER BY id LIMIT 1",
                                      params));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows[0].Text(0));
}

}  // namespace relance::store
