#include "http/crud.h"

#include <algorithm>
#include <memory>

#include "store/external_refs.h"

namespace relance::http {
namespace {

using services::Access;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<nlohmann::json> BodyObject(const ApiRequest& req) { return ParseJsonObject(req.body); }

Result<nlohmann::json> OptionalBodyObject(const ApiRequest& req) {
  if (Trim(req.body).empty()) return nlohmann::json::object();
  return ParseJsonObject(req.body);
}

Result<void> OnlyMembers(const nlohmann::json& body, std::initializer_list<std::string_view> known,
                         std::string_view what) {
  std::string names;
  for (auto k : known) names += (names.empty() ? "" : ", ") + std::string(k);
  std::vector<FieldError> problems;
  for (const auto& [key, value] : body.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      problems.push_back({key, "is not a member of " + std::string(what) +
                                   (names.empty() ? " (it takes none)" : " (" + names + ")")});
    }
  }
  if (problems.empty()) return Ok();
  std::string message = problems[0].field + " " + problems[0].message;
  return InvalidArgument(std::move(message), std::move(problems));
}

Result<std::optional<int64_t>> ExpectedVersion(const ApiRequest& req, const nlohmann::json& body) {
  std::optional<int64_t> from_header;
  if (req.http.has_header("If-Match")) {
    const std::string header = req.http.get_header_value("If-Match");
    std::string_view v = Trim(header);
    if (v != "*") {
      if (v.substr(0, 2) == "W/") v.remove_prefix(2);
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      auto n = ParseStrictInt(std::string(v));
      if (!n) {
        return FieldInvalid("If-Match", "must be the record's ETag (its version), e.g. \"3\"");
      }
      from_header = *n;
    }
  }
  std::optional<int64_t> from_body;
  if (auto it = body.find("version"); it != body.end()) {
    std::vector<FieldError> problems;
    auto n = ReadInt64(*it, "version", problems);
    if (!n) {
      std::string message = "version: " + problems[0].message;  // before problems is moved
      return InvalidArgument(std::move(message), std::move(problems));
    }
    from_body = *n;
  }
  if (from_header && from_body && *from_header != *from_body) {
    return FieldInvalid("version", "differs from the If-Match header; send one or the other");
  }
  return from_header ? from_header : from_body;
}

void ClosePageEnvelope(std::string& body, const std::optional<std::string>& next_cursor) {
  body += "],\"next_cursor\":";
  if (next_cursor) {
    AppendJsonString(body, *next_cursor);
  } else {
    body += "null";
  }
  body += '}';
}

Reply RecordReply(int status, const OrderedJson& record) {
  Reply r = JsonReply(status, record);
  if (auto it = record.find("version"); it != record.end() && it->is_number_integer()) {
    r.headers.emplace_back("ETag", "\"" + std::to_string(it->template get<int64_t>()) + "\"");
  }
  return r;
}

void InsertBefore(OrderedJson& object, std::string_view before, const std::string& key,
                  OrderedJson value) {
  OrderedJson out = OrderedJson::object();
  bool inserted = false;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (!inserted && it.key() == before) {
      out[key] = std::move(value);
      inserted = true;
    }
    out[it.key()] = std::move(it.value());
  }
  if (!inserted) out[key] = std::move(value);
  object = std::move(out);
}

Result<OrderedJson> ExternalRefsJson(const Api& api, const services::Principal& p,
                                     std::string_view entity, const std::string& record_id) {
  ASSIGN_OR_RETURN(auto conn, api.ctx.db.Acquire());
  ASSIGN_OR_RETURN(auto refs,
                   store::ExternalRefsOf(*conn, p.org_id, std::string(entity), record_id));
  OrderedJson out = OrderedJson::array();
  for (const auto& r : refs) {
    OrderedJson j = OrderedJson::object();
    j["connector"] = r.connector;
    j["external_id"] = r.external_id;
    j["owned_fields"] = r.owned_fields;
    j["last_synced_at"] = r.last_synced_at ? OrderedJson(*r.last_synced_at) : OrderedJson(nullptr);
    out.push_back(std::move(j));
  }
  return out;
}

