// The dunning engine's actions over HTTP (R-DUN-4..6, R-SEND-8..10):
//
//   GET  /api/v1/actions, /api/v1/actions/{id}   every action (the outbox and
//                                                the to-do list), read-only
//   GET  /api/v1/todo                            what waits for a person
//   POST /api/v1/actions/{id}/done|ignore|reschedule|reassign|send
//   POST /api/v1/actions/ignore                  bulk ignore, all or nothing
//   POST /api/v1/invoices/mark-sent, /api/v1/invoices/{id}/mark-sent
//   POST /api/v1/dunning/plan                    dry run of the planner
//
// Actions are written only by the planner, the executor and the to-do
// list's verbs (dunning::TodoService), never by the generic record routes.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "domain/rules/invoice_status.h"
#include "http/crud.h"

namespace relance::http {
namespace {

using services::Access;
using Json = nlohmann::json;

constexpr size_t kMaxPlanActionsShown = 1000;

Reply ActionReply(const Result<domain::Action>& a) {
  if (!a.ok()) return ErrorReply(a.error());
  return RecordReply(200, RecordToJson(*a));
}

// A list of ids in member `field`: a non-empty array of strings.
Result<std::vector<std::string>> ReadIds(const Json& body, const std::string& field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) {
    return FieldInvalid(field, "is required: an array of ids");
  }
  if (!it->is_array())
    return FieldInvalid(field, "must be an array of ids, not " + JsonTypeName(*it));
  std::vector<std::string> ids;
  std::vector<FieldError> problems;
  for (size_t i = 0; i < it->size(); ++i) {
    if (auto v = ReadString((*it)[i], field + "[" + std::to_string(i) + "]", problems)) {
      ids.push_back(*v);
    }
  }
  if (!problems.empty()) return InvalidFields("request", std::move(problems));
  return ids;
}

// "due_at": an RFC 3339 instant, or a date meaning the organization's send
// hour that day in its time zone.
Result<Timestamp> ReadInstant(const Api& api, const services::Principal& who, const Json& body,
                              const std::string& field, bool required) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) {
    if (required) {
      return FieldInvalid(field,
                          "is required: an RFC 3339 instant (2026-03-12T14:30:00+01:00) "
                          "or a date (2026-03-12: the send hour that day)");
    }
    return api.ctx.clock.Now();
  }
  if (!it->is_string()) {
    return FieldInvalid(
        field, "must be an RFC 3339 instant or a date YYYY-MM-DD, not " + JsonTypeName(*it));
  }
  const std::string text = it->get<std::string>();
  if (text.size() == 10) {
    auto day = Date::Parse(text);
    if (!day.ok()) return FieldInvalid(field, "\"" + text + "\" is not a date that exists");
    ASSIGN_OR_RETURN(domain::Organization org, api.auth.GetOrganization(who.org_id));
    return LocalHourToInstant(org.time_zone, *day, static_cast<int>(org.send_hour));
  }
  auto t = ParseTimestamp(text);
  if (!t.ok()) {
    return FieldInvalid(field, "\"" + text +
                                   "\" is neither an RFC 3339 instant "
                                   "(2026-03-12T14:30:00Z) nor a date YYYY-MM-DD");
  }
  return *t;
}

// ---- the to-do list ----

