// /api/v1/customers (R-CORE-2, R-CORE-3, R-CORE-11): the generic record
// routes, plus addressing by external id ("Identifiant Client"). A single
// customer's JSON carries its external references, so clients can tell
// which fields a connector owns (R-SELLSY-8).
#include "http/crud.h"

namespace relance::http {

void AddCustomerRoutes(Router& r, const Api& api) {
  Resource<domain::Customer> res;
  res.base = "/api/v1/customers";
  res.schema = "Customer";
  res.tag = "Customers";
  res.singular = "customer";
  res.by_external_id = true;
  res.present = [&api](const ApiRequest& req, std::span<const domain::Customer> items,
                       bool single) -> Result<std::vector<OrderedJson>> {
    std::vector<OrderedJson> out;
    out.reserve(items.size());
    for (const auto& c : items) {
      OrderedJson j = RecordToJson(c);
      if (single) {
        ASSIGN_OR_RETURN(OrderedJson refs, ExternalRefsJson(api, req.who(), "customer", c.meta.id));
        InsertBefore(j, "version", "external_refs", std::move(refs));
      }
      out.push_back(std::move(j));
    }
    return out;
  };
  // Lists carry no external references: the plain record text.
  res.list_text = [](const ApiRequest&, std::span<const domain::Customer> items,
                     std::string& out) -> Result<void> {
    AppendRecordsJson(out, items);
    return Ok();
  };
  AddResourceRoutes(r, api, api.customers, std::move(res));
}

}  // namespace relance::http
