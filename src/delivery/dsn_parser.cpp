#include "delivery/dsn_parser.h"

#include <cctype>

#include "delivery/mime_reader.h"

namespace relance::delivery {
namespace {

using mime::Entity;
using mime::Field;
using mime::FindField;
using mime::Lower;
using mime::Trim;

constexpr size_t kMaxParts = 32;
constexpr size_t kMaxRecipients = 100;
// A multipart/report nested in a multipart/mixed (some gateways wrap it) is
// looked for this deep, no deeper.
constexpr int kMaxDepth = 3;

Error NotADsn(const std::string& why) {
  return InvalidArgument("not a delivery status notification: " + why);
}

// The first "<...>" of a Message-ID / In-Reply-To value, else the value;
// without brackets. References lists the thread oldest first: `last` takes
// its last id (the message the bounce answers).
std::string MessageIdOf(std::string_view value, bool last = false) {
  std::string_view found;
  for (size_t open = value.find('<'); open != std::string_view::npos;
       open = value.find('<', open + 1)) {
    size_t close = value.find('>', open);
    if (close == std::string_view::npos) break;
    found = value.substr(open + 1, close - open - 1);
    if (!last) break;
  }
  std::string_view id = Trim(found.empty() ? value : found);
  return id.find_first_of(" \t<>") == std::string_view::npos ? std::string(id) : std::string();
}

// "5.1.1" when `s` starts with a status code class.subject.detail.
std::string StatusCode(std::string_view s) {
  s = Trim(s);
  size_t n = 0, dots = 0;
  while (n < s.size() && (std::isdigit(static_cast<unsigned char>(s[n])) || s[n] == '.')) {
    dots += s[n] == '.';
    ++n;
  }
  std::string code(s.substr(0, n));
  const bool ok = dots == 2 && !code.empty() &&
                  (code[0] == '2' || code[0] == '4' || code[0] == '5') && code[1] == '.' &&
                  code.back() != '.' && code.find("..") == std::string::npos;
  return ok ? code : std::string();
}

// "rfc822; ap@martin.test" -> "ap@martin.test"; "smtp; 550 ..." -> "550 ...".
std::string AfterType(const std::string* value) {
  if (value == nullptr) return {};
  std::string_view v = *value;
  size_t semi = v.find(';');
  std::string_view rest = Trim(semi == std::string_view::npos ? v : v.substr(semi + 1));
  if (rest.size() >= 2 && rest.front() == '<' && rest.back() == '>') {
    rest = rest.substr(1, rest.size() - 2);
  }
  return std::string(rest);
}

DsnRecipient ReadRecipient(const std::vector<Field>& group) {
  DsnRecipient r;
  r.address = AfterType(FindField(group, "Final-Recipient"));
  if (r.address.empty()) r.address = AfterType(FindField(group, "Original-Recipient"));
  if (const auto* a = FindField(group, "Action")) r.action = Lower(Trim(*a));
  if (const auto* s = FindField(group, "Status")) r.status = StatusCode(*s);
  r.diagnostic = AfterType(FindField(group, "Diagnostic-Code"));
  r.permanent = r.action == "failed" && !r.status.empty() && r.status[0] == '5';
  return r;
}

// The delivery-status body: per-message fields, then one group of fields
// per recipient, separated by blank lines.
Result<void> ReadDeliveryStatus(std::string_view text, DeliveryStatusNotification& out) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t blank = text.find("\n\n", start);
    std::string_view block = text.substr(
        start, blank == std::string_view::npos ? std::string_view::npos : blank - start);
    std::vector<Field> group = mime::ParseFields(block, 100);
    if (FindField(group, "Final-Recipient") || FindField(group, "Original-Recipient") ||
        FindField(group, "Action")) {
      if (out.recipients.size() >= kMaxRecipients) {
        return NotADsn("more than " + std::to_string(kMaxRecipients) + " recipients");
      }
      out.recipients.push_back(ReadRecipient(group));
    } else if (const auto* mta = FindField(group, "Reporting-MTA")) {
      out.reporting_mta = *mta;
    }
    if (blank == std::string_view::npos) break;
    start = blank + 2;
  }
  if (out.recipients.empty()) return NotADsn("its delivery-status part names no recipient");
  return Ok();
}

// The parts of a report that matter, found among its body parts.
struct ReportParts {
  std::string status;               // decoded delivery-status text
  std::string original_message_id;  // from the original message's headers
  bool has_status = false;
};

Result<void> ReadReportParts(std::string_view body, const mime::ContentType& ct, ReportParts& out) {
  ASSIGN_OR_RETURN(auto parts, mime::SplitMultipart(body, ct.Param("boundary"), kMaxParts));
  for (std::string_view part : parts) {
    Entity e = mime::ParseEntity(part);
    mime::ContentType pct = mime::ParseContentType(FindField(e.headers, "Content-Type"));
    if (pct.type != "message" && !pct.Is("text", "rfc822-headers")) continue;
    if (!out.has_status &&
        (pct.subtype == "delivery-status" || pct.subtype == "global-delivery-status")) {
      out.status = mime::DecodeBody(e);
      out.has_status = true;
    } else if (out.original_message_id.empty() &&
               (pct.subtype == "rfc822" || pct.subtype == "rfc822-headers" ||
                pct.subtype == "global" || pct.subtype == "global-headers")) {
      std::string decoded = mime::DecodeBody(e);
      Entity original = mime::ParseEntity(decoded);
      if (const auto* id = FindField(original.headers, "Message-ID")) {
        out.original_message_id = MessageIdOf(*id);
      }
    }
  }
  return Ok();
}