Result<dunning::TodoFilter> ReadTodoFilter(const ApiRequest& req) {
  dunning::TodoFilter f;
  f.limit = kDefaultLimit;
  std::vector<FieldError> problems;
  std::set<std::string> seen;
  const auto& statuses = domain::ActionSpec().Find("status")->allowed;
  const auto& categories = domain::ActionSpec().Find("category")->allowed;
  auto one_of = [](const std::vector<std::string_view>& allowed, const std::string& v) {
    return std::find(allowed.begin(), allowed.end(), v) != allowed.end();
  };
  auto join = [](const std::vector<std::string_view>& allowed) {
    std::string out;
    for (auto a : allowed) out += (out.empty() ? "" : ", ") + std::string(a);
    return out;
  };
  for (const auto& [name, value] : req.http.params) {
    if (!seen.insert(name).second) {
      problems.push_back({name, "is given more than once"});
    } else if (name == "owner_id") {
      // "me": the caller's own list.
      f.owner_id = value == "me" ? req.who().user_id : value;
    } else if (name == "customer_id") {
      f.customer_id = value;
    } else if (name == "category") {
      if (!one_of(categories, value)) {
        problems.push_back(
            {name, "must be one of " + join(categories) + ", not \"" + value + "\""});
      } else {
        f.category = value;
      }
    } else if (name == "status") {
      size_t start = 0;
      while (start <= value.size()) {
        size_t end = value.find(',', start);
        if (end == std::string::npos) end = value.size();
        std::string s = value.substr(start, end - start);
        if (!one_of(statuses, s)) {
          problems.push_back(
              {name, "\"" + s + "\" is not a status; use a comma list of " + join(statuses)});
          break;
        }
        f.statuses.push_back(std::move(s));
        start = end + 1;
      }
    } else if (name == "limit") {
      auto n = ParseStrictInt(value);
      if (!n || *n < 1 || *n > kMaxLimit) {
        problems.push_back({name, "must be an integer from 1 to " + std::to_string(kMaxLimit)});
      } else {
        f.limit = static_cast<int>(*n);
      }
    } else if (name == "cursor") {
      if (value.empty()) {
        problems.push_back({name, "must not be empty"});
      } else {
        f.cursor = value;
      }
    } else {
      problems.push_back({name,
                          "is not a query parameter of the to-do list (owner_id, category, "
                          "status, customer_id, limit, cursor)"});
    }
  }
  if (!problems.empty()) {
    std::string msg = "invalid query parameter: " + problems[0].field + " " + problems[0].message;
    return InvalidArgument(std::move(msg), std::move(problems));
  }
  return f;
}

Reply TodoList(const Api& api, ApiRequest& req) {
  auto f = ReadTodoFilter(req);
  if (!f.ok()) return ErrorReply(f.error());
  auto page = api.todo.List(req.who(), *f);
  if (!page.ok()) return ErrorReply(page.error());
  return RecordsPageReply(*page);
}

// ---- verbs on one action ----

void AddVerb(Router& r, const Api& api, const std::string& verb, RouteDoc doc,
             std::function<Result<domain::Action>(const Api&, ApiRequest&, const Json&)> run) {
  doc.response_schema = "Action";
  doc.idempotency_key = true;
  r.Add({"POST", "/api/v1/actions/{id}/" + verb, Access::kWrite,
         [&api, run = std::move(run)](ApiRequest& req) -> Reply {
           auto body = OptionalBodyObject(req);
           if (!body.ok()) return ErrorReply(body.error());
           return ActionReply(run(api, req, *body));
         },
         std::move(doc)});
}

