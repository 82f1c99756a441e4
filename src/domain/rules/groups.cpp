#include "domain/rules/groups.h"

namespace relance::domain {

Result<void> CheckParentAssignment(const std::string& customer_id, const std::string& new_parent_id,
                                   const ParentLookup& lookup_parent) {
  std::string current = new_parent_id;
  for (int depth = 0; depth <= kMaxGroupDepth; ++depth) {
    if (current == customer_id) {
      return FieldInvalid("parent_id", depth == 0 ? "a customer cannot be its own parent"
                                                  : "would make the customer its own ancestor (" +
                                                        new_parent_id + " is its subsidiary)");
    }
    ASSIGN_OR_RETURN(std::optional<std::string> parent, lookup_parent(current));
    if (!parent) return Ok();
    current = *parent;
  }
  return FieldInvalid("parent_id", "groups may be at most " + std::to_string(kMaxGroupDepth) +
                                       " levels deep");
}

}  // namespace relance::domain
