// POST /webhooks/{connector}/{token} (public): a source's change
// notification for one connection, found by the unguessable token of its
// webhook URL. The answer must be fast: the delivery is parsed and its hints
// stored (sync::ConnectionService::ReceiveWebhook); the runner applies them.
// Sellsy expects exactly {"success":true}, and checks the address with a
// GET first.
#include "http/crud.h"

namespace relance::http {
namespace {

using services::Access;

constexpr size_t kMaxWebhookBytes = 64 * 1024;

OrderedJson Success() { return {{"success", true}}; }

}  // namespace

void AddWebhookRoutes(Router& r, const Api& api) {
  const Api* a = &api;
  const std::string path = "/webhooks/{connector}/{token}";
  {
    RouteDoc doc{"Webhooks", "Receive a change notification",
                 "The address given to the source when the connection's webhook is registered. "
                 "The body is the source's own format (Sellsy: a form with a notif field). "
                 "Unknown address: 404; unreadable delivery: 400 naming what is wrong; body over "
                 "64 KiB: 413. The changes are applied by the sync runner shortly after.",
                 "receiveWebhook"};
    doc.response_schema = "WebhookAck";
    doc.any_content_type = true;
    r.Add({"POST", path, std::nullopt,
           [a](ApiRequest& req) -> Reply {
             if (req.body.size() > kMaxWebhookBytes) {
               return ErrorReply(PayloadTooLarge(kMaxWebhookBytes));
             }
             auto stored =
                 a->connections.ReceiveWebhook(req.PathParam("connector"), req.PathParam("token"),
                                               req.http.get_header_value("Content-Type"), req.body);
             if (!stored.ok()) {
               const Error& e = stored.error();
               if (e.code() == ErrorCode::kInvalidArgument) {
                 // The delivery cannot be read: not a field of a resource.
                 return ErrorReply(Error(ErrorCode::kMalformed, e.message(), e.details()));
               }
               return ErrorReply(e);
             }
             return JsonReply(200, Success());
           },
           std::move(doc)});
  }
  {
    RouteDoc doc{"Webhooks", "Check the webhook address",
                 "Sources check an address with a GET before they use it: always 200.",
                 "checkWebhook"};
    doc.response_schema = "WebhookAck";
    r.Add({"GET", path, std::nullopt,
           [](ApiRequest&) -> Reply { return JsonReply(200, Success()); }, std::move(doc)});
  }
}

}  // namespace relance::http