void AddVerbRoutes(Router& r, const Api& api) {
  RouteDoc done{"Actions", "Mark an action done",
                "R-DUN-6: a manual action (call, task, letter to post...) was done; or a "
                "failed or uncertain send was handled by hand. Closing an invoicing action counts "
                "its invoice as sent (R-SEND-9). 422 when the action is already closed.",
                "doneAction"};
  done.request_schema = "ActionDone";
  AddVerb(r, api, "done", std::move(done),
          [](const Api& api, ApiRequest& req, const Json& body) -> Result<domain::Action> {
            RETURN_IF_ERROR(OnlyMembers(body, {"note"}, "a done request"));
            std::optional<std::string> note;
            if (auto it = body.find("note"); it != body.end() && !it->is_null()) {
              std::vector<FieldError> problems;
              note = ReadString(*it, "note", problems);
              if (!problems.empty()) return InvalidFields("done request", std::move(problems));
            }
            return api.todo.Done(req.who(), req.PathParam("id"), note);
          });

  RouteDoc ignore{"Actions", "Ignore an action",
                  "R-DUN-6: the action will not be done. Ignoring an invoicing action counts its "
                  "invoice as sent, with no message to the customer (R-SEND-9, R-SEND-10).",
                  "ignoreAction"};
  ignore.request_schema = "Empty";
  AddVerb(r, api, "ignore", std::move(ignore),
          [](const Api& api, ApiRequest& req, const Json& body) -> Result<domain::Action> {
            RETURN_IF_ERROR(OnlyMembers(body, {}, "an ignore request"));
            return api.todo.Ignore(req.who(), req.PathParam("id"));
          });

  RouteDoc reschedule{"Actions", "Reschedule an action",
                      "R-DUN-6: a new date for a manual action, or a new send time for a waiting "
                      "one. due_at is an RFC 3339 instant, or a date YYYY-MM-DD meaning the "
                      "organization's send hour that day in its time zone.",
                      "rescheduleAction"};
  reschedule.request_schema = "ActionReschedule";
  AddVerb(r, api, "reschedule", std::move(reschedule),
          [](const Api& api, ApiRequest& req, const Json& body) -> Result<domain::Action> {
            RETURN_IF_ERROR(OnlyMembers(body, {"due_at"}, "a reschedule request"));
            ASSIGN_OR_RETURN(Timestamp at, ReadInstant(api, req.who(), body, "due_at", true));
            return api.todo.Reschedule(req.who(), req.PathParam("id"), at);
          });

  RouteDoc reassign{"Actions", "Give an action to another user",
                    "The action moves to that user's to-do list (R-DUN-6).", "reassignAction"};
  reassign.request_schema = "ActionReassign";
  AddVerb(r, api, "reassign", std::move(reassign),
          [](const Api& api, ApiRequest& req, const Json& body) -> Result<domain::Action> {
            RETURN_IF_ERROR(OnlyMembers(body, {"owner_id"}, "a reassign request"));
            std::vector<FieldError> problems;
            std::optional<std::string> owner;
            if (auto it = body.find("owner_id"); it == body.end() || it->is_null()) {
              problems.push_back({"owner_id", "is required: the user (usr_...) to give it to"});
            } else {
              owner = ReadString(*it, "owner_id", problems);
            }
            if (!problems.empty()) return InvalidFields("reassign request", std::move(problems));
            return api.todo.Reassign(req.who(), req.PathParam("id"), *owner);
          });

  RouteDoc send{"Actions", "Send an action now",
                "A manual e-mail, SMS or letter goes to the outbox at once; a failed or uncertain "
                "one is sent again, by the user's choice. Calls and tasks answer 422.",
                "sendAction"};
  send.request_schema = "Empty";
  AddVerb(r, api, "send", std::move(send),
          [](const Api& api, ApiRequest& req, const Json& body) -> Result<domain::Action> {
            RETURN_IF_ERROR(OnlyMembers(body, {}, "a send request"));
            return api.todo.SendNow(req.who(), req.PathParam("id"));
          });
}

// ---- invoices: mark as sent (R-SEND-10) ----

Result<OrderedJson> InvoiceJson(const Api& api, const services::Principal& who,
                                const domain::Invoice& inv) {
  ASSIGN_OR_RETURN(domain::Organization org, api.auth.GetOrganization(who.org_id));
  ASSIGN_OR_RETURN(Date today, TodayIn(org.time_zone, api.ctx.clock.Now()));
  OrderedJson j = RecordToJson(inv);
  InsertBefore(j, "version", "status", std::string(domain::InvoiceStatus(inv, today)));
  return j;
}

