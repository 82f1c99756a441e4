#include "services/customer_groups.h"

#include "domain/entity_spec.h"
#include "store/record_repository.h"

namespace relance::services {

Result<std::vector<std::string>> CustomerAndSubsidiaries(Context ctx, const Principal& p,
                                                         const std::string& customer_id) {
  constexpr size_t kMaxFamily = 1000;
  RETURN_IF_ERROR(Authorize(p, Access::kRead));
  store::RecordRepository<domain::Customer> repo(domain::CustomerSpec());
  ASSIGN_OR_RETURN(auto conn, ctx.db.Acquire());
  RETURN_IF_ERROR(repo.Get(*conn, p.org_id, customer_id));
  std::vector<std::string> family = {customer_id};
  // Parent links are acyclic (checked on every write), so the walk ends.
  for (size_t next = 0; next < family.size(); ++next) {
    store::ListQuery q;
    q.conditions = {{"parent_id", store::Condition::Op::kEq, family[next]}};
    q.limit = 1000;
    for (;;) {
      ASSIGN_OR_RETURN(auto page, repo.List(*conn, p.org_id, q));
      for (const auto& child : page.items) family.push_back(child.meta.id);
      if (family.size() > kMaxFamily) {
        return Error(ErrorCode::kResourceExhausted,
                     "customer " + customer_id + " has more than 1000 subsidiaries; list them "
                     "per subsidiary instead");
      }
      if (!page.next_cursor) break;
      q.cursor = page.next_cursor;
    }
  }
  return family;
}

}  // namespace relance::services
