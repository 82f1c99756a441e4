// Create, read, update, delete and list any entity of the model, with the
// same semantics everywhere: input is a list of field assignments (already
// type-checked by the caller's decoder), the service applies them to the
// stored record, runs the entity's rules (validation, references, derived
// fields: see record_rules.h), refuses changes to fields a connector owns,
// and commits in one transaction with optimistic concurrency.
//
// Thread-safe; holds no state besides the context.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/entity_spec.h"
#include "services/context.h"
#include "store/record_repository.h"

namespace relance::services {

struct FieldAssignment {
  std::string field;
  domain::FieldValue value;
};

template <typename T>
class RecordService {
 public:
  explicit RecordService(Context ctx);

  const domain::EntitySpec<T>& spec() const { return repo_.spec(); }

  // Unknown, output-only or missing required fields are refused with one
  // field-level detail each; nothing is written on error.
  Result<T> Create(const Principal& p, const std::vector<FieldAssignment>& fields) const;
  // `if_version`: when set, the update applies only to that version (409 otherwise).
  Result<T> Update(const Principal& p, const std::string& id,
                   const std::vector<FieldAssignment>& fields,
                   std::optional<int64_t> if_version = std::nullopt) const;
  Result<T> Get(const Principal& p, const std::string& id) const;
  // Looks a record up by its `external_id` field.
  Result<T> GetByExternalId(const Principal& p, const std::string& external_id) const;
  Result<void> Delete(const Principal& p, const std::string& id) const;
  Result<store::Page<T>> List(const Principal& p, const store::ListQuery& q) const;

 private:
  Context ctx_;
  store::RecordRepository<T> repo_;
};

// Today's date in the principal's organization's time zone (R-CORE-7):
// from the time zone authentication read, else from the organization.
Result<Date> TodayFor(Context ctx, const Principal& p);

// The change stamp of `table` for the principal's organization
// (store/change_stamps.h), read before a list whose page may be cached.
Result<int64_t> ChangeStampFor(Context ctx, const Principal& p, std::string_view table);

// Invoices list by status (R-CORE-7): the status is derived from the due date
// and today's date in the organization's time zone, so it becomes
// conditions on stored columns here.
Result<std::vector<store::Condition>> InvoiceStatusConditions(Context ctx, const Principal& p,
                                                              std::string_view status);

}  // namespace relance::services
