// What is particular to each entity when the generic RecordService writes
// it: who may write it, validation, references to other records, derived
// fields, and set-wide invariants (one main contact). One overload of each
// function per entity, in record_rules.cpp.
#pragma once

#include <string_view>

#include "domain/entities.h"
#include "services/context.h"
#include "services/reference_reader.h"
#include "store/db.h"

namespace relance::services {

struct WritePolicy {
  Access access = Access::kWrite;
  // False where a dedicated service creates / deletes (payments and
  // allocations move balances; users need a password; organizations are
  // created by the operator).
  bool generic_create = true;
  bool generic_delete = true;
};

template <typename T>
WritePolicy PolicyFor();

// Called inside the write transaction after the client's fields were applied
// and before the row is written; `before` is null on create. Validates (all
// field errors at once), checks references, computes derived fields. The
// customer and the default plan that customers, contacts, invoices and
// payments refer to are read through `refs` (the database when null).
Result<void> Prepare(store::Connection& c, const Context& ctx, const domain::Organization& org,
                     domain::Organization& r, const domain::Organization* before);
Result<void> Prepare(store::Connection& c, const Context& ctx, const domain::Organization& org,
                     domain::User& r, const domain::User* before);
Result<void> Prepare(store::Connection& c, const Context& ctx, const domain::Organization& org,
                     domain::Customer& r, const domain::Customer* before,
                     ReferenceReader* refs = nullptr);
Result<void> Prepare(store::Connection& c, const Context& ctx, const domain::Organization& org,
                     domain::Contact& r, const domain::Contact* before,
                     ReferenceReader* refs = nullptr);
Result<void> Prepare(store::Connection& c, const Context& ctx, const domain::Organization& org,
                     domain::Invoice& r, const domain::Invoice* before,
                     ReferenceReader* refs = nullptr);
Result<void> Prepare(store::Connection& c, const Context& ctx, const domain::Organization& org,
                     domain::Payment& r, const domain::Payment* before,
                     ReferenceReader* refs = nullptr);
Result<void> Prepare(store::Connection& c, const Context& ctx, const domain::Organization& org,
                     domain::Allocation& r, const domain::Allocation* before);
Result<void> Prepare(store::Connection& c, const Context& ctx, const domain::Organization& org,
                     domain::Product& r, const domain::Product* before);
Result<void> Prepare(store::Connection& c, const Context& ctx, const domain::Organization& org,
                     domain::DunningPlan& r, const domain::DunningPlan* before);
Result<void> Prepare(store::Connection& c, const Context& ctx, const domain::Organization& org,
                     domain::ImportJob& r, const domain::ImportJob* before);
Result<void> Prepare(store::Connection& c, const Context& ctx, const domain::Organization& org,
                     domain::DunningStep& r, const domain::DunningStep* before);
Result<void> Prepare(store::Connection& c, const Context& ctx, const domain::Organization& org,
                     domain::Action& r, const domain::Action* before);

// Called after the row is written, in the same transaction.
template <typename T>
Result<void> AfterWrite(store::Connection&, const Context&, const T&) {
  return Ok();
}
Result<void> AfterWrite(store::Connection& c, const Context& ctx, const domain::Contact& r);
Result<void> AfterWrite(store::Connection& c, const Context& ctx, const domain::DunningPlan& r);

// The id prefix of a new record (credit notes differ from invoices).
template <typename T>
std::string_view NewIdPrefix(const T& r);

// The rules of a payment created by AllocationService.
Result<void> PreparePayment(store::Connection& c, const Context& ctx,
                            const domain::Organization& org, domain::Payment& r);

}  // namespace relance::services
