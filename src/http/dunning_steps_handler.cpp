// /api/v1/dunning-steps (R-DUN-1, R-DUN-3, R-SEND-3..5): the steps of the
// dunning plans, through the generic record routes (filters plan_id, kind,
// channel, owner_id from the spec), with their templates checked by the
// renderer on create and update; a preview of a step's message rendered for
// a real customer of the organization; and the list of placeholders a
// template may use.
#include <nlohmann/json.hpp>

#include "delivery/template_renderer.h"
#include "dunning/message_builder.h"
#include "http/crud.h"

namespace relance::http {
namespace {

using services::Access;
using Json = nlohmann::json;

std::vector<std::string> SplitPositions(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    if (end > start) out.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The template a step will be rendered with, after the body's changes, is
// checked before anything is written: a typo in a placeholder is found when
// the user saves the step, not on the morning the reminders go out.
Result<void> CheckStepTemplates(const Api& api, const ApiRequest& req, const Json& body,
                                const std::string* id) {
  if (!body.contains("subject") && !body.contains("body")) return Ok();
  domain::DunningStep step;
  if (id != nullptr) {
    ASSIGN_OR_RETURN(step, api.dunning_steps.Get(req.who(), *id));
  }
  // The decoder has checked the types already: strings, or null to unset.
  auto text = [&](const char* name, std::string& out) {
    if (auto it = body.find(name); it != body.end() && it->is_string())
      out = it->get<std::string>();
  };
  auto optional_text = [&](const char* name, std::optional<std::string>& out) {
    auto it = body.find(name);
    if (it == body.end()) return;
    if (it->is_null()) {
      out.reset();
    } else if (it->is_string()) {
      out = it->get<std::string>();
    }
  };
  text("kind", step.kind);
  text("channel", step.channel);
  text("template_key", step.template_key);
  optional_text("subject", step.subject);
  optional_text("body", step.body);
  if (!step.subject && !step.body) return Ok();
  ASSIGN_OR_RETURN(domain::Organization org, api.auth.GetOrganization(req.who().org_id));
  ASSIGN_OR_RETURN(delivery::MessageTemplate t, dunning::StepTemplate(step, org.language));
  return delivery::ValidateTemplate(t, step.channel == "EMAIL");
}

struct PreviewRequest {
  std::string customer_id;
  std::optional<std::string> invoice_id;
};

Result<PreviewRequest> ReadPreviewRequest(const Json& body) {
  RETURN_IF_ERROR(OnlyMembers(body, {"customer_id", "invoice_id"}, "a preview request"));
  PreviewRequest r;
  std::vector<FieldError> problems;
  if (auto it = body.find("customer_id"); it == body.end() || it->is_null()) {
    problems.push_back({"customer_id", "is required: the customer to render the message for"});
  } else if (auto v = ReadString(*it, "customer_id", problems)) {
    r.customer_id = *v;
  }
  if (auto it = body.find("invoice_id"); it != body.end() && !it->is_null()) {
    r.invoice_id = ReadString(*it, "invoice_id", problems);
  }
  if (!problems.empty()) return InvalidFields("preview request", std::move(problems));
  return r;
}

// The contact the message would go to: the first one in a position the step
// writes to, else the main contact.
Result<std::string> PreviewContactEmail(const Api& api, const services::Principal& who,
                                        const domain::DunningStep& step,
                                        const std::string& customer_id) {
  store::ListQuery q;
  q.conditions = {{"customer_id", store::Condition::Op::kEq, customer_id}};
  q.limit = 1000;
  ASSIGN_OR_RETURN(auto page, api.contacts.List(who, q));
  const auto wanted = SplitPositions(step.to_positions);
  for (const auto& c : page.items) {
    if (wanted.empty()
            ? c.is_main
            : c.position && std::find(wanted.begin(), wanted.end(), *c.position) != wanted.end()) {
      return c.email;
    }
  }
  return std::string();
}

Result<OrderedJson> Preview(const Api& api, const ApiRequest& req) {
  ASSIGN_OR_RETURN(Json body, BodyObject(req));
  ASSIGN_OR_RETURN(PreviewRequest pr, ReadPreviewRequest(body));
  const services::Principal& who = req.who();
  ASSIGN_OR_RETURN(domain::DunningStep step, api.dunning_steps.Get(who, req.PathParam("id")));
  // Another organization's customer or invoice is not found (R-CORE-1).
  ASSIGN_OR_RETURN(domain::Customer customer, api.customers.Get(who, pr.customer_id));
  if (pr.invoice_id) {
    ASSIGN_OR_RETURN(domain::Invoice invoice, api.invoices.Get(who, *pr.invoice_id));
    if (invoice.customer_id != customer.meta.id) {
      return FieldInvalid("invoice_id", "invoice " + invoice.number +
                                            " belongs to another "
                                            "customer than " +
                                            customer.name);
    }
  }
  ASSIGN_OR_RETURN(domain::Organization org, api.auth.GetOrganization(who.org_id));
  ASSIGN_OR_RETURN(Date today, TodayIn(org.time_zone, api.ctx.clock.Now()));
  ASSIGN_OR_RETURN(std::string email, PreviewContactEmail(api, who, step, customer.meta.id));
  delivery::TemplateContext ctx;
  {
    ASSIGN_OR_RETURN(auto conn, api.ctx.db.Acquire());
    ASSIGN_OR_RETURN(ctx, dunning::BuildTemplateContext(*conn, org, customer.meta.id, pr.invoice_id,
                                                        email, today));
  }
  // Without an invoice named, the message is shown as a customer-level
  // reminder would carry it: the oldest open invoice.
  if (!ctx.carrying_invoice) {
    if (!ctx.overdue_invoices.empty()) {
      ctx.carrying_invoice = ctx.overdue_invoices.front();
    } else if (!ctx.due_invoices.empty()) {
      ctx.carrying_invoice = ctx.due_invoices.front();
    }
    if (ctx.carrying_invoice) ctx.days_overdue = ctx.carrying_invoice->days_overdue;
  }
  ASSIGN_OR_RETURN(delivery::MessageTemplate t, dunning::StepTemplate(step, org.language));
  ASSIGN_OR_RETURN(delivery::RenderedMessage m,
                   delivery::RenderTemplate(t, ctx, step.channel == "EMAIL"));
  OrderedJson out = OrderedJson::object();
  out["channel"] = step.channel;
  out["contact_email"] = email.empty() ? OrderedJson(nullptr) : OrderedJson(email);
  out["subject"] = m.subject;
  out["text"] = m.text;
  out["html"] = m.html;
  return out;
}

}  // namespace

void AddDunningStepRoutes(Router& r, const Api& api) {
  Resource<domain::DunningStep> res;
  res.base = "/api/v1/dunning-steps";
  res.schema = "DunningStep";
  res.tag = "Dunning plans";
  res.singular = "dunning step";
  res.check_body = [&api](const ApiRequest& req, const Json& body, const std::string* id) {
    return CheckStepTemplates(api, req, body, id);
  };
  AddResourceRoutes(r, api, api.dunning_steps, std::move(res));

  RouteDoc preview{"Dunning plans", "Preview a step's message for a customer",
                   "R-DUN-3: renders the step's template (or the default one it names) with the "
                   "data of a real customer of the organization: its contact in the step's "
                   "positions, its open invoices, amounts and due dates. With invoice_id, that "
                   "invoice is the one the message is about; otherwise the oldest open one. A "
                   "template error answers 422 with the renderer's message.",
                   "previewDunningStep"};
  preview.request_schema = "DunningStepPreviewRequest";
  preview.response_schema = "DunningStepPreview";
  r.Add({"POST", "/api/v1/dunning-steps/{id}/preview", Access::kRead,
         [&api](ApiRequest& req) -> Reply {
           auto out = Preview(api, req);
           if (!out.ok()) return ErrorReply(out.error());
           return JsonReply(200, *out);
         },
         std::move(preview)});

  RouteDoc placeholders{"Dunning plans", "List the placeholders of message templates",
                        "Each {{name}} a subject or body may use, with what it becomes. Names "
                        "under overdue_invoices and due_invoices are written inside their "
                        "section: {{#overdue_invoices}}{{number}}{{/overdue_invoices}}.",
                        "listTemplatePlaceholders"};
  placeholders.response_schema = "TemplatePlaceholders";
  r.Add(
      {"GET", "/api/v1/dunning/placeholders", Access::kRead,
       [](ApiRequest&) -> Reply {
         OrderedJson data = OrderedJson::array();
         for (const auto& [name, description] : delivery::TemplatePlaceholders()) {
           data.push_back({{"name", std::string(name)}, {"description", std::string(description)}});
         }
         return JsonReply(200, OrderedJson{{"data", std::move(data)}});
       },
       std::move(placeholders)});
}

}  // namespace relance::http
