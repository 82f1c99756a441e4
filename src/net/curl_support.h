// Small RAII around libcurl shared by the senders: one global init for the
// process, owned easy handles and header lists, and the mapping of a
// transport failure (no answer at all) to an Error.
//
// Thread safety: EnsureCurlGlobalInit may be called from any thread; a
// CurlHandle belongs to one thread at a time (libcurl's rule for easy handles).
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace relance::net {

// curl_global_init is not thread-safe and must run before any handle is
// created; this runs it exactly once (std::call_once) and never cleans up,
// because senders live as long as the process.
void EnsureCurlGlobalInit();

struct CurlEasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using CurlHandle = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// Creates an easy handle after the global init, with CURLOPT_NOSIGNAL set (a
// timeout must not raise SIGALRM in a multi-threaded server). Null on failure.
CurlHandle NewCurlHandle();

// Appends to a header/recipient list; false when curl cannot allocate.
bool SlistAppend(CurlSlist& list, const std::string& item);

// The error for a transfer that got no usable answer: connection refused,
// DNS, timeout, TLS, a dropped connection are kUnavailable (retry later);
// a bad URL or option is kFailedPrecondition (a configuration mistake no
// retry fixes). `what` names the service ("the SMS provider").
Error TransportError(CURLcode code, const char* error_buffer, std::string_view what);

// kFailedPrecondition, for which core has no helper.
inline Error FailedPrecondition(std::string message) {
  return Error(ErrorCode::kFailedPrecondition, std::move(message));
}

}  // namespace relance::net
