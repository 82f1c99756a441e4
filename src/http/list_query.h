// List requests: `?limit=` (1..1000, default 50), `?cursor=` (opaque, from
// the previous page's next_cursor), `?sort=field` or `?sort=-field` (a
// kSortable field, or id), and `?<field>=<value>` for each kFilterable field
// of the entity (booleans true/false, integers strictly, dates YYYY-MM-DD,
// enumerations checked). A resource may add parameters of its own
// (ListParam). Any other parameter is refused with a detail naming it, so a
// typo never silently returns everything. Stateless.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "domain/entity_spec.h"
#include "http/router.h"
#include "store/record_repository.h"

namespace relance::http {

inline constexpr int kDefaultLimit = 50;
inline constexpr int kMaxLimit = 1000;

struct ListParam {
  ParamDoc doc;
  // Called with the parameter's value after the generic parameters are in
  // `q`; may add or replace conditions.
  std::function<Result<void>(const ApiRequest& req, const std::string& value, store::ListQuery& q)>
      apply;
  // The parameter makes the list read other tables than the resource's
  // (include_subsidiaries reads the customers): a page asked with it is not
  // cached, since only the resource's table stamps it.
  bool reads_other_tables = false;
};

template <typename T>
Result<store::ListQuery> ParseListQuery(const domain::EntitySpec<T>& spec, const ApiRequest& req,
                                        const std::vector<ListParam>& extra);

// The parameters ParseListQuery accepts, for the OpenAPI document.
template <typename T>
std::vector<ParamDoc> ListParamDocs(const domain::EntitySpec<T>& spec,
                                    const std::vector<ListParam>& extra);

// Reads a query-string integer strictly ("12"; not "12abc", "1.0", " 12").
std::optional<int64_t> ParseStrictInt(const std::string& text);

}  // namespace relance::http
