#include "services/reference_reader.h"

#include "domain/entity_spec.h"
#include "store/record_repository.h"

namespace relance::services {

Result<const store::CustomerReference*> DatabaseReferenceReader::FindCustomer(
    const std::string& org_id, const std::string& id) {
  ASSIGN_OR_RETURN(auto found, store::FindCustomerReferences(c_, org_id, {id}));
  if (found.empty()) return nullptr;
  last_ = std::move(found.front());
  return &*last_;
}

Result<std::optional<std::string>> DatabaseReferenceReader::DefaultPlanId(
    const std::string& org_id) {
  ASSIGN_OR_RETURN(auto plan, store::RepositoryOf<domain::DunningPlan>().FindBy(
                                  c_, org_id, "is_default", int64_t{1}));
  if (!plan) return std::optional<std::string>();
  return std::optional<std::string>(plan->meta.id);
}

}  // namespace relance::services
