// EmailSender over SMTP (RFC 5321) with libcurl: one connection per message,
// the MIME bytes built by mime_message.h, the BeforeCommit hook run between
// the last byte of the message and the final "." that commits it.
//
// Outcomes of Send (see channels.h for the convention):
// - OK: the server's reply to the final dot ("250 2.0.0 OK queued as 12").
// - kUnavailable: connection refused or dropped, a timeout, a 4xx reply.
//   When the connection drops or times out once the whole message is sent
//   (after BeforeCommit ran) with no reply, the server may have accepted it:
//   that error is OutcomeUnknownError (channels.h), so the outbox does not
//   resend blindly. A 4xx/5xx reply to the final dot is an ordinary error.
// - kFailedPrecondition: a 5xx reply, naming what the server refused (the
//   recipient address for RCPT, the sender for MAIL FROM, the message for
//   DATA, the credentials for AUTH) with the server's reply text; an unusable
//   address or message; TLS required but not available.
// - The BeforeCommit hook's own error when it fails: the server then never
//   sees the dot and keeps nothing.
// A recipient refused by RCPT fails the whole message (nobody receives it),
// so a retry after fixing the address cannot send a duplicate to the others.
//
// Thread safety: Send may be called from several threads at once (each call
// has its own libcurl handle); the settings are read-only after construction.
#pragma once

#include <string>

#include "delivery/channels.h"

namespace relance::delivery {

struct SmtpSettings {
  // "smtp://127.0.0.1:2525" (STARTTLS when offered) or "smtps://host:465"
  // (implicit TLS). An optional path names the EHLO domain:
  // "smtp://mail.example.com:587/relance.example.com".
  std::string url;
  std::string user;  // AUTH when not empty
  std::string password;
  // Refuse to send unless the connection is encrypted (STARTTLS required on
  // smtp://); without it, STARTTLS is used when the server offers it.
  bool require_tls = false;
  // Connecting, and each wait for a server reply or for progress on the
  // upload, may take this long before the send fails as kUnavailable.
  long timeout_ms = 30000;
};

class SmtpEmailSender final : public EmailSender {
 public:
  explicit SmtpEmailSender(SmtpSettings settings);

  Result<std::string> Send(const EmailMessage& message, const BeforeCommit& before_commit) override;

 private:
  const SmtpSettings settings_;
};

}  // namespace relance::delivery
