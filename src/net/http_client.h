// A minimal blocking HTTP client over libcurl for the provider APIs (SMS,
// postal, sync sources): the whole answer in memory. PerformHttp makes one
// request on a fresh handle; an HttpSession keeps its handle, so the
// requests made through it reuse their connections (keep-alive, TLS
// sessions).
// A transport failure (no HTTP answer) is an Error (curl_support.h); any HTTP
// answer, 4xx and 5xx included, is a value the caller maps with its
// provider's error bodies.
//
// Thread safety: PerformHttp may be called from several threads at once; an
// HttpSession is used by one thread at a time.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "net/curl_support.h"

namespace relance::net {

// One part of a multipart/form-data body. A part with a file_name is sent
// as a file (Content-Disposition filename=...).
struct FormPart {
  std::string name;
  std::string data;
  std::string file_name;     // empty: a plain field
  std::string content_type;  // empty: curl's default
};

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  // Exactly one body form is used: `form` when not empty (multipart), else
  // `body` with its own Content-Type header given in `headers`.
  std::string body;
  std::vector<FormPart> form;
  std::string basic_user;  // HTTP Basic auth when not empty
  std::string basic_password;
  long timeout_ms = 30000;
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
};

// `what` names the service in transport errors ("the SMS provider").
Result<HttpResponse> PerformHttp(const HttpRequest& request, std::string_view what);

class HttpSession {
 public:
  // As PerformHttp, on the session's handle. After a transport failure the
  // handle (and its connection) is dropped; the next request opens anew.
  Result<HttpResponse> Perform(const HttpRequest& request, std::string_view what);

 private:
  CurlHandle handle_;
};

// application/x-www-form-urlencoded encoding of one value.
std::string FormUrlEncode(std::string_view value);

}  // namespace relance::net
