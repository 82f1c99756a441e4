#include "delivery/smtp_sender.h"

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>

#include "net/curl_support.h"
#include "delivery/mime_message.h"

namespace relance::delivery {

using net::CurlHandle;
using net::CurlSlist;
using net::FailedPrecondition;
using net::NewCurlHandle;
using net::SlistAppend;
using net::TransportError;
namespace {

// The message as curl pulls it, and the hook that runs before the dot.
struct Upload {
  const std::string* data = nullptr;
  size_t position = 0;
  const BeforeCommit* before_commit = nullptr;
  bool hook_ran = false;
  std::optional<Error> hook_error;
};

// Runs the hook once; false when it failed (the upload must then abort).
bool RunHookOnce(Upload* upload) {
  if (upload->hook_ran) return !upload->hook_error;
  upload->hook_ran = true;
  if (upload->before_commit == nullptr || !*upload->before_commit) return true;
  try {
    Result<void> r = (*upload->before_commit)();
    if (!r.ok()) upload->hook_error = std::move(r).take_error();
  } catch (const std::exception& e) {
    upload->hook_error = Internal(std::string("the before-commit hook threw: ") + e.what());
  } catch (...) {
    upload->hook_error = Internal("the before-commit hook threw");
  }
  return !upload->hook_error;
}

size_t ReadMessage(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  size_t room = size * count;
  size_t left = upload->data->size() - upload->position;
  // curl knows the size (CURLOPT_INFILESIZE_LARGE) and stops reading after
  // the last byte, so the hook runs as the last chunk is handed over: from
  // then on the server may receive the terminating CRLF.CRLF. Aborting here
  // drops the connection without the dot, and the server keeps nothing.
  if (left <= room && !RunHookOnce(upload)) return CURL_READFUNC_ABORT;
  if (left > 0) {
    size_t n = std::min(room, left);
    std::memcpy(buffer, upload->data->data() + upload->position, n);
    upload->position += n;
    return n;
  }
  return 0;
}

// What the SMTP dialogue looked like when it stopped: the last command we
// sent and the last complete reply, taken from curl's protocol trace.
struct Dialogue {
  std::string last_command;  // "RCPT TO:<x@y>", credentials redacted
  std::string last_rcpt;     // the address of the last RCPT TO
  std::string pending_reply;
  std::string last_reply;  // "250 2.0.0 OK queued as 12"
  // The first 4xx/5xx reply and what it answered: curl goes on with QUIT,
  // whose "221 Bye" must not hide the refusal.
  std::string failed_reply;  // "550 5.1.1 Recipient address rejected"
  std::string failed_command;
  std::string failed_rcpt;
};

std::string TrimCrlf(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return std::string(s);
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

void RecordCommand(Dialogue* d, std::string_view line) {
  static constexpr std::string_view kVerbs[] = {"EHLO", "HELO", "MAIL", "RCPT",    "DATA",
                                                "QUIT", "RSET", "NOOP", "STARTTLS"};
  std::string command = TrimCrlf(line);
  bool known = false;
  for (auto verb : kVerbs) known = known || StartsWithNoCase(command, verb);
  if (StartsWithNoCase(command, "AUTH")) {
    d->last_command = "AUTH";  // AUTH PLAIN carries the password inline
  } else if (known) {
    d->last_command = command;
  } else {
    d->last_command = "AUTH";  // an AUTH LOGIN continuation: a credential
  }
  if (StartsWithNoCase(command, "RCPT TO:")) {
    std::string addr = command.substr(8);
    if (!addr.empty() && addr.front() == '<') addr.erase(0, 1);
    size_t end = addr.find('>');
    if (end != std::string::npos) addr.resize(end);
    d->last_rcpt = addr;
  }
}

void RecordReply(Dialogue* d, std::string_view data) {
  if (d->last_command == "QUIT") return;  // the goodbye says nothing about the message
  // A reply may span several lines ("250-SIZE", "250 OK"); the one whose
  // fourth character is a space ends it.
  while (!data.empty()) {
    size_t eol = data.find('\n');
    std::string_view line = data.substr(0, eol == std::string_view::npos ? data.size() : eol + 1);
    data.remove_prefix(line.size());
    std::string text = TrimCrlf(line);
    if (text.size() >= 4 && text[3] == '-') {
      if (!d->pending_reply.empty()) d->pending_reply += " ";
      d->pending_reply += text.substr(4);
      continue;
    }
    d->last_reply = d->pending_reply.empty()
                        ? text
                        : text.substr(0, std::min<size_t>(3, text.size())) + " " +
                              d->pending_reply + (text.size() > 4 ? " " + text.substr(4) : "");
    d->pending_reply.clear();
    if (d->failed_reply.empty() && !d->last_reply.empty() &&
        (d->last_reply[0] == '4' || d->last_reply[0] == '5')) {
      d->failed_reply = d->last_reply;
      d->failed_command = d->last_command;
      d->failed_rcpt = d->last_rcpt;
    }
  }
}

int Trace(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  auto* d = static_cast<Dialogue*>(user);
  if (type == CURLINFO_HEADER_OUT) RecordCommand(d, std::string_view(data, size));
  if (type == CURLINFO_HEADER_IN) RecordReply(d, std::string_view(data, size));
  return 0;
}

// FNV-1a of the Message-ID: a boundary seed that needs no random source.
std::string BoundarySeed(std::string_view message_id) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : message_id) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

Error RefusalError(const Dialogue& d, long code, CURLcode curl_code, const char* error_buffer) {
  bool failed = !d.failed_reply.empty();
  std::string reply = failed                 ? d.failed_reply
                      : d.last_reply.empty() ? std::to_string(code)
                                             : d.last_reply;
  if (failed) code = std::atol(d.failed_reply.substr(0, 3).c_str());
  const std::string& cmd = failed ? d.failed_command : d.last_command;
  const std::string& rcpt = failed ? d.failed_rcpt : d.last_rcpt;
  if (code >= 400 && code < 500) {
    return Unavailable("the SMTP server answered " + reply + " (temporary failure, retry later)");
  }
  if (code >= 500 && code < 600) {
    if (StartsWithNoCase(cmd, "RCPT")) {
      return FailedPrecondition("the SMTP server refused " + rcpt + ": " + reply);
    }
    if (StartsWithNoCase(cmd, "MAIL")) {
      return FailedPrecondition("the SMTP server refused the sender address: " + reply);
    }
    if (StartsWithNoCase(cmd, "AUTH")) {
      return FailedPrecondition("the SMTP server refused the credentials: " + reply);
    }
    return FailedPrecondition("the SMTP server refused the message: " + reply);
  }
  if (curl_code == CURLE_LOGIN_DENIED) {
    return FailedPrecondition("the SMTP server refused the credentials: " + reply);
  }
  return TransportError(curl_code, error_buffer, "the SMTP server");
}

}  // namespace

SmtpEmailSender::SmtpEmailSender(SmtpSettings settings) : settings_(std::move(settings)) {}

Result<std::string> SmtpEmailSender::Send(const EmailMessage& message,
                                          const BeforeCommit& before_commit) {
  if (!StartsWithNoCase(settings_.url, "SMTP://") && !StartsWithNoCase(settings_.url, "SMTPS://")) {
    return FailedPrecondition("the SMTP URL \"" + settings_.url +
                              "\" must start with smtp:// or smtps://");
  }
  ASSIGN_OR_RETURN(std::string mime,
                   BuildMimeMessage(message, std::time(nullptr), BoundarySeed(message.message_id)));

  CurlHandle curl = NewCurlHandle();
  if (!curl) return Internal("cannot create a libcurl handle");
  CURL* h = curl.get();
  char error_buffer[CURL_ERROR_SIZE] = {0};
  Upload upload;
  upload.data = &mime;
  upload.before_commit = &before_commit;
  Dialogue dialogue;

  CurlSlist recipients;
  for (const auto* list : {&message.to, &message.cc}) {
    for (const auto& address : *list) {
      if (!SlistAppend(recipients, "<" + address + ">")) return Internal("out of memory");
    }
  }
  std::string mail_from = "<" + message.from_address + ">";
  long timeout_s = std::max(1L, (settings_.timeout_ms + 999) / 1000);

  curl_easy_setopt(h, CURLOPT_URL, settings_.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_USE_SSL, settings_.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY);
  if (!settings_.user.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, settings_.user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, settings_.password.c_str());
  }
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, &ReadMessage);
  curl_easy_setopt(h, CURLOPT_READDATA, &upload);
  // The size lets curl announce SIZE= in MAIL FROM, so an oversized message
  // is refused before its bytes travel.
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(mime.size()));
  // Per-step limits rather than one total: a large attachment on a slow link
  // may take longer than `timeout_ms` as long as it keeps moving.
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, settings_.timeout_ms);
  curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout_s);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, timeout_s);
  // The protocol trace is how we learn which command a 5xx answered and the
  // server's reply text (curl's error buffer only says "RCPT failed: 550").
  curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
  curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, &Trace);
  curl_easy_setopt(h, CURLOPT_DEBUGDATA, &dialogue);

  CURLcode code = curl_easy_perform(h);
  if (upload.hook_error) return std::move(*upload.hook_error);
  if (code == CURLE_OK) return dialogue.last_reply;
  if (upload.hook_ran && dialogue.failed_reply.empty()) {
    // The whole message and (perhaps) the dot went out, and no refusal came
    // back: the server may have accepted it. The executor must not resend.
    return OutcomeUnknownError(TransportError(code, error_buffer, "the SMTP server").message() +
                               " after the end of the message");
  }
  long response_code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response_code);
  if (upload.hook_ran && response_code < 400 && dialogue.failed_reply.empty()) {
    // The whole message left and no reply to it came back: the server may
    // have kept it (channels.h, OutcomeUnknownError).
    return OutcomeUnknownError(TransportError(code, error_buffer, "the SMTP server").message());
  }
  return RefusalError(dialogue, response_code, code, error_buffer);
}

}  // namespace relance::delivery
