// Bounces after acceptance (R-DUN-4, R-DUN-6): a delivery status
// notification received for an e-mail the SMTP server had accepted marks
// the action that sent it as a permanent failure, recorded exactly as a
// refusal during the SMTP session is (FAILED with the recipient and the
// remote server's diagnostic, action_updates.h), so it shows on the action
// and in the to-do list.
//
// The action is found by the original Message-ID within the principal's
// organization. One transaction: nothing is half-written. Idempotent: the
// same bounce again changes nothing. A transient report (delayed, 4.x.x)
// or a success report records nothing.
//
// Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "delivery/dsn_parser.h"
#include "domain/entities.h"
#include "services/context.h"

namespace relance::dunning {

struct BounceOutcome {
  std::string message_id;  // of the original message, without angle brackets
  domain::Action action;   // as it is after the bounce
  // What the report said of each recipient; permanent ones made the action FAILED.
  std::vector<delivery::DsnRecipient> recipients;
  bool permanent = false;  // the report has a permanent failure
  bool changed = false;    // this call wrote it (false: transient, or already recorded)
  std::string note;        // why nothing changed, when nothing did
};

class BounceService {
 public:
  explicit BounceService(services::Context ctx) : ctx_(ctx) {}

  // `raw_message` is the bounce as received (RFC 5322). Errors: the
  // parser's kInvalidArgument (not a bounce, and why) or kResourceExhausted;
  // kNotFound when no action of the organization sent that Message-ID;
  // kFailedPrecondition when the action has not been sent (it waits to be
  // sent again); kConflict (retry) while it is being handed to the server;
  // kPermissionDenied for read-only users.
  Result<BounceOutcome> Apply(const services::Principal& p, std::string_view raw_message) const;

 private:
  services::Context ctx_;
};

}  // namespace relance::dunning
