// Applies a client's field assignments to a record, the same way for every
// entity: unknown, read-only and (after creation) create-only fields are
// refused, required fields must be present on create, and every problem is
// collected into one error with a detail per field.
#pragma once

#include <string>
#include <vector>

#include "domain/entity_spec.h"
#include "services/record_service.h"

namespace relance::services {

template <typename T>
Result<void> ApplyFields(const domain::EntitySpec<T>& spec, T& record,
                   const std::vector<FieldAssignment>& fields, bool creating) {
  std::vector<FieldError> problems;
  for (const auto& a : fields) {
    const domain::FieldSpec<T>* f = spec.Find(a.field);
    if (f == nullptr) {
      problems.push_back({a.field, "is not a field of " + std::string(spec.entity)});
    } else if (f->Has(domain::kOutputOnly)) {
      problems.push_back({a.field, "is read-only"});
    } else if (!creating && f->Has(domain::kCreateOnly)) {
      problems.push_back({a.field, "cannot be changed after creation"});
    } else if (auto r = f->Set(record, a.value); !r.ok()) {
      problems.push_back({a.field, r.error().details().empty() ? r.error().message()
                                                               : r.error().details()[0].message});
    }
  }
  if (creating) {
    for (const auto& f : spec.fields) {
      if (!f.Has(domain::kRequired)) continue;
      bool given = false;
      for (const auto& a : fields) given = given || a.field == f.name;
      if (!given) problems.push_back({std::string(f.name), "is required"});
    }
  }
  if (!problems.empty()) {
    std::string msg = std::to_string(problems.size()) + " invalid field" +
                      (problems.size() > 1 ? "s" : "") + " in " + std::string(spec.entity) +
                      ": " + problems[0].field + " " + problems[0].message;
    return InvalidArgument(std::move(msg), std::move(problems));
  }
  return Ok();
}

}  // namespace relance::services
