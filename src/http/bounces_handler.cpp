// POST /api/v1/bounces (R-DUN-4, R-DUN-6): a bounce received after the SMTP
// server accepted a message, posted raw (message/rfc822 or text/plain), for
// example by a mail gateway's webhook. The action that sent the original
// becomes FAILED with the recipient and the diagnostic, in the to-do list
// (dunning::BounceService). 200 says what was applied; 422 when the body is
// not a bounce (and why), 404 when no action sent that Message-ID.
#include "http/crud.h"

namespace relance::http {
namespace {

using services::Access;

OrderedJson BounceJson(const dunning::BounceOutcome& b) {
  OrderedJson recipients = OrderedJson::array();
  for (const auto& r : b.recipients) {
    recipients.push_back({{"address", r.address},
                          {"action", r.action},
                          {"status", r.status},
                          {"diagnostic", r.diagnostic},
                          {"permanent", r.permanent}});
  }
  OrderedJson j = OrderedJson::object();
  j["action_id"] = b.action.meta.id;
  j["message_id"] = b.message_id;
  j["status"] = b.action.status;
  j["last_error"] = b.action.last_error ? OrderedJson(*b.action.last_error) : OrderedJson(nullptr);
  j["permanent"] = b.permanent;
  j["changed"] = b.changed;
  if (!b.note.empty()) j["note"] = b.note;
  j["recipients"] = std::move(recipients);
  return j;
}

}  // namespace

void AddBounceRoutes(Router& r, const Api& api) {
  RouteDoc doc{"Actions", "Apply a bounce",
               "The body is a delivery status notification as received (RFC 3464 in an RFC 6522 "
               "multipart/report, or qmail's plain-text bounce). When it reports a permanent "
               "failure (Action: failed, Status 5.x.x) the action whose e-mail carried the "
               "quoted Message-ID becomes FAILED with the recipient and the remote server's "
               "diagnostic, and shows in the to-do list (R-DUN-4, R-DUN-6). A delayed or "
               "success report records nothing; the same bounce again changes nothing "
               "(changed: false). 422 when the body is not a bounce, naming why; 404 when no "
               "action of the organization sent that Message-ID.",
               "applyBounce"};
  doc.response_schema = "BounceResult";
  doc.raw_body_types = {"message/rfc822", "text/plain"};
  r.Add({"POST", "/api/v1/bounces", Access::kWrite,
         [&api](ApiRequest& req) -> Reply {
           auto applied = api.bounces.Apply(req.who(), req.body);
           if (!applied.ok()) return ErrorReply(applied.error());
           return JsonReply(200, BounceJson(*applied));
         },
         std::move(doc)});
}

}  // namespace relance::http
