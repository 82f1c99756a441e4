// Set-based updates on contacts that the generic repository does not cover.
#pragma once

#include <string>

#include "store/db.h"

namespace relance::store {

// R-CORE-4: clears the main-contact flag of every other contact of the
// customer (bumping their versions, so concurrent editors see the change).
Result<int64_t> ClearOtherMainContacts(Connection& c, const std::string& org_id,
                                       const std::string& customer_id,
                                       const std::string& except_contact_id,
                                       const std::string& now);

}  // namespace relance::store
