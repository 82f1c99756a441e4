// R-CORE-3: a parent customer's view covers its subsidiaries' invoices, while
// each invoice still belongs to the child that owns it.
#pragma once

#include <string>
#include <vector>

#include "services/context.h"

namespace relance::services {

// The customer's id followed by every descendant's (breadth first). At most
// 1000 ids; a larger group is refused with a clear error rather than cut.
Result<std::vector<std::string>> CustomerAndSubsidiaries(Context ctx, const Principal& p,
                                                         const std::string& customer_id);

}  // namespace relance::services
