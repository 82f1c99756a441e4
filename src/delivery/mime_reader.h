// Reading received MIME messages (RFC 5322, RFC 2045/2046), the inbound
// counterpart of mime_message.h: just what the bounce parser needs, as pure
// functions over bytes with bounded work, so hostile input ends in a clear
// error, never a crash or an unbounded allocation.
//
// Input convention: text whose line ends are already LF only (call
// NormalizeLineEnds first; CRLF and lone CR become LF). Views returned point
// into the caller's text, which must outlive them.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace relance::delivery::mime {

// CRLF and lone CR become LF.
std::string NormalizeLineEnds(std::string_view text);

struct Field {
  std::string name;   // as written ("Final-Recipient")
  std::string value;  // unfolded (continuation lines joined), trimmed
};

// Header fields of a block of "Name: value" lines with folding (RFC 5322
// §2.2.3); lines that are not fields are skipped. At most `max_fields`.
std::vector<Field> ParseFields(std::string_view block, size_t max_fields = 1000);

// The value of the first field named `name` (ASCII case-insensitive), or
// nullptr.
const std::string* FindField(const std::vector<Field>& fields, std::string_view name);

// An entity: its header fields and its body, still transfer-encoded.
struct Entity {
  std::vector<Field> headers;
  std::string_view body;
};
// Splits at the first empty line (no empty line: all header, empty body).
Entity ParseEntity(std::string_view text);

struct ContentType {
  std::string type = "text";                  // lower-case
  std::string subtype = "plain";              // lower-case
  std::map<std::string, std::string> params;  // names lower-case, values unquoted

  bool Is(std::string_view t, std::string_view s) const { return type == t && subtype == s; }
  std::string Param(const std::string& name) const;  // "" when absent
};
// "multipart/report; report-type=delivery-status; boundary=\"x\"". A missing
// or unreadable value is text/plain (RFC 2045 §5.2).
ContentType ParseContentType(const std::string* value);

// The body parts of a multipart body between "--boundary" lines, up to the
// closing "--boundary--". kInvalidArgument when the boundary never appears
// or there are more than `max_parts`.
Result<std::vector<std::string_view>> SplitMultipart(std::string_view body,
                                                     std::string_view boundary, size_t max_parts);

// The body decoded from its Content-Transfer-Encoding (base64,
// quoted-printable; anything else is returned as is). Bad base64 characters
// are skipped, as mail readers do.
std::string DecodeBody(const Entity& entity);

// Lower-case ASCII copy.
std::string Lower(std::string_view s);
std::string_view Trim(std::string_view s);

}  // namespace relance::delivery::mime
