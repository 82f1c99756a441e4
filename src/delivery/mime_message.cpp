#include "delivery/mime_message.h"

#include <algorithm>
#include <cstdio>

#include "net/curl_support.h"
#include "delivery/mime_encoding.h"

namespace relance::delivery {

using net::FailedPrecondition;
namespace {

std::string AddressList(const std::vector<std::string>& addresses) {
  std::string out;
  for (size_t i = 0; i < addresses.size(); ++i) {
    if (i > 0) out += ",\r\n ";  // folded: a long Cc list stays under 78 a line
    out += addresses[i];
  }
  return out;
}

// A MIME parameter ("name=..."), quoted, on its own folded line. A non-ASCII
// file name uses RFC 2231 encoding, split into numbered continuations
// (filename*0*=, filename*1*=) so no header line passes 78 characters.
std::string FileNameParam(std::string_view key, std::string_view file_name) {
  std::string clean(file_name);
  for (char& c : clean) {
    if (c == '\r' || c == '\n' || c == '"' || c == '\\') c = '_';
  }
  if (IsAscii(clean)) return ";\r\n " + std::string(key) + "=\"" + clean + "\"";
  std::string value = Rfc2231Value(clean);
  constexpr size_t kChunk = 60;
  if (value.size() <= kChunk) return ";\r\n " + std::string(key) + "*=" + value;
  std::string out;
  size_t i = 0;
  for (int n = 0; i < value.size(); ++n) {
    size_t end = std::min(value.size(), i + kChunk);
    // Never split a %XX escape.
    if (end < value.size() && value[end - 1] == '%') end -= 1;
    if (end < value.size() && end >= 2 && value[end - 2] == '%') end -= 2;
    out += ";\r\n " + std::string(key) + "*" + std::to_string(n) + "*=" + value.substr(i, end - i);
    i = end;
  }
  return out;
}

void AppendTextPart(std::string& out, std::string_view content_type, std::string_view text) {
  out += "Content-Type: ";
  out += content_type;
  out += "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
  out += QuotedPrintable(text);
  out += "\r\n";
}

std::string ContentTypeOf(const Attachment& a) {
  std::string type = a.content_type.empty() ? "application/octet-stream" : a.content_type;
  for (char& c : type) {
    if (c == '\r' || c == '\n' || c == ';' || c == '"') c = '_';
  }
  return type;
}

}  // namespace

Result<void> CheckMailAddress(std::string_view address, std::string_view role) {
  std::string shown = "the " + std::string(role) + " address \"" + std::string(address) + "\"";
  if (address.empty()) return FailedPrecondition("the " + std::string(role) + " address is empty");
  size_t at = address.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size() ||
      address.find('@', at + 1) != std::string_view::npos) {
    return FailedPrecondition(shown + " is not an e-mail address");
  }
  for (unsigned char c : address) {
    if (c <= ' ' || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' || c == 0x7F) {
      return FailedPrecondition(shown + " contains a character an e-mail address cannot hold");
    }
    if (c >= 0x80) {
      // Internationalized addresses need SMTPUTF8 end to end; refuse rather
      // than send a message some relays would bounce later.
      return FailedPrecondition(shown +
                                " is not ASCII (internationalized addresses are not supported)");
    }
  }
  return Ok();
}

std::string Rfc5322Date(std::time_t t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

Result<std::string> BuildMimeMessage(const EmailMessage& message, std::time_t now,
                                     std::string_view boundary_seed) {
  RETURN_IF_ERROR(CheckMailAddress(message.from_address, "sender"));
  if (!message.reply_to.empty()) RETURN_IF_ERROR(CheckMailAddress(message.reply_to, "reply-to"));
  if (message.to.empty()) return FailedPrecondition("the e-mail has no recipient");
  for (const auto& a : message.to) RETURN_IF_ERROR(CheckMailAddress(a, "recipient"));
  for (const auto& a : message.cc) RETURN_IF_ERROR(CheckMailAddress(a, "copy"));
  if (message.message_id.empty() || message.message_id.find('@') == std::string::npos) {
    return FailedPrecondition("the Message-ID \"" + message.message_id + "\" has no \"@\"");
  }
  for (unsigned char c : message.message_id) {
    if (c <= ' ' || c >= 0x7F || c == '<' || c == '>') {
      return FailedPrecondition("the Message-ID \"" + message.message_id +
                                "\" contains a character it cannot hold");
    }
  }

  // "=_" cannot occur in quoted-printable or base64 output, so a boundary
  // starting with it never collides with the content.
  std::string mixed = "=_relance_mixed_" + std::string(boundary_seed);
  std::string alternative = "=_relance_alt_" + std::string(boundary_seed);

  std::string out;
  out.reserve(message.text_body.size() + message.html_body.size() * 11 / 10 + 2048);
  out += "Date: " + Rfc5322Date(now) + "\r\n";
  out += "From: ";
  if (!message.from_name.empty()) out += EncodeDisplayName(message.from_name) + " ";
  out += "<" + message.from_address + ">\r\n";
  if (!message.reply_to.empty()) out += "Reply-To: <" + message.reply_to + ">\r\n";
  out += "To: " + AddressList(message.to) + "\r\n";
  if (!message.cc.empty()) out += "Cc: " + AddressList(message.cc) + "\r\n";
  out += "Subject: " + EncodeHeaderText(message.subject, 9) + "\r\n";
  out += "Message-ID: <" + message.message_id + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: multipart/mixed; boundary=\"" + mixed + "\"\r\n";
  out += "\r\nThis is a multi-part message in MIME format.\r\n";

  out += "\r\n--" + mixed + "\r\n";
  if (message.html_body.empty()) {
    AppendTextPart(out, "text/plain", message.text_body);
  } else {
    out += "Content-Type: multipart/alternative; boundary=\"" + alternative + "\"\r\n";
    out += "\r\n--" + alternative + "\r\n";
    AppendTextPart(out, "text/plain", message.text_body);
    out += "\r\n--" + alternative + "\r\n";
    AppendTextPart(out, "text/html", message.html_body);
    out += "\r\n--" + alternative + "--\r\n";
  }
  for (const auto& attachment : message.attachments) {
    out += "\r\n--" + mixed + "\r\n";
    out += "Content-Type: " + ContentTypeOf(attachment) +
           FileNameParam("name", attachment.file_name) + "\r\n";
    out += "Content-Disposition: attachment" + FileNameParam("filename", attachment.file_name) +
           "\r\n";
    out += "Content-Transfer-Encoding: base64\r\n\r\n";
    out += Base64Lines(attachment.bytes);
  }
  out += "\r\n--" + mixed + "--\r\n";
  return out;
}

}  // namespace relance::delivery
