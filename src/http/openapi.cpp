#include "http/openapi.h"

#include <set>

#include "core/ids.h"
#include "domain/entity_spec.h"
#include "http/auth_middleware.h"
#include "http/idempotency.h"

namespace relance::http {
namespace {

using domain::FieldType;
using J = nlohmann::ordered_json;

J Ref(const std::string& schema) { return J{{"$ref", "#/components/schemas/" + schema}}; }

std::string IdPattern(std::string_view prefix) {
  return "^" + std::string(prefix) + "_[0-9A-HJKMNP-TV-Z]{26}$";
}

template <typename T>
J FieldSchema(const domain::FieldSpec<T>& f) {
  J s = J::object();
  std::string description(f.description);
  auto add = [&](const std::string& more) {
    if (!description.empty() && description.back() != '.') description += ".";
    if (!description.empty()) description += " ";
    description += more;
  };
  switch (f.type) {
    case FieldType::kText:
      s["type"] = "string";
      if (!f.allowed.empty()) {
        J e = J::array();
        for (auto a : f.allowed) e.push_back(std::string(a));
        s["enum"] = std::move(e);
      }
      if (!f.ref_prefix.empty()) {
        s["pattern"] = IdPattern(f.ref_prefix);
        add("Id of a record of the organization (" + std::string(f.ref_prefix) + "_...).");
      }
      break;
    case FieldType::kInt:
      s["type"] = "integer";
      s["format"] = "int64";
      break;
    case FieldType::kMoney:
      s["type"] = "integer";
      s["format"] = "int64";
      s["minimum"] = 0;
      s["maximum"] = 1'000'000'000'000'000LL;
      add("Integer amount in minor units of the currency (1250 = 12.50 EUR).");
      break;
    case FieldType::kBool:
      s["type"] = "boolean";
      break;
    case FieldType::kDate:
      s["type"] = "string";
      s["format"] = "date";
      break;
    case FieldType::kMap:
      s["type"] = "object";
      s["additionalProperties"] = J{{"type", "string"}};
      break;
  }
  if (f.nullable()) s["nullable"] = true;
  if (f.Has(domain::kOutputOnly)) {
    s["readOnly"] = true;
  } else if (f.Has(domain::kCreateOnly)) {
    add("Set on creation; cannot be changed afterwards.");
  }
  if (!description.empty()) s["description"] = description;
  return s;
}

J MetaProperty(const std::string& type, const std::string& description,
               const std::string& format = "") {
  J s = {{"type", type}, {"readOnly", true}, {"description", description}};
  if (!format.empty()) s["format"] = format;
  return s;
}

J ExternalRefsSchema() {
  return {{"type", "array"},
          {"readOnly", true},
          {"description",
           "Where the record comes from in connected systems (single-record responses only). "
           "Fields listed in owned_fields are read-only here: changing them answers 409."},
          {"items",
           {{"type", "object"},
            {"properties",
             {{"connector", {{"type", "string"}}},
              {"external_id", {{"type", "string"}}},
              {"owned_fields", {{"type", "array"}, {"items", {{"type", "string"}}}}},
              {"last_synced_at",
               {{"type", "string"}, {"format", "date-time"}, {"nullable", true}}}}}}}};
}

// The record as the API returns it; `extra` are computed members.
template <typename T>
J OutputSchema(const domain::EntitySpec<T>& spec,
               const std::vector<std::pair<std::string, J>>& extra) {
  J props = J::object();
  J required = J::array({"id"});
  props["id"] = {
      {"type", "string"},
      {"readOnly", true},
      {"pattern", IdPattern(spec.id_prefix)},
      {"description", "Sortable id with a type prefix (" + std::string(spec.id_prefix) + "_...)"}};
  for (const auto& f : spec.fields) {
    if (f.Has(domain::kSecret)) continue;
    props[std::string(f.name)] = FieldSchema(f);
    required.push_back(std::string(f.name));
  }
  for (const auto& [name, schema] : extra) props[name] = schema;
  props["version"] = MetaProperty("integer",
                                  "Increases on every change; send it back as If-Match to update "
                                  "only what you read",
                                  "int64");
  props["created_at"] = MetaProperty("string", "Creation instant (UTC)", "date-time");
  props["updated_at"] = MetaProperty("string", "Last change (UTC)", "date-time");
  for (auto m : {"version", "created_at", "updated_at"}) required.push_back(m);
  return {{"type", "object"},
          {"description", "A " + std::string(spec.entity) + " of the organization."},
          {"required", std::move(required)},
          {"properties", std::move(props)}};
}

// The members a client may send; unknown members are refused (422).
template <typename T>
J InputSchema(const domain::EntitySpec<T>& spec, bool create,
              const std::vector<std::pair<std::string, J>>& extra = {}) {
  J props = J::object();
  J required = J::array();
  for (const auto& f : spec.fields) {
    if (f.Has(domain::kSecret) || f.Has(domain::kOutputOnly)) continue;
    if (!create && f.Has(domain::kCreateOnly)) continue;
    J s = FieldSchema(f);
    props[std::string(f.name)] = std::move(s);
    if (create && f.Has(domain::kRequired)) required.push_back(std::string(f.name));
  }
  for (const auto& [name, schema] : extra) {
    props[name] = schema;
  }
  if (!create) {
    props["version"] = {{"type", "integer"},
                        {"format", "int64"},
                        {"description",
                         "Apply only if the record is still at this version "
                         "(same as If-Match); 409 otherwise"}};
  }
  J s = {{"type", "object"}, {"additionalProperties", false}, {"properties", std::move(props)}};
  if (!required.empty()) s["required"] = std::move(required);
  s["description"] = create ? "A new " + std::string(spec.entity) + "."
                            : "The members to change; the others keep their values.";
  return s;
}

J Schemas() {
  J s = J::object();
  s["Error"] = {
      {"type", "object"},
      {"required", {"error"}},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"required", {"code", "message", "details"}},
          {"properties",
           {{"code",
             {{"type", "string"},
              {"description",
               "Stable, snake_case: invalid_argument, malformed_request, not_found, "
               "already_exists, conflict, failed_precondition, unauthenticated, "
               "permission_denied, resource_exhausted, unavailable, internal, route_not_found, "
               "method_not_allowed, payload_too_large, unsupported_media_type, "
               "idempotency_key_reused, idempotency_key_in_use, docs_unavailable"}}},
            {"message", {{"type", "string"}}},
            {"details",
             {{"type", "array"},
              {"description", "One item per input field that is wrong"},
              {"items",
               {{"type", "object"},
                {"required", {"field", "message"}},
                {"properties",
                 {{"field", {{"type", "string"}, {"example", "allocations[0].amount"}}},
                  {"message", {{"type", "string"}}}}}}}}}}}}}}}};

  s["Organization"] = OutputSchema(domain::OrganizationSpec(), {});
  s["OrganizationUpdate"] = InputSchema(domain::OrganizationSpec(), false);
  s["User"] = OutputSchema(domain::UserSpec(), {});
  s["UserCreate"] =
      InputSchema(domain::UserSpec(), true,
                  {{"password",
                    {{"type", "string"},
                     {"minLength", 10},
                     {"writeOnly", true},
                     {"description", "At least 10 characters; stored as an argon2id hash"}}}});
  s["UserCreate"]["required"].push_back("password");
  s["UserUpdate"] = InputSchema(domain::UserSpec(), false);

  s["Customer"] = OutputSchema(domain::CustomerSpec(), {{"external_refs", ExternalRefsSchema()}});
  s["CustomerCreate"] = InputSchema(domain::CustomerSpec(), true);
  s["CustomerUpdate"] = InputSchema(domain::CustomerSpec(), false);
  s["Contact"] = OutputSchema(domain::ContactSpec(), {});
  s["Contact"]["description"] =
      "A contact of a customer. A customer has at most one main contact: setting is_main on one "
      "clears it on the others (R-CORE-4).";
  s["ContactCreate"] = InputSchema(domain::ContactSpec(), true);
  s["ContactUpdate"] = InputSchema(domain::ContactSpec(), false);

  J status = {{"type", "string"},
              {"readOnly", true},
              {"enum", {"TO_SEND", "NOT_DUE", "OVERDUE", "PAID", "VOID"}},
              {"description", "Computed for today in the organization's time zone (R-CORE-7)"}};
  s["Invoice"] = OutputSchema(domain::InvoiceSpec(),
                              {{"status", status}, {"external_refs", ExternalRefsSchema()}});
  s["Invoice"]["required"].push_back("status");
  s["Invoice"]["description"] =
      "An invoice, or a credit note when kind is CREDIT_NOTE (id crn_...).";
  s["InvoiceCreate"] = InputSchema(domain::InvoiceSpec(), true);
  s["InvoiceUpdate"] = InputSchema(domain::InvoiceSpec(), false);

  s["Allocation"] = OutputSchema(domain::AllocationSpec(), {});
  s["AllocationCreate"] = InputSchema(domain::AllocationSpec(), true);
  s["AllocationRequest"] = {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"invoice_id", "amount"}},
      {"properties",
       {{"invoice_id", {{"type", "string"}, {"pattern", IdPattern(kInvoicePrefix)}}},
        {"amount",
         {{"type", "integer"},
          {"format", "int64"},
          {"minimum", 1},
          {"description", "Minor units; at most what the invoice still owes"}}}}}};
  s["Payment"] = OutputSchema(domain::PaymentSpec(), {});
  s["PaymentWithAllocations"] = OutputSchema(
      domain::PaymentSpec(),
      {{"allocations", {{"type", "array"}, {"readOnly", true}, {"items", Ref("Allocation")}}}});
  s["PaymentCreate"] = InputSchema(
      domain::PaymentSpec(), true,
      {{"allocations",
        {{"type", "array"},
         {"items", Ref("AllocationRequest")},
         {"description", "Invoices this payment pays, created with it in one transaction"}}}});
  s["PaymentUpdate"] = InputSchema(domain::PaymentSpec(), false);
  s["Product"] = OutputSchema(domain::ProductSpec(), {});
  s["ProductCreate"] = InputSchema(domain::ProductSpec(), true);
  s["ProductUpdate"] = InputSchema(domain::ProductSpec(), false);
  s["DunningPlan"] = OutputSchema(domain::DunningPlanSpec(), {});
  s["DunningPlanCreate"] = InputSchema(domain::DunningPlanSpec(), true);
  s["DunningPlanUpdate"] = InputSchema(domain::DunningPlanSpec(), false);
  s["DunningStep"] = OutputSchema(domain::DunningStepSpec(), {});
  s["DunningStep"]["description"] =
      "One step of a dunning plan (R-DUN-1): a reminder at an offset from the due date, or an "
      "invoicing step a delay after the issue date (customer-level plans only, R-SEND-4). "
      "Subject and body are mustache templates, checked on every create and update (422 naming "
      "subject or body); GET /api/v1/dunning/placeholders lists what they may use.";
  s["DunningStepCreate"] = InputSchema(domain::DunningStepSpec(), true);
  s["DunningStepUpdate"] = InputSchema(domain::DunningStepSpec(), false);
  s["DunningStepPreviewRequest"] = {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"customer_id"}},
      {"properties",
       {{"customer_id", {{"type", "string"}, {"pattern", IdPattern(kCustomerPrefix)}}},
        {"invoice_id",
         {{"type", "string"},
          {"nullable", true},
          {"pattern", IdPattern(kInvoicePrefix)},
          {"description", "The invoice the message is about (default: the oldest open one)"}}}}}};
  s["DunningStepPreview"] = {
      {"type", "object"},
      {"required", {"channel", "subject", "text", "html"}},
      {"properties",
       {{"channel", {{"type", "string"}}},
        {"contact_email",
         {{"type", "string"},
          {"nullable", true},
          {"description", "The contact the message would go to; null when there is none"}}},
        {"subject", {{"type", "string"}}},
        {"text", {{"type", "string"}, {"description", "The plain-text message"}}},
        {"html",
         {{"type", "string"}, {"description", "E-mails: the HTML body; otherwise empty"}}}}}};
  s["TemplatePlaceholders"] = {{"type", "object"},
                               {"required", {"data"}},
                               {"properties",
                                {{"data",
                                  {{"type", "array"},
                                   {"items",
                                    {{"type", "object"},
                                     {"required", {"name", "description"}},
                                     {"properties",
                                      {{"name", {{"type", "string"}, {"example", "customer.name"}}},
                                       {"description", {{"type", "string"}}}}}}}}}}}};
  s["Action"] = OutputSchema(domain::ActionSpec(), {});
  s["Action"]["description"] =
      "A reminder or invoice to send, a call or a task, decided once by the dunning planner "
      "(dedupe_key is unique). Automatic actions are sent by the outbox (SCHEDULED, SENDING, "
      "COMMITTING, SENT); manual ones, failures and uncertain sends wait in the to-do list "
      "(TODO, FAILED, UNCERTAIN) until done, ignored or rescheduled. Read-only: change one "
      "with its verbs.";
  s["Empty"] = {{"type", "object"},
                {"additionalProperties", false},
                {"description", "No members; the body may be omitted"}};
  s["ActionDone"] = {{"type", "object"},
                     {"additionalProperties", false},
                     {"properties",
                      {{"note",
                        {{"type", "string"},
                         {"nullable", true},
                         {"description", "What was done (\"called, pays Friday\")"}}}}}};
  s["ActionReschedule"] = {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"due_at"}},
      {"properties",
       {{"due_at",
         {{"type", "string"},
          {"description",
           "An RFC 3339 instant, or a date YYYY-MM-DD: the organization's send hour that day"}}}}}};
  s["ActionReassign"] = {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"owner_id"}},
      {"properties", {{"owner_id", {{"type", "string"}, {"pattern", IdPattern(kUserPrefix)}}}}}};
  s["ActionIds"] = {{"type", "object"},
                    {"additionalProperties", false},
                    {"required", {"ids"}},
                    {"properties",
                     {{"ids",
                       {{"type", "array"},
                        {"minItems", 1},
                        {"maxItems", 1000},
                        {"items", {{"type", "string"}, {"pattern", IdPattern(kActionPrefix)}}}}}}}};
  s["BulkIgnoreResult"] = {{"type", "object"},
                           {"required", {"ignored"}},
                           {"properties", {{"ignored", {{"type", "integer"}}}}}};
  s["InvoiceIds"] = {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"invoice_ids"}},
      {"properties",
       {{"invoice_ids",
         {{"type", "array"},
          {"minItems", 1},
          {"maxItems", 1000},
          {"items", {{"type", "string"}, {"pattern", IdPattern(kInvoicePrefix)}}}}}}}};
  s["MarkSentResult"] = {{"type", "object"},
                         {"required", {"marked_sent"}},
                         {"properties", {{"marked_sent", {{"type", "integer"}}}}}};
  s["DunningPlanRequest"] = {
      {"type", "object"},
      {"additionalProperties", false},
      {"properties",
       {{"at",
         {{"type", "string"},
          {"description",
           "An RFC 3339 instant to plan for (default: now); a date YYYY-MM-DD means the "
           "send hour that day"}}}}}};
  J planned = {
      {"type", "object"},
      {"properties",
       {{"customer_id", {{"type", "string"}}},
        {"invoice_id", {{"type", "string"}}},
        {"invoice_ids", {{"type", "array"}, {"items", {{"type", "string"}}}}},
        {"plan_id", {{"type", "string"}}},
        {"step_id", {{"type", "string"}}},
        {"kind", {{"type", "string"}, {"enum", {"REMINDER", "INVOICING"}}}},
        {"category", {{"type", "string"}, {"enum", {"REMINDER", "INVOICING", "CALL", "TASK"}}}},
        {"channel", {{"type", "string"}}},
        {"mode", {{"type", "string"}, {"enum", {"AUTOMATIC", "MANUAL"}}}},
        {"status", {{"type", "string"}}},
        {"due_at", {{"type", "string"}, {"format", "date-time"}}},
        {"owner_id", {{"type", "string"}, {"nullable", true}}},
        {"dedupe_key", {{"type", "string"}}}}}};
  s["DunningPlanReport"] = {
      {"type", "object"},
      {"required", {"at", "customers", "invoices", "decided", "truncated", "actions"}},
      {"properties",
       {{"at", {{"type", "string"}, {"format", "date-time"}}},
        {"customers", {{"type", "integer"}, {"description", "Customers examined"}}},
        {"invoices", {{"type", "integer"}, {"description", "Open invoices examined"}}},
        {"decided", {{"type", "integer"}, {"description", "Actions that would be created"}}},
        {"truncated", {{"type", "boolean"}}},
        {"actions", {{"type", "array"}, {"items", std::move(planned)}}}}}};
  s["Import"] = OutputSchema(
      domain::ImportJobSpec(),
      {{"mapping_columns",
        {{"type", "object"},
         {"readOnly", true},
         {"additionalProperties", {{"type", "string"}, {"nullable", true}}},
         {"description", "The mapping as an object: file header -> field name (null: ignored)"}}}});
  s["ImportPreview"] = {
      {"type", "object"},
      {"properties",
       {{"format", {{"type", "string"}, {"enum", {"csv", "xlsx", "xlsb", "xls"}}}},
        {"encoding", {{"type", "string"}}},
        {"separator", {{"type", "string"}}},
        {"sheets", {{"type", "array"}, {"items", {{"type", "string"}}}}},
        {"sheet", {{"type", "string"}}},
        {"note", {{"type", "string"}}},
        {"header", {{"type", "array"}, {"items", {{"type", "string"}}}}},
        {"rows",
         {{"type", "array"},
          {"items", {{"type", "object"},
                     {"properties",
                      {{"line", {{"type", "integer"}}},
                       {"cells", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                       {"problem", {{"type", "string"}}}}}}}}},
        {"proposed_mapping",
         {{"type", "object"}, {"additionalProperties", {{"type", "string"}, {"nullable", true}}}}},
        {"unmapped", {{"type", "array"}, {"items", {{"type", "string"}}}}},
        {"fields", {{"type", "array"}, {"items", {{"type", "string"}}},
                    {"description", "Every field a column can be mapped to"}}}}}};
  s["ImportUpload"] = {{"type", "object"},
                       {"required", {"import", "preview"}},
                       {"properties", {{"import", Ref("Import")}, {"preview", Ref("ImportPreview")}}}};
  s["ImportStart"] = {
      {"type", "object"},
      {"additionalProperties", false},
      {"properties",
       {{"mapping",
         {{"type", "object"},
          {"additionalProperties", {{"type", "string"}, {"nullable", true}}},
          {"description", "Corrections: file header -> field name, or null to ignore the column; "
                          "columns not named keep the proposed field"}}},
        {"keep_valid", {{"type", "boolean"},
                        {"description", "Write the valid rows even when others are rejected"}}},
        {"dry_run", {{"type", "boolean"}, {"description", "Validate and count; write nothing"}}}}}};
  s["ImportRejections"] = {
      {"type", "object"},
      {"required", {"data", "next_cursor"}},
      {"properties",
       {{"data",
         {{"type", "array"},
          {"items", {{"type", "object"},
                     {"properties",
                      {{"seq", {{"type", "integer"}}},
                       {"line", {{"type", "integer"}}},
                       {"column", {{"type", "string"}}},
                       {"value", {{"type", "string"}}},
                       {"reason", {{"type", "string"}}}}}}}}},
        {"next_cursor", {{"type", "string"}, {"nullable", true}}}}}};

  s["Login"] = {{"type", "object"},
                {"additionalProperties", false},
                {"required", {"email", "password"}},
                {"properties",
                 {{"email", {{"type", "string"}, {"format", "email"}}},
                  {"password", {{"type", "string"}, {"format", "password"}}}}}};
  s["Me"] = {{"type", "object"},
             {"required", {"user", "organization"}},
             {"properties",
              {{"user", Ref("User")},
               {"organization", Ref("Organization")},
               {"expires_at",
                {{"type", "string"},
                 {"format", "date-time"},
                 {"description", "When the session ends (login only)"}}}}}};
  s["TokenCreate"] = {{"type", "object"},
                      {"additionalProperties", false},
                      {"required", {"name"}},
                      {"properties", {{"name", {{"type", "string"}, {"maxLength", 200}}}}}};
  s["IssuedToken"] = {
      {"type", "object"},
      {"required", {"id", "name", "token"}},
      {"properties",
       {{"id", {{"type", "string"}, {"pattern", IdPattern(kTokenPrefix)}}},
        {"name", {{"type", "string"}}},
        {"token",
         {{"type", "string"},
          {"description", "rlt_...: shown in this response only; the server keeps its hash"}}}}}};
  J string_map = {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}};
  s["ConnectorType"] = {
      {"type", "object"},
      {"required", {"name", "display_name", "required_settings", "required_secrets"}},
      {"properties",
       {{"name", {{"type", "string"}, {"example", "sellsy"}}},
        {"display_name", {{"type", "string"}, {"example", "Sellsy"}}},
        {"required_settings",
         {{"type", "array"}, {"items", {{"type", "string"}}}, {"example", {"api_url", "token_url"}}}},
        {"required_secrets",
         {{"type", "array"},
          {"items", {{"type", "string"}}},
          {"example", {"client_id", "client_secret"}}}}}}};
  s["SyncConnection"] = OutputSchema(
      domain::SyncConnectionSpec(),
      {{"backlog",
        {{"type", "integer"},
         {"readOnly", true},
         {"description", "Webhook notifications received and not applied yet"}}},
       {"webhook_url",
        {{"type", "string"},
         {"readOnly", true},
         {"description", "The address the source notifies changes to (its token is the "
                         "credential: keep it private)"}}}});
  s["SyncConnection"]["properties"]["settings"] = {
      {"type", "object"},
      {"readOnly", true},
      {"additionalProperties", {{"type", "string"}}},
      {"description", "The non-secret settings (API and token URLs); secrets are never returned"}};
  s["SyncConnection"]["description"] =
      "An organization's link to an external system, with its sync status. Secrets are stored "
      "encrypted and never returned.";
  s["SyncConnectionCreate"] = {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"connector", "name"}},
      {"properties",
       {{"connector", {{"type", "string"}, {"description", "A name from GET /api/v1/connectors"}}},
        {"name", {{"type", "string"}}},
        {"settings", string_map},
        {"secrets", string_map}}}};
  s["SyncConnectionUpdate"] = {
      {"type", "object"},
      {"additionalProperties", false},
      {"properties",
       {{"name", {{"type", "string"}}},
        {"enabled", {{"type", "boolean"}}},
        {"settings", string_map},
        {"secrets", string_map}}}};
  s["ConnectionTestResult"] = {{"type", "object"},
                               {"required", {"ok"}},
                               {"properties", {{"ok", {{"type", "boolean"}}}}}};
  s["WebhookRegistration"] = {
      {"type", "object"},
      {"additionalProperties", false},
      {"properties",
       {{"public_url",
         {{"type", "string"},
          {"description", "Base URL at which the source reaches this server (default: the "
                          "server's public_url setting)"}}}}}};
  s["WebhookAck"] = {{"type", "object"},
                     {"required", {"success"}},
                     {"properties", {{"success", {{"type", "boolean"}}}}}};
  J bounce_recipient = {{"type", "object"},
                        {"properties",
                         {{"address", {{"type", "string"}}},
                          {"action",
                           {{"type", "string"},
                            {"enum", {"failed", "delayed", "delivered", "relayed", "expanded"}}}},
                          {"status", {{"type", "string"}, {"description", "5.1.1; empty if none"}}},
                          {"diagnostic", {{"type", "string"}}},
                          {"permanent", {{"type", "boolean"}}}}}};
  s["BounceResult"] = {
      {"type", "object"},
      {"required", {"action_id", "message_id", "status", "permanent", "changed", "recipients"}},
      {"properties",
       {{"action_id", {{"type", "string"}, {"pattern", IdPattern(kActionPrefix)}}},
        {"message_id", {{"type", "string"}}},
        {"status", {{"type", "string"}, {"description", "The action's status after the bounce"}}},
        {"last_error", {{"type", "string"}, {"nullable", true}}},
        {"permanent", {{"type", "boolean"}}},
        {"changed", {{"type", "boolean"}}},
        {"note", {{"type", "string"}}},
        {"recipients", {{"type", "array"}, {"items", bounce_recipient}}}}}};
  s["SyncRun"] = OutputSchema(domain::SyncRunSpec(), {});
  s["SyncChange"] = OutputSchema(domain::SyncChangeSpec(), {});
  s["Health"] = {{"type", "object"},
                 {"required", {"status"}},
                 {"properties",
                  {{"status", {{"type", "string"}, {"enum", {"ok"}}}},
                   {"schema_version", {{"type", "integer"}}}}}};
  return s;
}