namespace {

// A list request's place in Api::list_pages: its key, the stamp read for
// it, and the page stored there if any.
struct CachedPage {
  std::string key;
  int64_t stamp = 0;
  std::shared_ptr<const std::string> body;
};

void AppendKeyPart(std::string& key, std::string_view part) {
  key += std::to_string(part.size());
  key += ':';
  key += part;
}

// Nothing when the resource's pages are not cached, the cache is off, a
// parameter reads other tables, or the stamp or today's date cannot be
// read (the list then runs as if uncached and reports any error itself).
template <typename T>
std::optional<CachedPage> FindCachedPage(const Api& api, const ApiRequest& req,
                                         const Resource<T>& res) {
  if (res.cached_table.empty() || !api.list_pages.enabled()) return std::nullopt;
  for (const auto& p : res.list_params) {
    if (p.reads_other_tables && req.http.has_param(p.doc.name)) return std::nullopt;
  }
  const services::Principal& who = req.who();
  auto today = services::TodayFor(api.ctx, who);
  if (!today.ok()) return std::nullopt;
  auto stamp = services::ChangeStampFor(api.ctx, who, res.cached_table);
  if (!stamp.ok()) return std::nullopt;
  CachedPage page;
  page.stamp = *stamp;
  AppendKeyPart(page.key, who.org_id);
  AppendKeyPart(page.key, res.base);
  AppendKeyPart(page.key, today->ToString());
  // httplib keeps the parameters sorted by name (a multimap): the same
  // query in another order is the same page.
  for (const auto& [name, value] : req.http.params) {
    AppendKeyPart(page.key, name);
    AppendKeyPart(page.key, value);
  }
  page.body = api.list_pages.Find(page.key, page.stamp);
  return page;
}

}  // namespace

