// The route table: every route the server answers is one Route here, with
// its handler and what the OpenAPI document says about it, so the served
// routes and the documented ones cannot drift apart (openapi.cpp reads the
// same table; a test checks both ways).
//
// Paths are templates ("/api/v1/customers/{id}"); each "{name}" matches one
// percent-decoded path segment (so an external id may contain "/" when sent
// as %2F). The table is filled before the server starts and only read after;
// reading is thread-safe.
#pragma once

#include <httplib.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/error_response.h"
#include "http/upload.h"
#include "services/context.h"

namespace relance::http {

// What a handler answers. Bodies are complete strings: API responses are
// small and the idempotency store keeps them verbatim.
struct Reply {
  int status = 200;
  std::string body;
  // Set instead of body for a 200 page kept elsewhere (the list page cache):
  // written to the socket from there, without a copy per request.
  std::shared_ptr<const std::string> shared_body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

Reply JsonReply(int status, const nlohmann::ordered_json& body);
Reply ErrorReply(const ApiError& e);
Reply ErrorReply(const Error& e);
Reply NoContent();

struct ApiRequest {
  const httplib::Request& http;
  std::string body;                              // whole body, at most the size limit
  std::map<std::string, std::string> path;       // "{id}" -> decoded segment
  std::optional<services::Principal> principal;  // set on authenticated routes
  std::string request_id;
  // Routes whose doc says `upload`: the multipart file received, if any.
  std::optional<Upload> upload = std::nullopt;

  const std::string& PathParam(const std::string& name) const { return path.at(name); }
  // Precondition: the route requires authentication.
  const services::Principal& who() const { return *principal; }
};

// ---- documentation of a route, for the OpenAPI document ----

struct ParamDoc {
  ParamDoc() = default;
  ParamDoc(std::string name_in, std::string type_in, std::string description_in)
      : name(std::move(name_in)),
        type(std::move(type_in)),
        description(std::move(description_in)) {}

  std::string name;
  std::string type = "string";  // string, integer, boolean
  std::string description;
  std::vector<std::string> enum_values;
  std::string format;  // "date" for dates
};

enum class Body { kNone, kObject, kList, kHtml, kText, kFile };

struct RouteDoc {
  RouteDoc() = default;
  RouteDoc(std::string tag_in, std::string summary_in, std::string description_in = {},
           std::string operation_id_in = {})
      : tag(std::move(tag_in)),
        summary(std::move(summary_in)),
        description(std::move(description_in)),
        operation_id(std::move(operation_id_in)) {}

  std::string tag;
  std::string summary;
  std::string description;
  std::string operation_id;
  std::string request_schema;  // components/schemas name; empty: no body
  Body response = Body::kObject;
  std::string response_schema;  // for kObject / kList
  int success_status = 200;
  std::vector<ParamDoc> query;
  bool idempotency_key = false;  // POST accepts Idempotency-Key
  bool if_match = false;         // PATCH honours If-Match
  // The request is multipart/form-data with a "file" part (and small
  // fields, listed in `query` style in `form_fields`).
  bool upload = false;
  std::vector<ParamDoc> form_fields;
  std::string file_content_type;  // Body::kFile: e.g. "text/csv"
  // The body is another system's format (webhooks): any Content-Type is
  // accepted and the handler reads the raw body.
  bool any_content_type = false;
  // The body is a document read as sent, in one of these media types
  // (lower-case, "message/rfc822"); any other Content-Type answers 415.
  std::vector<std::string> raw_body_types;
};

struct ApiRequest;
using Handler = std::function<Reply(ApiRequest&)>;

struct Route {
  Route(std::string method_in, std::string path_in, std::optional<services::Access> access_in,
        Handler handler_in, RouteDoc doc_in)
      : method(std::move(method_in)),
        path(std::move(path_in)),
        access(access_in),
        handler(std::move(handler_in)),
        doc(std::move(doc_in)) {}

  std::string method;  // GET, POST, PATCH, DELETE
  std::string path;    // template
  // nullopt: public. Otherwise the request must be authenticated and the
  // principal's role must allow this access (services::Authorize).
  std::optional<services::Access> access;
  Handler handler;
  RouteDoc doc;

  // Filled by Router::Add.
  std::vector<std::string> segments;
  size_t index = 0;  // position in the table (metrics slot)
};

class Router {
 public:
  void Add(Route route);

  struct Found {
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    std::string allowed;  // methods that match the path, when route is null ("GET, PATCH")
  };
  // Prefers, among the routes that match, the one with more literal segments.
  Found Find(std::string_view method, const std::vector<std::string>& segments) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// "/api/v1/customers/a%2Fb" -> {"api", "v1", "customers", "a/b"}. One
// trailing slash is ignored. nullopt when a %-escape is malformed.
std::optional<std::vector<std::string>> SplitPath(std::string_view raw_path);

// The path part of a request target (before '?'), still percent-encoded.
std::string_view RawPath(const std::string& target);

}  // namespace relance::http
