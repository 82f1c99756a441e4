// /api/v1/contacts (R-CORE-4). Setting is_main on a contact clears it on
// the customer's other contacts (the service does it in the same
// transaction); list ?customer_id=...&is_main=true shows the one left.
#include "http/crud.h"

namespace relance::http {

void AddContactRoutes(Router& r, const Api& api) {
  Resource<domain::Contact> res;
  res.base = "/api/v1/contacts";
  res.schema = "Contact";
  res.tag = "Contacts";
  res.singular = "contact";
  AddResourceRoutes(r, api, api.contacts, std::move(res));
}

}  // namespace relance::http