template <typename T>
void AddResourceRoutes(Router& router, const Api& api, const services::RecordService<T>& service,
                       Resource<T> resource) {
  auto res = std::make_shared<const Resource<T>>(std::move(resource));
  const services::RecordService<T>* svc = &service;
  const std::string item = res->base + "/{id}";
  const std::string by_ext = res->base + "/external/{external_id}";

  auto present = [res](const ApiRequest& req, std::span<const T> items,
                       bool single) -> Result<std::vector<OrderedJson>> {
    if (res->present) return res->present(req, items, single);
    std::vector<OrderedJson> out;
    out.reserve(items.size());
    for (const T& r : items) out.push_back(RecordToJson(r));
    return out;
  };
  auto list_text = [res](const ApiRequest& req, std::span<const T> items,
                         std::string& out) -> Result<void> {
    if (res->list_text) return res->list_text(req, items, out);
    AppendRecordsJson(out, items);
    return Ok();
  };
  const bool text_lists = res->list_text || !res->present;
  auto one = [present](const ApiRequest& req, const Result<T>& r, int status) -> Reply {
    if (!r.ok()) return ErrorReply(r.error());
    auto j = present(req, std::span<const T>(&*r, 1), true);
    if (!j.ok()) return ErrorReply(j.error());
    return RecordReply(status, (*j)[0]);
  };
  auto update = [svc, res, one](ApiRequest& req, const std::string& id) -> Reply {
    auto body = BodyObject(req);
    if (!body.ok()) return ErrorReply(body.error());
    auto version = ExpectedVersion(req, *body);
    if (!version.ok()) return ErrorReply(version.error());
    static constexpr std::string_view kHandled[] = {"version"};
    auto fields = DecodeBody(svc->spec(), *body, DecodeMode::kUpdate, kHandled);
    if (!fields.ok()) return ErrorReply(fields.error());
    if (res->check_body) {
      if (auto checked = res->check_body(req, *body, &id); !checked.ok()) {
        return ErrorReply(checked.error());
      }
    }
    return one(req, svc->Update(req.who(), id, *fields, *version), 200);
  };

  const std::string& S = res->schema;
  const std::string& tag = res->tag;
  const std::string& noun = res->singular;
  std::string plural_op = tag;
  plural_op.erase(std::remove(plural_op.begin(), plural_op.end(), ' '), plural_op.end());

  if (res->list) {
    RouteDoc doc{tag, "List " + std::string(svc->spec().resource),
                 "Cursor-paginated: pass next_cursor as ?cursor= to get the next page; it is null "
                 "on the last page.",
                 "list" + plural_op};
    doc.response = Body::kList;
    doc.response_schema = S;
    doc.query = ListParamDocs(svc->spec(), res->list_params);
    router.Add({"GET", res->base, Access::kRead,
                [&api, svc, res, present, list_text, text_lists](ApiRequest& req) -> Reply {
                  // Read before the page, so that a stored page is never
                  // older than the stamp it is kept under.
                  std::optional<CachedPage> cached;
                  if (text_lists) cached = FindCachedPage(api, req, *res);
                  if (cached && cached->body) {
                    Reply reply;
                    reply.shared_body = std::move(cached->body);
                    return reply;
                  }
                  auto q = ParseListQuery(svc->spec(), req, res->list_params);
                  if (!q.ok()) return ErrorReply(q.error());
                  auto page = svc->List(req.who(), *q);
                  if (!page.ok()) return ErrorReply(page.error());
                  if (text_lists) {
                    Reply reply;
                    reply.body.reserve(512 + page->items.size() * 640);
                    reply.body = "{\"data\":[";
                    if (auto w = list_text(req, page->items, reply.body); !w.ok()) {
                      return ErrorReply(w.error());
                    }
                    ClosePageEnvelope(reply.body, page->next_cursor);
                    if (cached) {
                      reply.shared_body = std::make_shared<const std::string>(std::move(reply.body));
                      reply.body.clear();
                      api.list_pages.Store(cached->key, cached->stamp, reply.shared_body);
                    }
                    return reply;
                  }
                  auto items = present(req, page->items, false);
                  if (!items.ok()) return ErrorReply(items.error());
                  OrderedJson data = OrderedJson::array();
                  for (auto& j : *items) data.push_back(std::move(j));
                  OrderedJson body = OrderedJson::object();
                  body["data"] = std::move(data);
                  body["next_cursor"] =
                      page->next_cursor ? OrderedJson(*page->next_cursor) : OrderedJson(nullptr);
                  return JsonReply(200, body);
                },
                std::move(doc)});
  }
  if (res->create) {
    RouteDoc doc{tag, "Create a " + noun, "", "create" + S};
    doc.request_schema = res->create_schema.empty() ? S + "Create" : res->create_schema;
    doc.response_schema = res->create_response_schema.empty() ? S : res->create_response_schema;
    doc.success_status = 201;
    doc.idempotency_key = true;
    Handler h = res->create_handler;
    if (!h) {
      h = [svc, res, one](ApiRequest& req) -> Reply {
        auto body = BodyObject(req);
        if (!body.ok()) return ErrorReply(body.error());
        auto fields = DecodeBody(svc->spec(), *body, DecodeMode::kCreate);
        if (!fields.ok()) return ErrorReply(fields.error());
        if (res->check_body) {
          if (auto checked = res->check_body(req, *body, nullptr); !checked.ok()) {
            return ErrorReply(checked.error());
          }
        }
        return one(req, svc->Create(req.who(), *fields), 201);
      };
    }
    router.Add({"POST", res->base, res->write_access, std::move(h), std::move(doc)});
  }
  if (res->by_external_id) {
    RouteDoc get_doc{tag, "Get a " + noun + " by its external id", "", "get" + S + "ByExternalId"};
    get_doc.response_schema = S;
    router.Add({"GET", by_ext, Access::kRead,
                [svc, one](ApiRequest& req) -> Reply {
                  return one(req, svc->GetByExternalId(req.who(), req.PathParam("external_id")),
                             200);
                },
                std::move(get_doc)});
    if (res->update) {
      RouteDoc doc{tag, "Update a " + noun + " found by its external id",
                   "Only the members sent change. Fields owned by a connector answer 409.",
                   "update" + S + "ByExternalId"};
      doc.request_schema = S + "Update";
      doc.response_schema = S;
      doc.if_match = true;
      router.Add({"PATCH", by_ext, res->write_access,
                  [svc, update](ApiRequest& req) -> Reply {
                    auto found = svc->GetByExternalId(req.who(), req.PathParam("external_id"));
                    if (!found.ok()) return ErrorReply(found.error());
                    return update(req, found->meta.id);
                  },
                  std::move(doc)});
    }
  }
  if (res->get) {
    RouteDoc doc{tag, "Get a " + noun, "", "get" + S};
    doc.response_schema = res->get_response_schema.empty() ? S : res->get_response_schema;
    Handler h = res->get_handler;
    if (!h) {
      h = [svc, one](ApiRequest& req) -> Reply {
        return one(req, svc->Get(req.who(), req.PathParam("id")), 200);
      };
    }
    router.Add({"GET", item, Access::kRead, std::move(h), std::move(doc)});
  }
  if (res->update) {
    RouteDoc doc{tag, "Update a " + noun,
                 "Only the members sent change. Send If-Match: <ETag> (or a \"version\" member) "
                 "to update only the version you read (409 otherwise). Fields owned by a "
                 "connector answer 409 naming the connector.",
                 "update" + S};
    doc.request_schema = S + "Update";
    doc.response_schema = S;
    doc.if_match = true;
    router.Add({"PATCH", item, res->write_access,
                [update](ApiRequest& req) -> Reply { return update(req, req.PathParam("id")); },
                std::move(doc)});
  }
  if (res->remove) {
    RouteDoc doc{tag, "Delete a " + noun, "", "delete" + S};
    doc.response = Body::kNone;
    doc.success_status = 204;
    Handler h = res->remove_handler;
    if (!h) {
      h = [svc](ApiRequest& req) -> Reply {
        auto r = svc->Delete(req.who(), req.PathParam("id"));
        if (!r.ok()) return ErrorReply(r.error());
        return NoContent();
      };
    }
    router.Add({"DELETE", item, res->write_access, std::move(h), std::move(doc)});
  }
}

