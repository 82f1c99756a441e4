// SmsSender for Twilio's Messages API (2010-04-01): one form-encoded POST
// to {base_url}/2010-04-01/Accounts/{account_sid}/Messages.json with HTTP
// Basic auth (account SID, auth token); the answer's "sid" is the result.
//
// Errors (channels.h): a transport failure, 429 or 5xx is kUnavailable; any
// other 4xx is kFailedPrecondition carrying Twilio's code and message
// ("the SMS provider refused the request (HTTP 400): error 21211: The 'To'
// number ... is not a valid phone number"); 401 says the credentials are wrong.
//
// Double sends: Twilio has no idempotency key for creating a message: a POST
// retried after a timeout sends a second SMS, and SmsMessage::idempotency_key
// cannot be passed on. What prevents a double send is the dunning executor's
// outbox, which records the intent before calling Send and does not blindly
// retry an attempt whose outcome is unknown. This class only reports: a
// transport failure after the request left is kUnavailable like any other.
//
// Thread safety: Send may be called from several threads at once.
#pragma once

#include <string>

#include "delivery/channels.h"

namespace relance::delivery {

struct TwilioSettings {
  std::string base_url = "https://api.twilio.com";  // no trailing slash needed
  std::string account_sid;                          // "AC" + 32 hex
  std::string auth_token;
  // Exactly one of the two: the sending number (E.164, short code or
  // alphanumeric sender ID) or a Messaging Service that picks it.
  std::string from;
  std::string messaging_service_sid;
  long timeout_ms = 30000;
};

class TwilioSmsSender final : public SmsSender {
 public:
  explicit TwilioSmsSender(TwilioSettings settings);

  // Returns the message SID ("SM" + 32 hex).
  Result<std::string> Send(const SmsMessage& message) override;

 private:
  const TwilioSettings settings_;
};

}  // namespace relance::delivery
