// The OpenAPI 3.0 document of the API, generated from the route table the
// server registers (paths, methods, parameters, bodies, roles) and from the
// entity specs (schemas: types, enumerations, required, readOnly, nullable,
// descriptions), plus the error envelope and the two security schemes
// (bearer API token, session cookie). Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "http/router.h"

namespace relance::http {

nlohmann::ordered_json BuildOpenApi(const std::vector<Route>& routes);

}  // namespace relance::http
