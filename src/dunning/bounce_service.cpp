#include "dunning/bounce_service.h"

#include <algorithm>

#include "dunning/action_updates.h"
#include "store/bounce_queries.h"
#include "store/record_repository.h"

namespace relance::dunning {
namespace {

// Worded like the executor's session-time refusal ("the SMTP server
// refused x: 550 ..."), saying it came back after acceptance.
std::string Reason(const delivery::DsnRecipient& r) {
  std::string out = "the recipient's mail server refused " +
                    (r.address.empty() ? std::string("a recipient") : r.address) +
                    " after accepting the message (bounce " + r.status + ")";
  if (!r.diagnostic.empty()) out += ": " + r.diagnostic;
  return out;
}

bool OneOf(const std::string& s, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

}  // namespace

Result<BounceOutcome> BounceService::Apply(const services::Principal& p,
                                           std::string_view raw_message) const {
  RETURN_IF_ERROR(services::Authorize(p, services::Access::kWrite));
  ASSIGN_OR_RETURN(delivery::DeliveryStatusNotification dsn, delivery::ParseDsn(raw_message));
  BounceOutcome out;
  out.message_id = dsn.original_message_id;
  out.recipients = dsn.recipients;
  out.permanent = dsn.HasPermanentFailure();
  std::string reason;
  for (const auto& r : dsn.recipients) {
    if (r.permanent) reason += (reason.empty() ? "" : "; ") + Reason(r);
  }
  const Timestamp now = ctx_.clock.Now();
  store::RecordRepository<domain::Action> repo(domain::ActionSpec());
  RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](store::Connection& c) -> Result<void> {
    out.changed = false;
    out.note.clear();
    ASSIGN_OR_RETURN(auto id, store::FindActionIdByMessageId(c, p.org_id, out.message_id));
    if (!id) {
      return NotFound("no e-mail sent by Relance in this organization has the Message-ID <" +
                      out.message_id + ">");
    }
    ASSIGN_OR_RETURN(out.action, repo.Get(c, p.org_id, *id));
    domain::Action& a = out.action;
    if (!out.permanent) {
      out.note = "the report is not a permanent failure (delayed or delivered): nothing recorded";
      return Ok();
    }
    if (a.status == "COMMITTING") {
      return Conflict("action " + a.meta.id +
                      " is still being handed to the SMTP server; "
                      "apply the bounce again in a moment");
    }
    if (OneOf(a.status, {"DONE", "IGNORED", "SKIPPED"})) {
      out.note = "action " + a.meta.id + " was already closed (" + a.status + "): nothing changed";
      return Ok();
    }
    if (!OneOf(a.status, {"SENT", "UNCERTAIN", "FAILED"})) {
      return Error(ErrorCode::kFailedPrecondition,
                   "action " + a.meta.id + " is " + a.status +
                       ": it waits to be sent (again), so a bounce of its message applies no more",
                   {{"status", "is " + a.status}});
    }
    const std::string before = a.last_error.value_or("");
    if (a.status == "FAILED" && before.find(reason) != std::string::npos) {
      out.note = "this bounce was already recorded: nothing changed";
      return Ok();
    }
    // Another recipient's bounce, already recorded, stays beside this one.
    std::string failure = a.status == "FAILED" && before.find("bounce ") != std::string::npos
                              ? before + "; " + reason
                              : reason;
    // The action was read in this transaction: written as it is now.
    MarkFailed(a, std::move(failure));
    RETURN_IF_ERROR(WriteAction(c, a, now));
    out.changed = true;
    return Ok();
  }));
  return out;
}

}  // namespace relance::dunning
