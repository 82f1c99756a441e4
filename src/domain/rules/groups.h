// R-CORE-3: groups of customers (a parent and its subsidiaries).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/result.h"

namespace relance::domain {

// Returns a customer's parent id (nullopt when it has none) or NotFound.
using ParentLookup = std::function<Result<std::optional<std::string>>(const std::string&)>;

// Refuses a parent that would make `customer_id` its own ancestor (itself
// included), and chains deeper than kMaxGroupDepth, so that a corrupted loop
// in stored data cannot spin forever. Errors name the field `parent_id`.
inline constexpr int kMaxGroupDepth = 64;
Result<void> CheckParentAssignment(const std::string& customer_id, const std::string& new_parent_id,
                                   const ParentLookup& lookup_parent);

}  // namespace relance::domain
