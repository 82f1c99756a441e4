// The routes every record resource shares, written once for any entity T
// served by a services::RecordService<T>:
//
//   GET    {base}                         list (filters, sort, cursor)
//   GET    {base}/{id}                    one record (ETag: "<version>")
//   POST   {base}                         create (201; Idempotency-Key)
//   PATCH  {base}/{id}                    update (If-Match or "version")
//   DELETE {base}/{id}                    delete (204)
//   GET    {base}/external/{external_id}  by external id (when enabled)
//   PATCH  {base}/external/{external_id}
//
// A resource picks the routes it has, adds list parameters, decorates the
// JSON (Present) or replaces one operation's handler (payments create with
// allocations, users create with a password). Internal to src/http.
#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http/api.h"
#include "http/json_codec.h"
#include "http/list_query.h"

namespace relance::http {

template <typename T>
struct Resource {
  std::string base;      // "/api/v1/customers"
  std::string schema;    // "Customer": components/schemas name
  std::string tag;       // "Customers"
  std::string singular;  // "customer", for summaries
  services::Access write_access = services::Access::kWrite;

  bool list = true;
  bool get = true;
  bool create = true;
  bool update = true;
  bool remove = true;
  bool by_external_id = false;

  std::vector<ListParam> list_params;

  // Set: list pages are kept in Api::list_pages under this table's change
  // stamp (store/change_stamps.h must stamp it) and the organization's
  // today's date (for lists whose members depend on the day, like an
  // invoice's status).
  std::string cached_table;

  // Turns records into JSON for one request; `single` is true for the
  // one-record responses (get, create, update). Default: RecordToJson.
  std::function<Result<std::vector<OrderedJson>>(const ApiRequest&, std::span<const T>,
                                                 bool single)>
      present;
  // The list page as JSON text: appends the records, comma-separated, to
  // `out`, with the same members `present` gives them. Lists use it when
  // set, or when `present` is not (RecordToJson's members via
  // AppendRecordJson); a resource whose `present` adds members to lists
  // sets it too, so that lists never build a JSON tree.
  std::function<Result<void>(const ApiRequest&, std::span<const T>, std::string& out)> list_text;

  // Called by the generic create (`id` null) and update handlers once the
  // body decoded without error, before the service writes; an error is the
  // reply. For checks beyond the entity's rules that need the HTTP edge's
  // collaborators (a dunning step's template, rendered by src/delivery).
  std::function<Result<void>(const ApiRequest&, const nlohmann::json& body, const std::string* id)>
      check_body;

  // Replacements of the generic handlers, with the doc to publish.
  Handler create_handler;
  std::string create_schema;  // request schema of the replacement
  std::string create_response_schema;
  Handler get_handler;
  std::string get_response_schema;
  Handler remove_handler;
};

// Helpers shared by the generic routes and the resources' own handlers.

// Parses the body; on error returns the error reply.
Result<nlohmann::json> BodyObject(const ApiRequest& req);
// The same, for verbs whose body is optional: an empty body is {}.
Result<nlohmann::json> OptionalBodyObject(const ApiRequest& req);
// kInvalidArgument with one detail per member of `body` not in `known`
// ("is not a member of <what> (a, b)"), so a typo is never ignored.
Result<void> OnlyMembers(const nlohmann::json& body, std::initializer_list<std::string_view> known,
                         std::string_view what);
// If-Match header ("3", "\"3\"", W/"3") or a "version" member; the header
// wins when both are given and they differ (422).
Result<std::optional<int64_t>> ExpectedVersion(const ApiRequest& req, const nlohmann::json& body);
// A one-record reply with ETag.
Reply RecordReply(int status, const OrderedJson& record);
// Ends the list envelope `{"data":[ ...` written into `body`: `],"next_cursor":...}`.
void ClosePageEnvelope(std::string& body, const std::optional<std::string>& next_cursor);
// A page of records in the list envelope, written straight to text.
template <typename T>
Reply RecordsPageReply(const store::Page<T>& page) {
  Reply reply;
  reply.body = "{\"data\":[";
  AppendRecordsJson(reply.body, std::span<const T>(page.items));
  ClosePageEnvelope(reply.body, page.next_cursor);
  return reply;
}
// Inserts `key` before member `before` (or at the end), keeping the order of
// the others: computed members go with the fields, before "version".
void InsertBefore(OrderedJson& object, std::string_view before, const std::string& key,
                  OrderedJson value);
// The record's external references (connector, external id, owned fields),
// so a client can show which fields a connector owns (R-SELLSY-8).
Result<OrderedJson> ExternalRefsJson(const Api& api, const services::Principal& p,
                                     std::string_view entity, const std::string& record_id);

template <typename T>
void AddResourceRoutes(Router& router, const Api& api, const services::RecordService<T>& service,
                       Resource<T> resource);

}  // namespace relance::http