void AddMarkSentRoutes(Router& r, const Api& api) {
  RouteDoc bulk{"Invoices", "Mark invoices as sent",
                "R-SEND-10: TO_SEND invoices become NOT_DUE, OVERDUE or PAID with no message to "
                "the customer; their pending invoicing actions are closed. All or nothing: an "
                "unknown invoice or one not waiting to be sent answers 422 naming it, and "
                "nothing changes.",
                "markInvoicesSent"};
  bulk.request_schema = "InvoiceIds";
  bulk.response_schema = "MarkSentResult";
  bulk.idempotency_key = true;
  r.Add({"POST", "/api/v1/invoices/mark-sent", Access::kWrite,
         [&api](ApiRequest& req) -> Reply {
           auto body = BodyObject(req);
           if (!body.ok()) return ErrorReply(body.error());
           if (auto only = OnlyMembers(*body, {"invoice_ids"}, "a mark-sent request"); !only.ok()) {
             return ErrorReply(only.error());
           }
           auto ids = ReadIds(*body, "invoice_ids");
           if (!ids.ok()) return ErrorReply(ids.error());
           auto n = api.todo.MarkInvoicesSent(req.who(), *ids);
           if (!n.ok()) return ErrorReply(n.error());
           return JsonReply(200, OrderedJson{{"marked_sent", *n}});
         },
         std::move(bulk)});

  RouteDoc one{"Invoices", "Mark an invoice as sent",
               "R-SEND-10: from the invoice; answers the invoice with its new status. 422 when "
               "the invoice is not waiting to be sent.",
               "markInvoiceSent"};
  one.request_schema = "Empty";
  one.response_schema = "Invoice";
  one.idempotency_key = true;
  r.Add({"POST", "/api/v1/invoices/{id}/mark-sent", Access::kWrite,
         [&api](ApiRequest& req) -> Reply {
           auto body = OptionalBodyObject(req);
           if (!body.ok()) return ErrorReply(body.error());
           if (auto only = OnlyMembers(*body, {}, "a mark-sent request"); !only.ok()) {
             return ErrorReply(only.error());
           }
           const std::string& id = req.PathParam("id");
           // 404 for an unknown invoice (or another organization's), before
           // the service's "not waiting to be sent" (422).
           auto found = api.invoices.Get(req.who(), id);
           if (!found.ok()) return ErrorReply(found.error());
           if (!found->to_send) {
             return ErrorReply(Error(ErrorCode::kFailedPrecondition,
                                     "invoice " + found->number + " is not waiting to be sent",
                                     {{"to_send", "is false"}}));
           }
           auto n = api.todo.MarkInvoicesSent(req.who(), {id});
           if (!n.ok()) return ErrorReply(n.error());
           auto after = api.invoices.Get(req.who(), id);
           if (!after.ok()) return ErrorReply(after.error());
           auto j = InvoiceJson(api, req.who(), *after);
           if (!j.ok()) return ErrorReply(j.error());
           return RecordReply(200, *j);
         },
         std::move(one)});
}

// ---- the planner's dry run ----

OrderedJson PlannedJson(const domain::Action& a) {
  OrderedJson ids = OrderedJson::array();
  size_t start = 0;
  while (start < a.invoice_ids.size()) {
    size_t end = a.invoice_ids.find(',', start);
    if (end == std::string::npos) end = a.invoice_ids.size();
    if (end > start) ids.push_back(a.invoice_ids.substr(start, end - start));
    start = end + 1;
  }
  OrderedJson j = OrderedJson::object();
  j["customer_id"] = a.customer_id;
  j["invoice_id"] = a.invoice_id;
  j["invoice_ids"] = std::move(ids);
  j["plan_id"] = a.plan_id;
  j["step_id"] = a.step_id;
  j["kind"] = a.kind;
  j["category"] = a.category;
  j["channel"] = a.channel;
  j["mode"] = a.mode;
  j["status"] = a.status;
  j["due_at"] = a.due_at;
  j["owner_id"] = a.owner_id ? OrderedJson(*a.owner_id) : OrderedJson(nullptr);
  j["dedupe_key"] = a.dedupe_key;
  return j;
}

