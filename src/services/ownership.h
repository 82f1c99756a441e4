// R-SELLSY-8 and the sync design: the fields a connector owns are read-only
// for everyone but that connector. Every write path that changes stored
// records (the generic service, imports) checks through this one function.
#pragma once

#include <string>
#include <vector>

#include "domain/entity_spec.h"
#include "services/context.h"
#include "store/external_refs.h"

namespace relance::services {

// Conflict (409) naming each owned field that differs between `before` and
// `after` and the connector that owns it; ok when none does or when the
// principal is that connector.
template <typename T>
Result<void> CheckOwnedFieldsUnchanged(store::Connection& c, const Principal& p, const T& before,
                                       const T& after) {
  const auto& spec = domain::SpecOf<T>();
  ASSIGN_OR_RETURN(auto refs, store::ExternalRefsOf(c, p.org_id, std::string(spec.entity),
                                                    before.meta.id));
  std::vector<FieldError> owned;
  std::string owner;
  for (const auto& ref : refs) {
    if (ref.connector == p.origin) continue;
    for (const auto& name : ref.owned_fields) {
      const auto* f = spec.Find(name);
      if (f == nullptr || f->Get(before) == f->Get(after)) continue;
      owned.push_back(
          {name, "is owned by the " + ref.connector + " connection and can only be changed there"});
      owner = ref.connector;
    }
  }
  if (owned.empty()) return Ok();
  std::string message = owned[0].field + " of " + std::string(spec.entity) + " " +
                        before.meta.id + " is owned by the " + owner +
                        " connection; change it in " + owner;
  return Conflict(std::move(message), std::move(owned));
}

}  // namespace relance::services
