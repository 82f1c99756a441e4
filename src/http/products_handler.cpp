// /api/v1/products (R-CORE-10).
#include "http/crud.h"

namespace relance::http {

void AddProductRoutes(Router& r, const Api& api) {
  Resource<domain::Product> res;
  res.base = "/api/v1/products";
  res.schema = "Product";
  res.tag = "Products";
  res.singular = "product";
  AddResourceRoutes(r, api, api.products, std::move(res));
}

}  // namespace relance::http