void AddPlanRoute(Router& r, const Api& api) {
  RouteDoc plan{"Actions", "Dry run of the dunning planner",
                "What the planner would decide at `at` (default: now) for the organization: "
                "each reminder, invoicing action, call or task that would be created, with its "
                "due time (R-DUN-4, R-SEND-6). Writes nothing. Actions already decided are not "
                "listed again. At most " +
                    std::to_string(kMaxPlanActionsShown) +
                    " actions are listed (truncated says when more were decided).",
                "planDunning"};
  plan.request_schema = "DunningPlanRequest";
  plan.response_schema = "DunningPlanReport";
  r.Add({"POST", "/api/v1/dunning/plan", Access::kRead,
         [&api](ApiRequest& req) -> Reply {
           auto body = OptionalBodyObject(req);
           if (!body.ok()) return ErrorReply(body.error());
           if (auto only = OnlyMembers(*body, {"at"}, "a planning request"); !only.ok()) {
             return ErrorReply(only.error());
           }
           auto at = ReadInstant(api, req.who(), *body, "at", false);
           if (!at.ok()) return ErrorReply(at.error());
           dunning::PlanningOptions options;
           options.dry_run = true;
           options.keep_actions = true;
           auto report = api.planning.Plan(req.who().org_id, *at, options);
           if (!report.ok()) return ErrorReply(report.error());
           OrderedJson actions = OrderedJson::array();
           for (const auto& a : report->actions) {
             if (actions.size() >= kMaxPlanActionsShown) break;
             actions.push_back(PlannedJson(a));
           }
           OrderedJson out = OrderedJson::object();
           out["at"] = FormatTimestamp(*at);
           out["customers"] = report->customers;
           out["invoices"] = report->invoices;
           out["decided"] = report->decided;
           out["truncated"] = report->actions.size() > kMaxPlanActionsShown;
           out["actions"] = std::move(actions);
           return JsonReply(200, out);
         },
         std::move(plan)});
}

}  // namespace

void AddActionRoutes(Router& r, const Api& api) {
  Resource<domain::Action> res;
  res.base = "/api/v1/actions";
  res.schema = "Action";
  res.tag = "Actions";
  res.singular = "action";
  res.create = false;
  res.update = false;
  res.remove = false;
  AddResourceRoutes(r, api, api.actions, std::move(res));

  RouteDoc todo{"Actions", "The to-do list",
                "R-DUN-6, R-SEND-8: the actions that wait for a person (manual reminders and "
                "invoicing actions, calls, tasks, failed and uncertain sends), by due time. "
                "Filter by owner_id (a user id, or me), category (the tabs: REMINDER, INVOICING, "
                "CALL, TASK), status (a comma list; default TODO,FAILED,UNCERTAIN) and "
                "customer_id.",
                "listTodo"};
  todo.response = Body::kList;
  todo.response_schema = "Action";
  todo.query = {
      {"owner_id", "string", "Only this user's actions (usr_...), or me"},
      {"category", "string", "REMINDER, INVOICING, CALL or TASK"},
      {"status", "string", "Comma-separated statuses (default TODO,FAILED,UNCERTAIN)"},
      {"customer_id", "string", "Only this customer's actions"},
      {"limit", "integer", "Page size, 1 to 1000 (default 50)"},
      {"cursor", "string", "The next_cursor of the previous page"},
  };
  todo.query[1].enum_values = {"REMINDER", "INVOICING", "CALL", "TASK"};
  r.Add({"GET", "/api/v1/todo", Access::kRead,
         [&api](ApiRequest& req) { return TodoList(api, req); }, std::move(todo)});

  RouteDoc bulk{"Actions", "Ignore several actions",
                "R-SEND-10, R-DUN-6: from the list of all actions. All or nothing: an unknown id "
                "or an action that cannot be ignored answers 422 naming it (ids[2]), and nothing "
                "changes. Ignored invoicing actions count their invoices as sent.",
                "ignoreActions"};
  bulk.request_schema = "ActionIds";
  bulk.response_schema = "BulkIgnoreResult";
  bulk.idempotency_key = true;
  r.Add({"POST", "/api/v1/actions/ignore", Access::kWrite,
         [&api](ApiRequest& req) -> Reply {
           auto body = BodyObject(req);
           if (!body.ok()) return ErrorReply(body.error());
           if (auto only = OnlyMembers(*body, {"ids"}, "a bulk ignore request"); !only.ok()) {
             return ErrorReply(only.error());
           }
           auto ids = ReadIds(*body, "ids");
           if (!ids.ok()) return ErrorReply(ids.error());
           auto n = api.todo.BulkIgnore(req.who(), *ids);
           if (!n.ok()) return ErrorReply(n.error());
           return JsonReply(200, OrderedJson{{"ignored", *n}});
         },
         std::move(bulk)});

  AddVerbRoutes(r, api);
  AddMarkSentRoutes(r, api);
  AddPlanRoute(r, api);
}

}  // namespace relance::http
