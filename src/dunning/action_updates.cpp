#include "dunning/action_updates.h"

#include "store/record_repository.h"

namespace relance::dunning {

Result<void> UpdateAction(store::Connection& c, const std::string& org_id, const std::string& id,
                          Timestamp now, const std::function<void(domain::Action&)>& edit) {
  store::RecordRepository<domain::Action> repo(domain::ActionSpec());
  ASSIGN_OR_RETURN(domain::Action a, repo.Get(c, org_id, id));
  edit(a);
  return WriteAction(c, a, now);
}

Result<void> WriteAction(store::Connection& c, domain::Action& a, Timestamp now) {
  store::RecordRepository<domain::Action> repo(domain::ActionSpec());
  a.meta.version += 1;
  a.meta.updated_at = FormatTimestamp(now);
  return repo.Update(c, a);
}

void MarkFailed(domain::Action& a, std::string reason) {
  a.status = "FAILED";
  a.lease_until.reset();
  a.last_error = std::move(reason);
}

}  // namespace relance::dunning
