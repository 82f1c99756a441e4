// /api/v1/invoices: invoices and credit notes (kind CREDIT_NOTE; ids crn_...)
// in one resource (R-CORE-5). Each carries its status (R-CORE-7), computed
// for today in the organization's time zone; ?status= filters on it, and
// ?customer_id=X&include_subsidiaries=true is a group's view (R-CORE-3).
#include "domain/rules/invoice_status.h"
#include "http/crud.h"
#include "services/customer_groups.h"

namespace relance::http {
namespace {

Result<Date> TodayOf(const Api& api, const services::Principal& p) {
  return services::TodayFor(api.ctx, p);
}

}  // namespace

void AddInvoiceRoutes(Router& r, const Api& api) {
  Resource<domain::Invoice> res;
  res.base = "/api/v1/invoices";
  res.schema = "Invoice";
  res.tag = "Invoices";
  res.singular = "invoice or credit note";
  res.by_external_id = true;
  // Each invoice's status is today's (R-CORE-7): pages are kept per day.
  res.cached_table = "invoices";

  ParamDoc status{"status", "string",
                  "Only invoices in this status today (R-CORE-7): TO_SEND, NOT_DUE, OVERDUE, PAID "
                  "or VOID"};
  for (auto s : domain::KnownInvoiceStatuses()) status.enum_values.emplace_back(s);
  res.list_params.push_back(
      {status,
       [&api](const ApiRequest& req, const std::string& value,
              store::ListQuery& q) -> Result<void> {
         bool known = false;
         for (auto s : domain::KnownInvoiceStatuses()) known = known || s == value;
         if (!known) {
           return Result<void>(FieldInvalid(
               "status",
               "must be one of TO_SEND, NOT_DUE, OVERDUE, PAID, VOID, not \"" + value + "\""));
         }
         ASSIGN_OR_RETURN(auto conditions,
                          services::InvoiceStatusConditions(api.ctx, req.who(), value));
         for (auto& c : conditions) q.conditions.push_back(std::move(c));
         return Ok();
       }});
  res.list_params.push_back(
      {ParamDoc{"include_subsidiaries", "boolean",
                "With customer_id: also the invoices of the customer's subsidiaries, at any "
                "depth (a group's view, R-CORE-3)"},
       [&api](const ApiRequest& req, const std::string& value,
              store::ListQuery& q) -> Result<void> {
         if (value != "true" && value != "false") {
           return Result<void>(FieldInvalid("include_subsidiaries",
                                            "must be true or false, not \"" + value + "\""));
         }
         if (value == "false") return Ok();
         for (auto& c : q.conditions) {
           if (c.column != "customer_id" || c.op != store::Condition::Op::kEq) continue;
           ASSIGN_OR_RETURN(auto ids, services::CustomerAndSubsidiaries(
                                          api.ctx, req.who(), std::get<std::string>(c.value)));
           c.op = store::Condition::Op::kIn;
           c.values.assign(ids.begin(), ids.end());
           return Ok();
         }
         return Result<void>(
             FieldInvalid("include_subsidiaries", "needs customer_id=<the group's id>"));
       },
       /*reads_other_tables=*/true});

  res.present = [&api](const ApiRequest& req, std::span<const domain::Invoice> items,
                       bool single) -> Result<std::vector<OrderedJson>> {
    std::vector<OrderedJson> out;
    if (items.empty()) return out;
    ASSIGN_OR_RETURN(Date today, TodayOf(api, req.who()));
    out.reserve(items.size());
    for (const auto& inv : items) {
      OrderedJson j = RecordToJson(inv);
      InsertBefore(j, "version", "status", std::string(domain::InvoiceStatus(inv, today)));
      if (single) {
        ASSIGN_OR_RETURN(OrderedJson refs,
                         ExternalRefsJson(api, req.who(), "invoice", inv.meta.id));
        InsertBefore(j, "version", "external_refs", std::move(refs));
      }
      out.push_back(std::move(j));
    }
    return out;
  };
  res.list_text = [&api](const ApiRequest& req, std::span<const domain::Invoice> items,
                         std::string& out) -> Result<void> {
    if (items.empty()) return Ok();
    ASSIGN_OR_RETURN(Date today, TodayOf(api, req.who()));
    std::string status;
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out += ',';
      status.clear();
      AppendJsonString(status, domain::InvoiceStatus(items[i], today));
      const JsonMember extra[] = {{"status", status}};
      AppendRecordJson(out, items[i], extra);
    }
    return Ok();
  };
  AddResourceRoutes(r, api, api.invoices, std::move(res));
}

}  // namespace relance::http
