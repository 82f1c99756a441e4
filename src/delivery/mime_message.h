// Builds the RFC 5322 / MIME bytes of an EmailMessage: headers (Date, From,
// Reply-To, To, Cc, Subject, Message-ID, MIME-Version), then
// multipart/mixed holding the body (multipart/alternative of text/plain and
// text/html, both UTF-8 quoted-printable, or text/plain alone) and the
// attachments in base64. CRLF line ends; every byte is 7-bit ASCII, so the
// message needs no 8BITMIME or SMTPUTF8 from the server.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

#include "core/result.h"
#include "delivery/channels.h"

namespace relance::delivery {

// Checks an address for use in a header and in the SMTP envelope: one "@",
// no spaces, no CR/LF, no angle brackets or commas (which would let one
// string name several recipients).
Result<void> CheckMailAddress(std::string_view address, std::string_view role);

// `now` is the Date header; `boundary_seed` makes the MIME boundaries unique
// (any text of letters and digits; the Message-ID hash is fine). Fails with
// kFailedPrecondition when an address is unusable or there is no recipient.
Result<std::string> BuildMimeMessage(const EmailMessage& message, std::time_t now,
                                     std::string_view boundary_seed);

// "Mon, 02 Mar 2026 08:15:00 +0000", independent of the C locale.
std::string Rfc5322Date(std::time_t t);

}  // namespace relance::delivery