// The multipart/report, here or inside a multipart/mixed wrapper.
Result<void> FindReport(const Entity& e, int depth, ReportParts& out) {
  mime::ContentType ct = mime::ParseContentType(FindField(e.headers, "Content-Type"));
  if (ct.Is("multipart", "report")) {
    std::string type = Lower(ct.Param("report-type"));
    if (type != "delivery-status" && type != "global-delivery-status") {
      return NotADsn("it is a multipart/report of report-type \"" + type +
                     "\", not delivery-status (RFC 3464)");
    }
    return ReadReportParts(e.body, ct, out);
  }
  if (ct.type == "multipart" && depth < kMaxDepth) {
    auto parts = mime::SplitMultipart(e.body, ct.Param("boundary"), kMaxParts);
    if (parts.ok()) {
      for (std::string_view part : *parts) {
        Entity inner = mime::ParseEntity(part);
        if (FindReport(inner, depth + 1, out).ok() && out.has_status) return Ok();
      }
    }
  }
  return NotADsn("its Content-Type is " + ct.type + "/" + ct.subtype +
                 ", not multipart/report; report-type=delivery-status (RFC 6522)");
}

// qmail's plain-text bounce ("Hi. This is the qmail-send program at ..."):
// "<address>:" then the reason, for the addresses it gave up on; the
// original follows "--- Below this line is a copy of the message.".
bool ReadQmailBounce(const Entity& e, DeliveryStatusNotification& out) {
  std::string_view body = e.body;
  if (!mime::ParseContentType(FindField(e.headers, "Content-Type")).Is("text", "plain")) {
    return false;
  }
  if (body.find("This is the qmail-send program") == std::string_view::npos) return false;
  const bool permanent = body.find("permanent error") != std::string_view::npos;
  size_t copy = body.find("--- Below this line is a copy of the message.");
  std::string_view report = body.substr(0, copy);
  size_t at = 0;
  while ((at = report.find("\n<", at)) != std::string_view::npos &&
         out.recipients.size() < kMaxRecipients) {
    size_t close = report.find(">:", at);
    if (close == std::string_view::npos) break;
    DsnRecipient r;
    r.address = std::string(report.substr(at + 2, close - at - 2));
    size_t end = report.find("\n\n", close);
    std::string reason(Trim(report.substr(
        close + 2, end == std::string_view::npos ? std::string_view::npos : end - close - 2)));
    for (char& c : reason) c = c == '\n' ? ' ' : c;
    size_t hash = reason.find("(#");
    r.status = hash == std::string::npos ? "" : StatusCode(reason.substr(hash + 2));
    if (r.status.empty()) r.status = permanent ? "5.0.0" : "4.0.0";
    r.action = permanent ? "failed" : "delayed";
    r.permanent = permanent && r.status[0] == '5';
    r.diagnostic = std::move(reason);
    out.recipients.push_back(std::move(r));
    at = close;
  }
  if (copy != std::string_view::npos) {
    size_t from = body.find('\n', copy);
    Entity original = mime::ParseEntity(
        from == std::string_view::npos ? std::string_view() : Trim(body.substr(from + 1)));
    if (const auto* id = FindField(original.headers, "Message-ID")) {
      out.original_message_id = MessageIdOf(*id);
    }
  }
  return !out.recipients.empty();
}

}  // namespace

bool DeliveryStatusNotification::HasPermanentFailure() const {
  for (const auto& r : recipients) {
    if (r.permanent) return true;
  }
  return false;
}

Result<DeliveryStatusNotification> ParseDsn(std::string_view raw_message) {
  if (raw_message.size() > kMaxDsnBytes) {
    return Error(ErrorCode::kResourceExhausted,
                 "the message is larger than " + std::to_string(kMaxDsnBytes / (1024 * 1024)) +
                     " MiB; a bounce quotes at most the original's headers");
  }
  const std::string text = mime::NormalizeLineEnds(raw_message);
  Entity top = mime::ParseEntity(text);
  if (top.headers.empty()) return NotADsn("it has no header fields (is it an e-mail?)");
  DeliveryStatusNotification out;
  if (!ReadQmailBounce(top, out)) {
    ReportParts parts;
    RETURN_IF_ERROR(FindReport(top, 0, parts));
    if (!parts.has_status) {
      return NotADsn("its multipart/report has no message/delivery-status part");
    }
    RETURN_IF_ERROR(ReadDeliveryStatus(parts.status, out));
    out.original_message_id = std::move(parts.original_message_id);
  }
  if (out.original_message_id.empty()) {
    if (const auto* v = FindField(top.headers, "In-Reply-To"))
      out.original_message_id = MessageIdOf(*v);
  }
  if (out.original_message_id.empty()) {
    if (const auto* v = FindField(top.headers, "References")) {
      out.original_message_id = MessageIdOf(*v, /*last=*/true);
    }
  }
  if (out.original_message_id.empty()) {
    return NotADsn(
        "it does not say which message bounced (no Message-ID in a message/rfc822 or "
        "text/rfc822-headers part, no In-Reply-To or References)");
  }
  return out;
}

}  // namespace relance::delivery
