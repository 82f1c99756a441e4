#include "services/record_service.h"

#include <set>

#include "core/ids.h"
#include "services/apply_fields.h"
#include "services/ownership.h"
#include "services/record_rules.h"
#include "store/change_stamps.h"
#include "store/external_refs.h"

namespace relance::services {
namespace {

using store::Connection;

Result<domain::Organization> LoadOrganization(Connection& c, const std::string& org_id) {
  store::RecordRepository<domain::Organization> orgs(domain::OrganizationSpec());
  return orgs.Get(c, org_id, org_id);
}

}  // namespace

template <typename T>
RecordService<T>::RecordService(Context ctx) : ctx_(ctx), repo_(domain::SpecOf<T>()) {}

template <typename T>
Result<T> RecordService<T>::Create(const Principal& p,
                                   const std::vector<FieldAssignment>& fields) const {
  WritePolicy policy = PolicyFor<T>();
  RETURN_IF_ERROR(Authorize(p, policy.access));
  if (!policy.generic_create) {
    return Error(ErrorCode::kFailedPrecondition,
                 std::string(spec().resource) + " are not created this way");
  }
  T record;
  RETURN_IF_ERROR(ApplyFields(spec(), record, fields, /*creating=*/true));
  Timestamp now = ctx_.clock.Now();
  record.meta.id = NewId(NewIdPrefix(record), now);
  record.meta.org_id = p.org_id;
  record.meta.version = 1;
  record.meta.created_at = record.meta.updated_at = FormatTimestamp(now);
  RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](Connection& c) -> Result<void> {
    ASSIGN_OR_RETURN(auto org, LoadOrganization(c, p.org_id));
    RETURN_IF_ERROR(Prepare(c, ctx_, org, record, nullptr));
    RETURN_IF_ERROR(repo_.Insert(c, record));
    return AfterWrite(c, ctx_, record);
  }));
  return record;
}

template <typename T>
Result<T> RecordService<T>::Update(const Principal& p, const std::string& id,
                                   const std::vector<FieldAssignment>& fields,
                                   std::optional<int64_t> if_version) const {
  RETURN_IF_ERROR(Authorize(p, PolicyFor<T>().access));
  T record;
  RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](Connection& c) -> Result<void> {
    ASSIGN_OR_RETURN(T before, repo_.Get(c, p.org_id, id));
    if (if_version && *if_version != before.meta.version) {
      return Conflict(std::string(spec().entity) + " " + id + " is at version " +
                      std::to_string(before.meta.version) + ", not " +
                      std::to_string(*if_version) + "; reload it and try again");
    }
    record = before;
    RETURN_IF_ERROR(ApplyFields(spec(), record, fields, /*creating=*/false));
    RETURN_IF_ERROR(CheckOwnedFieldsUnchanged(c, p, before, record));
    record.meta.version = before.meta.version + 1;
    record.meta.updated_at = FormatTimestamp(ctx_.clock.Now());
    ASSIGN_OR_RETURN(auto org, LoadOrganization(c, p.org_id));
    RETURN_IF_ERROR(Prepare(c, ctx_, org, record, &before));
    RETURN_IF_ERROR(repo_.Update(c, record));
    return AfterWrite(c, ctx_, record);
  }));
  return record;
}

template <typename T>
Result<T> RecordService<T>::Get(const Principal& p, const std::string& id) const {
  RETURN_IF_ERROR(Authorize(p, Access::kRead));
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  return repo_.Get(*conn, p.org_id, id);
}

template <typename T>
Result<T> RecordService<T>::GetByExternalId(const Principal& p,
                                            const std::string& external_id) const {
  RETURN_IF_ERROR(Authorize(p, Access::kRead));
  if (spec().Find("external_id") == nullptr) {
    return NotFound(std::string(spec().resource) + " have no external id");
  }
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  ASSIGN_OR_RETURN(auto found, repo_.FindBy(*conn, p.org_id, "external_id", external_id));
  if (!found) {
    return NotFound("no " + std::string(spec().entity) + " with external id \"" + external_id +
                    "\"");
  }
  return std::move(*found);
}

template <typename T>
Result<void> RecordService<T>::Delete(const Principal& p, const std::string& id) const {
  WritePolicy policy = PolicyFor<T>();
  RETURN_IF_ERROR(Authorize(p, policy.access));
  if (!policy.generic_delete) {
    return Error(ErrorCode::kFailedPrecondition,
                 std::string(spec().resource) + " are not deleted this way");
  }
  return store::InTransaction(ctx_.db, [&](Connection& c) -> Result<void> {
    RETURN_IF_ERROR(repo_.Delete(c, p.org_id, id));
    return store::DeleteExternalRefsOf(c, p.org_id, std::string(spec().entity), id);
  });
}

template <typename T>
Result<store::Page<T>> RecordService<T>::List(const Principal& p,
                                              const store::ListQuery& q) const {
  RETURN_IF_ERROR(Authorize(p, Access::kRead));
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  return repo_.List(*conn, p.org_id, q);
}

Result<Date> TodayFor(Context ctx, const Principal& p) {
  if (!p.time_zone.empty()) return TodayIn(p.time_zone, ctx.clock.Now());
  ASSIGN_OR_RETURN(auto conn, ctx.db.Acquire());
  ASSIGN_OR_RETURN(auto org, LoadOrganization(*conn, p.org_id));
  return TodayIn(org.time_zone, ctx.clock.Now());
}

Result<int64_t> ChangeStampFor(Context ctx, const Principal& p, std::string_view table) {
  ASSIGN_OR_RETURN(auto conn, ctx.db.Acquire());
  return store::ReadChangeStamp(*conn, p.org_id, table);
}

Result<std::vector<store::Condition>> InvoiceStatusConditions(Context ctx, const Principal& p,
                                                              std::string_view status) {
  using Op = store::Condition::Op;
  ASSIGN_OR_RETURN(Date today, TodayFor(ctx, p));
  std::vector<store::Condition> live = {{"is_void", Op::kEq, int64_t{0}},
                                        {"to_send", Op::kEq, int64_t{0}}};
  // R-CORE-7, in the same order as domain::InvoiceStatus decides.
  if (status == "VOID") return std::vector<store::Condition>{{"is_void", Op::kEq, int64_t{1}}};
  if (status == "TO_SEND") {
    return std::vector<store::Condition>{{"is_void", Op::kEq, int64_t{0}},
                                         {"to_send", Op::kEq, int64_t{1}}};
  }
  if (status == "PAID") {
    live.push_back({"outstanding_amount", Op::kLe, int64_t{0}});
    return live;
  }
  if (status == "OVERDUE" || status == "NOT_DUE") {
    live.push_back({"outstanding_amount", Op::kGt, int64_t{0}});
    live.push_back({"due_date", status == "OVERDUE" ? Op::kLt : Op::kGe, today.ToString(), {},
                    /*unindexed=*/true});
    return live;
  }
  return FieldInvalid("status", "must be one of TO_SEND, NOT_DUE, OVERDUE, PAID, VOID");
}

template class RecordService<domain::Organization>;
template class RecordService<domain::User>;
template class RecordService<domain::Customer>;
template class RecordService<domain::Contact>;
template class RecordService<domain::Invoice>;
template class RecordService<domain::Payment>;
template class RecordService<domain::Allocation>;
template class RecordService<domain::Product>;
template class RecordService<domain::DunningPlan>;
template class RecordService<domain::ImportJob>;
template class RecordService<domain::DunningStep>;
template class RecordService<domain::Action>;

}  // namespace relance::services
