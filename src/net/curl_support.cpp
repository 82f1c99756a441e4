#include "net/curl_support.h"

#include <mutex>

namespace relance::net {

void EnsureCurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

CurlHandle NewCurlHandle() {
  EnsureCurlGlobalInit();
  CurlHandle h(curl_easy_init());
  if (h) curl_easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);
  return h;
}

bool SlistAppend(CurlSlist& list, const std::string& item) {
  curl_slist* grown = curl_slist_append(list.get(), item.c_str());
  if (grown == nullptr) return false;
  list.release();  // `grown` is the same list, now one longer
  list.reset(grown);
  return true;
}

Error TransportError(CURLcode code, const char* error_buffer, std::string_view what) {
  std::string detail = (error_buffer != nullptr && error_buffer[0] != '\0')
                           ? std::string(error_buffer)
                           : std::string(curl_easy_strerror(code));
  std::string message = std::string(what);
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
      return FailedPrecondition(message + " is misconfigured: " + detail);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_USE_SSL_FAILED:
      // A certificate that does not verify, or a server without the TLS we
      // require, will not fix itself on the next try.
      return FailedPrecondition(message + " failed the TLS requirements: " + detail);
    case CURLE_OUT_OF_MEMORY:
      return Internal(message + ": " + detail);
    default:
      return Unavailable(message + " could not be reached: " + detail);
  }
}

}  // namespace relance::net
