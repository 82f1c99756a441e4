// External references of records (DESIGN: "each synced record keeps its
// external references"): which connector a record came from, its id and
// version there, and which fields that connector owns. Every call is scoped
// to an organization. Stateless; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "domain/entities.h"
#include "store/db.h"

namespace relance::store {

// Inserts or replaces the reference (key: org, entity, connector, external id).
Result<void> UpsertExternalRef(Connection& c, const std::string& org_id,
                               const domain::ExternalRef& ref);
Result<std::vector<domain::ExternalRef>> ExternalRefsOf(Connection& c, const std::string& org_id,
                                                        const std::string& entity,
                                                        const std::string& record_id);
Result<void> DeleteExternalRefsOf(Connection& c, const std::string& org_id,
                                  const std::string& entity, const std::string& record_id);

}  // namespace relance::store
