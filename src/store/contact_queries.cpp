#include "store/contact_queries.h"

namespace relance::store {

Result<int64_t> ClearOtherMainContacts(Connection& c, const std::string& org_id,
                                       const std::string& customer_id,
                                       const std::string& except_contact_id,
                                       const std::string& now) {
  SqlValue params[] = {now, org_id, customer_id, except_contact_id};
  return c.Exec(
      "UPDATE contacts SET is_main = 0, version = version + 1, updated_at = ? "
      "WHERE org_id = ? AND customer_id = ? AND id <> ? AND is_main = 1",
      params);
}

}  // namespace relance::store
