#include "delivery/provider_errors.h"

#include "net/curl_support.h"

namespace relance::delivery {

using net::FailedPrecondition;

Error ProviderHttpError(std::string_view service, long status, std::string_view detail) {
  std::string message = std::string(service);
  std::string suffix = detail.empty() ? std::string() : ": " + std::string(detail);
  if (status == 429) {
    return Unavailable(message + " is rate limiting us (HTTP 429)" + suffix);
  }
  if (status >= 500) {
    return Unavailable(message + " failed (HTTP " + std::to_string(status) + ")" + suffix);
  }
  if (status == 401 || status == 403) {
    return FailedPrecondition(message + " refused our credentials (HTTP " + std::to_string(status) +
                              ")" + suffix);
  }
  if (status >= 400) {
    return FailedPrecondition(message + " refused the request (HTTP " + std::to_string(status) +
                              ")" + suffix);
  }
  // 1xx/3xx where a 2xx was expected: a misconfigured base URL (a redirect).
  return FailedPrecondition(message + " answered HTTP " + std::to_string(status) +
                            ", not a success" + suffix);
}

}  // namespace relance::delivery