J ParamSchema(const ParamDoc& p) {
  J s = {{"type", p.type}};
  if (!p.format.empty()) s["format"] = p.format;
  if (!p.enum_values.empty()) s["enum"] = p.enum_values;
  return s;
}

std::string RoleNote(const std::optional<services::Access>& access) {
  if (!access) return "Public: no authentication.";
  switch (*access) {
    case services::Access::kRead:
      return "Any role (ADMIN, MEMBER, READ_ONLY).";
    case services::Access::kWrite:
      return "Role ADMIN or MEMBER (READ_ONLY gets 403).";
    case services::Access::kAdmin:
      return "Role ADMIN (others get 403).";
  }
  return "";
}

J Operation(const Route& r) {
  const RouteDoc& d = r.doc;
  J op = J::object();
  if (!d.tag.empty()) op["tags"] = J::array({d.tag});
  op["summary"] = d.summary;
  std::string description = d.description;
  if (!description.empty()) description += "\n\n";
  description += RoleNote(r.access);
  op["description"] = description;
  if (!d.operation_id.empty()) op["operationId"] = d.operation_id;

  J params = J::array();
  for (const auto& seg : r.segments) {
    if (seg.size() < 2 || seg.front() != '{') continue;
    std::string name = seg.substr(1, seg.size() - 2);
    J p = {{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}};
    if (name == "external_id") p["description"] = "The record's external_id (percent-encoded)";
    params.push_back(std::move(p));
  }
  for (const auto& q : d.query) {
    J p = {{"name", q.name}, {"in", "query"}, {"required", false}, {"schema", ParamSchema(q)}};
    if (!q.description.empty()) p["description"] = q.description;
    params.push_back(std::move(p));
  }
  if (d.idempotency_key) {
    params.push_back(
        {{"name", std::string(kIdempotencyHeader)},
         {"in", "header"},
         {"required", false},
         {"schema", {{"type", "string"}, {"maxLength", kMaxIdempotencyKeyLength}}},
         {"description",
          "Makes the POST safe to retry: the same key with the same request replays the first "
          "response (header Idempotent-Replayed: true) and creates nothing; the same key with "
          "another request answers 422 idempotency_key_reused."}});
  }
  if (d.if_match) {
    params.push_back(
        {{"name", "If-Match"},
         {"in", "header"},
         {"required", false},
         {"schema", {{"type", "string"}}},
         {"description", "The ETag of the version you read; 409 when the record changed since"}});
  }
  if (!params.empty()) op["parameters"] = std::move(params);

  if (!d.request_schema.empty()) {
    op["requestBody"] = {{"required", true},
                         {"content", {{"application/json", {{"schema", Ref(d.request_schema)}}}}}};
  }
  if (d.any_content_type) {
    op["requestBody"] = {
        {"required", false},
        {"description", "The source's own format, read as sent"},
        {"content",
         {{"application/x-www-form-urlencoded", {{"schema", {{"type", "object"}}}}},
          {"application/json", {{"schema", {{"type", "object"}}}}}}}};
  }
  if (!d.raw_body_types.empty()) {
    J content = J::object();
    for (const auto& t : d.raw_body_types) content[t] = {{"schema", {{"type", "string"}}}};
    op["requestBody"] = {{"required", true}, {"content", std::move(content)}};
  }
  if (d.upload) {
    J props = {{"file", {{"type", "string"}, {"format", "binary"}}}};
    for (const auto& f : d.form_fields) {
      J fs = ParamSchema(f);
      if (!f.description.empty()) fs["description"] = f.description;
      props[f.name] = std::move(fs);
    }
    op["requestBody"] = {
        {"required", true},
        {"content",
         {{"multipart/form-data",
           {{"schema", {{"type", "object"}, {"required", {"file"}}, {"properties", props}}}}}}}};
  }

  J responses = J::object();
  J ok = {{"description", "Success"}};
  switch (d.response) {
    case Body::kNone:
      ok["description"] = "Done; no content";
      break;
    case Body::kObject:
      if (!d.response_schema.empty()) {
        ok["content"] = {{"application/json", {{"schema", Ref(d.response_schema)}}}};
      } else {
        ok["content"] = {{"application/json", {{"schema", {{"type", "object"}}}}}};
      }
      break;
    case Body::kList:
      ok["content"] = {
          {"application/json",
           {{"schema",
             {{"type", "object"},
              {"required", {"data", "next_cursor"}},
              {"properties",
               {{"data", {{"type", "array"}, {"items", Ref(d.response_schema)}}},
                {"next_cursor",
                 {{"type", "string"},
                  {"nullable", true},
                  {"description", "Pass as ?cursor= for the next page; null on the last"}}}}}}}}}};
      break;
    case Body::kHtml:
      ok["content"] = {{"text/html", {{"schema", {{"type", "string"}}}}}};
      break;
    case Body::kText:
      ok["content"] = {{"text/plain", {{"schema", {{"type", "string"}}}}}};
      break;
    case Body::kFile:
      ok["content"] = {{d.file_content_type.empty() ? "application/octet-stream"
                                                     : d.file_content_type,
                        {{"schema", {{"type", "string"}, {"format", "binary"}}}}}};
      break;
  }
  // Record responses carry the record's version as ETag.
  static const std::set<std::string> kNoEtag = {"",
                                                "Me",
                                                "IssuedToken",
                                                "Health",
                                                "ImportUpload",
                                                "ImportRejections",
                                                "DunningStepPreview",
                                                "TemplatePlaceholders",
                                                "BulkIgnoreResult",
                                                "MarkSentResult",
                                                "DunningPlanReport",
                                                "ConnectionTestResult",
                                                "WebhookAck",
                                                "BounceResult"};
  if (d.response == Body::kObject && kNoEtag.count(d.response_schema) == 0) {
    ok["headers"] = {{"ETag",
                      {{"description", "The record's version, for If-Match"},
                       {"schema", {{"type", "string"}}}}}};
  }
  responses[std::to_string(d.success_status)] = std::move(ok);
  auto error = [&](int status, const std::string& why) {
    responses[std::to_string(status)] = {
        {"description", why}, {"content", {{"application/json", {{"schema", Ref("Error")}}}}}};
  };
  bool has_body = !d.request_schema.empty();
  if (has_body) error(400, "Malformed JSON, or not an object");
  if (r.access) error(401, "No credentials, or unknown / revoked / expired ones");
  if (r.access && *r.access != services::Access::kRead) error(403, "The role does not allow it");
  if (r.path.find('{') != std::string::npos || r.path == "/docs") {
    error(404, "No such record in your organization");
  }
  if (r.method == "PATCH" || r.method == "DELETE" || r.method == "POST") {
    error(409, "Stale version, a unique key taken, or a field owned by a connector");
  }
  if (has_body) {
    error(413, "Body larger than the limit");
    error(415, "Body that is not JSON");
  }
  if (has_body || !d.query.empty()) error(422, "Invalid input; details name each field");
  if (r.path == "/healthz" || r.path == "/docs") error(503, "Unavailable");
  responses["default"] = {{"description", "Error"},
                          {"content", {{"application/json", {{"schema", Ref("Error")}}}}}};
  op["responses"] = std::move(responses);
  if (!r.access) op["security"] = J::array();
  return op;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

J BuildOpenApi(const std::vector<Route>& routes) {
  J doc = J::object();
  doc["openapi"] = "3.0.3";
  doc["info"] = {
      {"title", "Relance API"},
      {"version", "1"},
      {"description",
       "The REST API of Relance, a receivables platform: customers, contacts, invoices and "
       "credit notes, payments and their allocations, products, users and settings of your "
       "organization.\n\n"
       "Authenticate with an API token (`Authorization: Bearer rlt_...`) or with the session "
       "cookie set by `POST /api/v1/auth/login`. Every request sees only your organization: "
       "another organization's record answers 404.\n\n"
       "Amounts are integers in minor units of their currency (1250 = 12.50 EUR); dates are "
       "`YYYY-MM-DD`. Lists are cursor-paginated (`limit`, `cursor`, `sort`). Errors are "
       "`{\"error\": {\"code\", \"message\", \"details\": [{\"field\", \"message\"}]}}`."}};
  doc["servers"] = J::array({{{"url", "/"}}});

  J tags = J::array();
  std::set<std::string> seen;
  J paths = J::object();
  for (const Route& r : routes) {
    if (!r.doc.tag.empty() && seen.insert(r.doc.tag).second) tags.push_back({{"name", r.doc.tag}});
    paths[r.path][Lower(r.method)] = Operation(r);
  }
  doc["tags"] = std::move(tags);
  doc["paths"] = std::move(paths);
  doc["components"] = {
      {"schemas", Schemas()},
      {"securitySchemes",
       {{"bearerAuth",
         {{"type", "http"},
          {"scheme", "bearer"},
          {"description", "An API token rlt_... (relance token create, or POST /api/v1/tokens)"}}},
        {"cookieAuth",
         {{"type", "apiKey"},
          {"in", "cookie"},
          {"name", std::string(kSessionCookie)},
          {"description", "The session cookie set by POST /api/v1/auth/login"}}}}}};
  doc["security"] = J::array({{{"bearerAuth", J::array()}}, {{"cookieAuth", J::array()}}});
  return doc;
}

}  // namespace relance::http
