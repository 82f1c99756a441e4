// /api/v1/allocations: money moved from a payment or a credit note onto an
// invoice (R-CORE-5, R-CORE-6). Created by POST (checked against what the
// invoice owes and what the source has left), removed by DELETE (which
// gives the money back to both sides); never edited in place.
#include "http/crud.h"

namespace relance::http {

void AddAllocationRoutes(Router& r, const Api& api) {
  Resource<domain::Allocation> res;
  res.base = "/api/v1/allocations";
  res.schema = "Allocation";
  res.tag = "Allocations";
  res.singular = "allocation";
  res.update = false;
  res.create_handler = [&api](ApiRequest& req) -> Reply {
    auto body = BodyObject(req);
    if (!body.ok()) return ErrorReply(body.error());
    std::vector<services::FieldAssignment> fields;
    std::vector<FieldError> problems;
    DecodeFields(domain::AllocationSpec(), *body, DecodeMode::kCreate, {}, fields, problems);
    if (!problems.empty()) return ErrorReply(InvalidFields("allocation", std::move(problems)));
    // The decoder type-checked every member; read them back by name.
    domain::Allocation a;
    for (const auto& f : fields) (void)domain::AllocationSpec().Find(f.field)->Set(a, f.value);
    if (a.amount == 0) return ErrorReply(FieldInvalid("amount", "must be greater than 0"));
    auto created =
        api.allocations.Allocate(req.who(), a.source_type, a.source_id, {a.invoice_id, a.amount});
    if (!created.ok()) return ErrorReply(created.error());
    return RecordReply(201, RecordToJson(*created));
  };
  res.remove_handler = [&api](ApiRequest& req) -> Reply {
    auto done = api.allocations.Deallocate(req.who(), req.PathParam("id"));
    if (!done.ok()) return ErrorReply(done.error());
    return NoContent();
  };
  AddResourceRoutes(r, api, api.allocation_records, std::move(res));
}

}  // namespace relance::http
