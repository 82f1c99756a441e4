// /api/v1/connectors, /api/v1/connections and /api/v1/sync-changes (SPEC §5,
// R-SELLSY, R-OPS-3): the connector types this server knows; an
// organization's connections to external systems (create with settings and
// secrets, read, change, delete, test the credentials, ask for a backfill,
// register the webhook at the source); a connection's runs; the change log
// of what the syncs wrote. Everything goes through sync::ConnectionService
// (roles are its checks); secrets are write-only: the codec never outputs
// the sealed ones nor the webhook token's hash.
#include <nlohmann/json.hpp>

#include "http/crud.h"
#include "store/record_repository.h"

namespace relance::http {
namespace {

using services::Access;
using Json = nlohmann::json;

// `member` of `body`, an object of strings, into `out`; one problem per
// value that is not a string ("settings.api_url must be a string").
void ReadStringMap(const Json& body, const std::string& member, sync::ConnectionSettings& out,
                   std::vector<FieldError>& problems) {
  auto it = body.find(member);
  if (it == body.end() || it->is_null()) return;
  if (!it->is_object()) {
    problems.push_back({member, "must be an object of strings, not " + JsonTypeName(*it)});
    return;
  }
  for (const auto& [key, value] : it->items()) {
    if (!value.is_string()) {
      problems.push_back({member + "." + key, "must be a string, not " + JsonTypeName(value)});
      continue;
    }
    out[key] = value.get<std::string>();
  }
}

std::string WebhookUrl(const Api& api, const sync::ConnectionStatus& s) {
  std::string base = api.public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + s.webhook_path;
}

// The codec's output (no secrets), with `settings` as an object and the
// inbox backlog and webhook URL before "version".
OrderedJson ConnectionJson(const Api& api, const sync::ConnectionStatus& s) {
  OrderedJson j = RecordToJson(s.connection);
  auto settings = OrderedJson::parse(s.connection.settings, nullptr, /*allow_exceptions=*/false);
  j["settings"] = settings.is_object() ? std::move(settings) : OrderedJson::object();
  InsertBefore(j, "version", "backlog", s.backlog);
  // The URL carries the webhook token: only administrators see it.
  if (s.webhook_path.empty()) {
    InsertBefore(j, "version", "webhook_url", nullptr);
  } else {
    InsertBefore(j, "version", "webhook_url", WebhookUrl(api, s));
  }
  return j;
}

Reply ConnectionReply(const Api& api, int status, const Result<sync::ConnectionStatus>& s) {
  if (!s.ok()) return ErrorReply(s.error());
  return RecordReply(status, ConnectionJson(api, *s));
}

// A page of T for the organization of `req` (generic filters, sort and
// cursor; newest first unless ?sort= says otherwise), with `extra`
// conditions added.
template <typename T>
Reply ListPage(const Api& api, const ApiRequest& req, const domain::EntitySpec<T>& spec,
               std::vector<store::Condition> extra) {
  auto q = ParseListQuery(spec, req, {});
  if (!q.ok()) return ErrorReply(q.error());
  if (!req.http.has_param("sort")) q->descending = true;
  for (auto& c : extra) q->conditions.push_back(std::move(c));
  store::RecordRepository<T> repo(spec);
  auto conn = api.ctx.db.Acquire();
  if (!conn.ok()) return ErrorReply(conn.error());
  auto page = repo.List(**conn, req.who().org_id, *q);
  if (!page.ok()) return ErrorReply(page.error());
  return RecordsPageReply(*page);
}

Reply CreateConnection(const Api& api, ApiRequest& req) {
  auto body = BodyObject(req);
  if (!body.ok()) return ErrorReply(body.error());
  if (auto known = OnlyMembers(*body, {"connector", "name", "settings", "secrets"}, "a connection");
      !known.ok()) {
    return ErrorReply(known.error());
  }
  std::vector<FieldError> problems;
  sync::NewConnection c;
  if (auto it = body->find("connector"); it != body->end()) {
    if (auto v = ReadString(*it, "connector", problems)) c.connector = *v;
  } else {
    problems.push_back({"connector", "is required (one of GET /api/v1/connectors)"});
  }
  if (auto it = body->find("name"); it != body->end()) {
    if (auto v = ReadString(*it, "name", problems)) c.name = *v;
  } else {
    problems.push_back({"name", "is required"});
  }
  ReadStringMap(*body, "settings", c.settings, problems);
  ReadStringMap(*body, "secrets", c.secrets, problems);
  if (!problems.empty()) return ErrorReply(InvalidFields("connection", std::move(problems)));
  return ConnectionReply(api, 201, api.connections.Create(req.who(), c));
}

Reply UpdateConnection(const Api& api, ApiRequest& req) {
  auto body = BodyObject(req);
  if (!body.ok()) return ErrorReply(body.error());
  if (auto known = OnlyMembers(*body, {"name", "enabled", "settings", "secrets"}, "a connection");
      !known.ok()) {
    return ErrorReply(known.error());
  }
  std::vector<FieldError> problems;
  std::optional<std::string> name;
  std::optional<bool> enabled;
  if (auto it = body->find("name"); it != body->end()) name = ReadString(*it, "name", problems);
  if (auto it = body->find("enabled"); it != body->end()) {
    if (it->is_boolean()) {
      enabled = it->get<bool>();
    } else {
      problems.push_back({"enabled", "must be true or false, not " + JsonTypeName(*it)});
    }
  }
  sync::ConnectionSettings settings, secrets;
  ReadStringMap(*body, "settings", settings, problems);
  ReadStringMap(*body, "secrets", secrets, problems);
  if (!problems.empty()) return ErrorReply(InvalidFields("connection", std::move(problems)));
  return ConnectionReply(
      api, 200,
      api.connections.Update(req.who(), req.PathParam("id"), name, enabled, settings, secrets));
}

Reply RegisterWebhook(const Api& api, ApiRequest& req) {
  auto body = OptionalBodyObject(req);
  if (!body.ok()) return ErrorReply(body.error());
  if (auto known = OnlyMembers(*body, {"public_url"}, "a webhook registration"); !known.ok()) {
    return ErrorReply(known.error());
  }
  std::string base = api.public_url;
  if (auto it = body->find("public_url"); it != body->end()) {
    std::vector<FieldError> problems;
    auto v = ReadString(*it, "public_url", problems);
    if (!v) return ErrorReply(InvalidFields("webhook registration", std::move(problems)));
    base = *v;
  }
  return ConnectionReply(api, 200,
                         api.connections.RegisterWebhook(req.who(), req.PathParam("id"), base));
}

}  // namespace

void AddConnectionRoutes(Router& r, const Api& api) {
  const Api* a = &api;
  const std::string base = "/api/v1/connections";
  const std::string item = base + "/{id}";
  const std::string tag = "Connections";

  {
    RouteDoc doc{tag, "List the connector types",
                 "The external systems this server can connect to, with the settings and "
                 "secrets a connection to each needs.",
                 "listConnectorTypes"};
    doc.response = Body::kList;
    doc.response_schema = "ConnectorType";
    r.Add({"GET", "/api/v1/connectors", Access::kRead,
           [a](ApiRequest&) -> Reply {
             OrderedJson data = OrderedJson::array();
             for (const auto& name : a->connector_types.Names()) {
               const sync::ConnectorType* t = a->connector_types.Find(name);
               data.push_back({{"name", t->name},
                               {"display_name", t->display_name},
                               {"required_settings", t->required_settings},
                               {"required_secrets", t->required_secrets}});
             }
             return JsonReply(200, {{"data", std::move(data)}, {"next_cursor", nullptr}});
           },
           std::move(doc)});
  }
  {
    RouteDoc doc{tag, "List the connections",
                 "Every connection of the organization (one per external system), with its "
                 "sync status; never its secrets.",
                 "listConnections"};
    doc.response = Body::kList;
    doc.response_schema = "SyncConnection";
    r.Add({"GET", base, Access::kRead,
           [a](ApiRequest& req) -> Reply {
             auto all = a->connections.List(req.who());
             if (!all.ok()) return ErrorReply(all.error());
             OrderedJson data = OrderedJson::array();
             for (const auto& s : *all) data.push_back(ConnectionJson(*a, s));
             return JsonReply(200, {{"data", std::move(data)}, {"next_cursor", nullptr}});
           },
           std::move(doc)});
  }
  {
    RouteDoc doc{tag, "Create a connection",
                 "Settings are checked against the connector type (GET /api/v1/connectors); "
                 "secrets are stored encrypted and never returned. The first sync (the "
                 "backfill) starts as soon as a runner is free. webhook_url is the address to "
                 "give the source (or use POST .../webhook).",
                 "createConnection"};
    doc.request_schema = "SyncConnectionCreate";
    doc.response_schema = "SyncConnection";
    doc.success_status = 201;
    // No Idempotency-Key: the stored replay would keep the webhook URL (its
    // token) in clear; a second create answers 409 anyway.
    r.Add({"POST", base, Access::kAdmin,
           [a](ApiRequest& req) -> Reply { return CreateConnection(*a, req); }, std::move(doc)});
  }
  {
    RouteDoc doc{tag, "Get a connection", "", "getConnection"};
    doc.response_schema = "SyncConnection";
    r.Add({"GET", item, Access::kRead,
           [a](ApiRequest& req) -> Reply {
             return ConnectionReply(*a, 200, a->connections.Status(req.who(), req.PathParam("id")));
           },
           std::move(doc)});
  }
  {
    RouteDoc doc{tag, "Update a connection",
                 "Only the members sent change; secrets sent replace those of the same name, the "
                 "others are kept. New secrets after an AUTH_ERROR retry at once.",
                 "updateConnection"};
    doc.request_schema = "SyncConnectionUpdate";
    doc.response_schema = "SyncConnection";
    r.Add({"PATCH", item, Access::kAdmin,
           [a](ApiRequest& req) -> Reply { return UpdateConnection(*a, req); }, std::move(doc)});
  }
  {
    RouteDoc doc{tag, "Delete a connection",
                 "The records it synced stay, as the organization's own (no longer owned by the "
                 "connector).",
                 "deleteConnection"};
    doc.response = Body::kNone;
    doc.success_status = 204;
    r.Add({"DELETE", item, Access::kAdmin,
           [a](ApiRequest& req) -> Reply {
             auto done = a->connections.Delete(req.who(), req.PathParam("id"));
             if (!done.ok()) return ErrorReply(done.error());
             return NoContent();
           },
           std::move(doc)});
  }
  {
    RouteDoc doc{tag, "Test a connection's credentials",
                 "One cheap authenticated call to the source: {\"ok\": true}, or 401 / 403 when "
                 "the source refuses the credentials, 503 when it cannot be reached.",
                 "testConnection"};
    doc.response_schema = "ConnectionTestResult";
    r.Add({"POST", item + "/test", Access::kWrite,
           [a](ApiRequest& req) -> Reply {
             auto tested = a->connections.TestCredentials(req.who(), req.PathParam("id"));
             if (!tested.ok()) return ErrorReply(tested.error());
             return JsonReply(200, {{"ok", true}});
           },
           std::move(doc)});
  }
  {
    RouteDoc doc{tag, "Ask for a backfill",
                 "A full sync (every record of the source, then deletions) as soon as a runner "
                 "is free.",
                 "backfillConnection"};
    doc.response_schema = "SyncConnection";
    doc.success_status = 202;
    r.Add({"POST", item + "/backfill", Access::kWrite,
           [a](ApiRequest& req) -> Reply {
             return ConnectionReply(*a, 202,
                                    a->connections.RequestBackfill(req.who(), req.PathParam("id")));
           },
           std::move(doc)});
  }
  {
    RouteDoc doc{tag, "Register the webhook at the source",
                 "Registers <public_url>/webhooks/<connector>/<token> for change notifications "
                 "(default public_url: the server's); replaces a previous registration.",
                 "registerConnectionWebhook"};
    doc.request_schema = "WebhookRegistration";
    doc.response_schema = "SyncConnection";
    r.Add({"POST", item + "/webhook", Access::kAdmin,
           [a](ApiRequest& req) -> Reply { return RegisterWebhook(*a, req); }, std::move(doc)});
  }
  {
    RouteDoc doc{tag, "List a connection's runs", "Newest first; cursor-paginated.",
                 "listConnectionRuns"};
    doc.response = Body::kList;
    doc.response_schema = "SyncRun";
    doc.query = ListParamDocs(domain::SyncRunSpec(), {});
    r.Add({"GET", item + "/runs", Access::kRead,
           [a](ApiRequest& req) -> Reply {
             const std::string& id = req.PathParam("id");
             auto found = a->connections.Status(req.who(), id);
             if (!found.ok()) return ErrorReply(found.error());
             return ListPage(*a, req, domain::SyncRunSpec(),
                             {{"connection_id", store::Condition::Op::kEq, id}});
           },
           std::move(doc)});
  }
  {
    RouteDoc doc{"Connections", "The change log of the syncs",
                 "R-OPS-3: one entry per record a sync created, updated, deleted, marked "
                 "deleted or rejected: which connection and run, which source record, what "
                 "changed (field: [before, after]) and when. Newest first; cursor-paginated.",
                 "listSyncChanges"};
    doc.response = Body::kList;
    doc.response_schema = "SyncChange";
    doc.query = ListParamDocs(domain::SyncChangeSpec(), {});
    r.Add(
        {"GET", "/api/v1/sync-changes", Access::kRead,
         [a](ApiRequest& req) -> Reply { return ListPage(*a, req, domain::SyncChangeSpec(), {}); },
         std::move(doc)});
  }
}

}  // namespace relance::http