template void AddResourceRoutes<domain::Organization>(
    Router&, const Api&, const services::RecordService<domain::Organization>&,
    Resource<domain::Organization>);
template void AddResourceRoutes<domain::User>(Router&, const Api&,
                                              const services::RecordService<domain::User>&,
                                              Resource<domain::User>);
template void AddResourceRoutes<domain::Customer>(Router&, const Api&,
                                                  const services::RecordService<domain::Customer>&,
                                                  Resource<domain::Customer>);
template void AddResourceRoutes<domain::Contact>(Router&, const Api&,
                                                 const services::RecordService<domain::Contact>&,
                                                 Resource<domain::Contact>);
template void AddResourceRoutes<domain::Invoice>(Router&, const Api&,
                                                 const services::RecordService<domain::Invoice>&,
                                                 Resource<domain::Invoice>);
template void AddResourceRoutes<domain::Payment>(Router&, const Api&,
                                                 const services::RecordService<domain::Payment>&,
                                                 Resource<domain::Payment>);
template void AddResourceRoutes<domain::Allocation>(
    Router&, const Api&, const services::RecordService<domain::Allocation>&,
    Resource<domain::Allocation>);
template void AddResourceRoutes<domain::Product>(Router&, const Api&,
                                                 const services::RecordService<domain::Product>&,
                                                 Resource<domain::Product>);
template void AddResourceRoutes<domain::DunningPlan>(
    Router&, const Api&, const services::RecordService<domain::DunningPlan>&,
    Resource<domain::DunningPlan>);
template void AddResourceRoutes<domain::ImportJob>(
    Router&, const Api&, const services::RecordService<domain::ImportJob>&,
    Resource<domain::ImportJob>);
template void AddResourceRoutes<domain::DunningStep>(
    Router&, const Api&, const services::RecordService<domain::DunningStep>&,
    Resource<domain::DunningStep>);
template void AddResourceRoutes<domain::Action>(Router&, const Api&,
                                                const services::RecordService<domain::Action>&,
                                                Resource<domain::Action>);

}  // namespace relance::http
