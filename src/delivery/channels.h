// What the dunning executor hands to the outside world, and the senders that
// carry it: e-mail over SMTP, SMS through a Twilio-style HTTP API, letters
// through a postal provider's HTTP API. One interface per channel so the
// executor (src/dunning/) never knows which provider or protocol is behind it,
// and tests can point each at a loopback server (tests/emulators/).
//
// Errors: a transient failure (connection refused, timeout, SMTP 4xx, HTTP
// 429/5xx) is ErrorCode::kUnavailable, so IsRetryable() is true and the
// outbox retries with backoff. A permanent one (recipient rejected, SMTP
// 5xx, HTTP 4xx other than 429, an unroutable phone number) is
// kFailedPrecondition with a message a finance user can act on ("the SMTP
// server refused compta@example.com: 550 mailbox unavailable").
//
// Thread safety: a sender may be called from several threads at once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/result.h"

namespace relance::delivery {

struct Attachment {
  std::string file_name;     // "FA-2026-0042.pdf"
  std::string content_type;  // "application/pdf"
  std::string bytes;
};

struct EmailMessage {
  // The full Message-ID header value without angle brackets, chosen by the
  // caller and stable across retries ("act_01H...@relance.invalid"), so a
  // retry after a crash carries the same id.
  std::string message_id;
  std::string from_address;  // "relances@acme.fr"
  std::string from_name;     // "ACME SAS"; may be empty
  std::string reply_to;      // may be empty
  std::vector<std::string> to;
  std::vector<std::string> cc;
  std::string subject;
  std::string text_body;  // the plain-text part, always present
  std::string html_body;  // limited HTML; empty = text only
  std::vector<Attachment> attachments;
};

// Called once the whole message has been transmitted and just before the
// final "." that makes the server accept it. If it fails, the connection is
// dropped without that dot (so the server discards the message) and Send
// returns its error. The executor uses it to record durably that the outcome
// is about to become uncertain: a crash before the hook means "not sent", a
// crash after it means "perhaps sent".
using BeforeCommit = std::function<Result<void>()>;

// A failure after BeforeCommit ran is of two kinds: the server answered
// (a 4xx/5xx reply to the final dot: definitely not accepted, safe to retry
// or to report) or its answer was lost (the connection dropped or timed out
// after the dot: it may have been accepted). Senders report the second kind
// with OutcomeUnknownError so the executor never resends it blindly.
inline constexpr std::string_view kOutcomeUnknownPrefix = "outcome unknown: ";
inline Error OutcomeUnknownError(std::string message) {
  return Unavailable(std::string(kOutcomeUnknownPrefix) + message);
}
inline bool IsOutcomeUnknown(const Error& e) {
  return e.message().rfind(kOutcomeUnknownPrefix, 0) == 0;
}

class EmailSender {
 public:
  virtual ~EmailSender() = default;
  // Returns the server's acceptance line ("250 2.0.0 OK queued as 12").
  virtual Result<std::string> Send(const EmailMessage& message,
                                   const BeforeCommit& before_commit) = 0;
};

struct SmsMessage {
  std::string idempotency_key;  // stable across retries
  std::string to;               // E.164 "+33612345678"
  std::string body;
};

class SmsSender {
 public:
  virtual ~SmsSender() = default;
  // Returns the provider's message id ("SM...").
  virtual Result<std::string> Send(const SmsMessage& message) = 0;
};

struct PostalAddress {
  std::string name;
  std::string street;
  std::string postal_code;
  std::string city;
  std::string country;  // ISO 3166-1 alpha-2
};

struct Letter {
  std::string idempotency_key;  // stable across retries
  PostalAddress sender;
  PostalAddress recipient;
  std::string pdf;  // the rendered letter (letter_renderer.h)
};

class LetterSender {
 public:
  virtual ~LetterSender() = default;
  // Returns the provider's letter id.
  virtual Result<std::string> Send(const Letter& letter) = 0;
};

}  // namespace relance::delivery
