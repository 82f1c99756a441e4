// Bounces: delivery status notifications received after an SMTP server had
// accepted a message (RFC 3464 inside an RFC 6522 multipart/report), read
// into what happened to each recipient and which message it was about.
// Pure (no I/O), bounded (kMaxDsnBytes, a fixed number of parts and
// fields), safe on any input: garbage is an error value, never a crash.
//
// Only `Action: failed` with a 5.x.x status is a permanent failure; a
// delayed delivery or a 4.x.x status is transient (the remote server keeps
// trying), and delivered / relayed / expanded are successes.
//
// Thread-safe (no state).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace relance::delivery {

// Bounces quote at most the original's headers or a small copy of it.
inline constexpr size_t kMaxDsnBytes = 4 * 1024 * 1024;

struct DsnRecipient {
  std::string address;     // Final-Recipient (else Original-Recipient), "ap@martin.test"
  std::string action;      // lower-case: failed, delayed, delivered, relayed, expanded
  std::string status;      // "5.1.1"; empty when the report gave none that reads
  std::string diagnostic;  // Diagnostic-Code without its type: "550 5.1.1 user unknown"
  bool permanent = false;  // action failed with a 5.x.x status
};

struct DeliveryStatusNotification {
  // The Message-ID of the message the report is about, without angle
  // brackets ("act_01J...@acme.test").
  std::string original_message_id;
  std::string reporting_mta;             // "dns; mx.martin.test"; may be empty
  std::vector<DsnRecipient> recipients;  // at least one

  bool HasPermanentFailure() const;
};

// kInvalidArgument naming why the message is not a usable bounce: not a
// multipart/report of report-type delivery-status, no delivery-status part,
// no per-recipient fields, no Message-ID of the original message (from a
// message/rfc822 or text/rfc822-headers part, else the bounce's
// In-Reply-To / References). kResourceExhausted above kMaxDsnBytes.
// Accepts CRLF or LF line ends, folded headers, any case of field names,
// quoted parameters, base64 / quoted-printable parts, and the
// internationalized types of RFC 6533 (message/global-delivery-status...).
Result<DeliveryStatusNotification> ParseDsn(std::string_view raw_message);

}  // namespace relance::delivery
