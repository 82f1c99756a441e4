// /api/v1/dunning-plans (R-DUN-1, R-DUN-2): the plans customers follow,
// named by imports ("Plan de relance") and assigned per customer.
#include "http/crud.h"

namespace relance::http {

void AddDunningPlanRoutes(Router& r, const Api& api) {
  Resource<domain::DunningPlan> res;
  res.base = "/api/v1/dunning-plans";
  res.schema = "DunningPlan";
  res.tag = "Dunning plans";
  res.singular = "dunning plan";
  AddResourceRoutes(r, api, api.dunning_plans, std::move(res));
}

}  // namespace relance::http
