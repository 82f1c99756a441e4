#include "net/http_client.h"

#include <algorithm>
#include <cctype>

#include "net/curl_support.h"

namespace relance::net {
namespace {

// Where a body goes, and the handle that announces its length.
struct BodySink {
  std::string* body;
  CURL* handle;
};

// A body announced by Content-Length is reserved in full on its first bytes:
// growing it by doubling copied a large answer (a page of 100 documents,
// ~130 KB) three or four times and freed each old buffer.
constexpr curl_off_t kMaxBodyReserve = curl_off_t{64} << 20;

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  if (sink->body->empty()) {
    curl_off_t length = -1;
    if (curl_easy_getinfo(sink->handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK &&
        length > 0 && length <= kMaxBodyReserve) {
      sink->body->reserve(static_cast<size_t>(length));
    }
  }
  sink->body->append(data, size * count);
  return size * count;
}

size_t AppendHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
  std::string_view line(data, size * count);
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    headers->emplace_back(std::move(name), std::string(value));
  } else if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();  // a new status line (after 100 Continue): keep the last answer's only
  }
  return size * count;
}

struct MimeDeleter {
  void operator()(curl_mime* m) const { curl_mime_free(m); }
};

}  // namespace

std::string FormUrlEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '*') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<HttpResponse> PerformHttp(const HttpRequest& request, std::string_view what) {
  HttpSession session;
  return session.Perform(request, what);
}

Result<HttpResponse> HttpSession::Perform(const HttpRequest& request, std::string_view what) {
  if (handle_) {
    // Clears the last request's options, keeps its live connections and
    // DNS cache.
    curl_easy_reset(handle_.get());
    curl_easy_setopt(handle_.get(), CURLOPT_NOSIGNAL, 1L);  // as NewCurlHandle sets it
  } else {
    handle_ = NewCurlHandle();
    if (!handle_) return Internal("cannot create a libcurl handle");
  }
  CURL* h = handle_.get();
  char error_buffer[CURL_ERROR_SIZE] = {0};
  HttpResponse response;

  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, request.timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, request.timeout_ms);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &AppendBody);
  BodySink sink{&response.body, h};
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &AppendHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &response.headers);
  // Providers are reached by https in production; never follow a redirect
  // that could carry credentials elsewhere.
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");

  CurlSlist headers;
  for (const auto& header : request.headers) {
    if (!SlistAppend(headers, header)) return Internal("out of memory building HTTP headers");
  }
  // Without this curl waits up to a second for "100 Continue" on large bodies.
  if (!SlistAppend(headers, "Expect:")) return Internal("out of memory building HTTP headers");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());

  if (!request.basic_user.empty()) {
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(h, CURLOPT_USERNAME, request.basic_user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, request.basic_password.c_str());
  }

  std::unique_ptr<curl_mime, MimeDeleter> mime;
  if (!request.form.empty()) {
    mime.reset(curl_mime_init(h));
    for (const auto& part : request.form) {
      curl_mimepart* p = curl_mime_addpart(mime.get());
      curl_mime_name(p, part.name.c_str());
      curl_mime_data(p, part.data.data(), part.data.size());
      if (!part.file_name.empty()) curl_mime_filename(p, part.file_name.c_str());
      if (!part.content_type.empty()) curl_mime_type(p, part.content_type.c_str());
    }
    curl_easy_setopt(h, CURLOPT_MIMEPOST, mime.get());
  } else if (request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  if (request.method != "POST" && !(request.method == "GET" && request.form.empty())) {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (request.method == "GET") curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);

  CURLcode code = curl_easy_perform(h);
  // The handle outlives this call's locals that the options point to.
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  if (mime) curl_easy_setopt(h, CURLOPT_MIMEPOST, nullptr);
  if (code != CURLE_OK) {
    Error e = TransportError(code, error_buffer, what);
    handle_.reset();  // a broken connection is not kept
    return e;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace relance::net
