// Idempotency-Key on POST: the first request with a key runs and its
// response (status and body) is stored; a retry with the same key and the
// same method, path and body gets that response again, with header
// "Idempotent-Replayed: true", and runs nothing; the same key with another
// request is refused (422 idempotency_key_reused). Keys are per
// organization. Responses with a 5xx status are not kept, so a retry after
// a server failure runs again (that failure wrote nothing). Of two
// concurrent first requests, one runs and the other waits for its response.
// Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "http/router.h"
#include "services/idempotency_store.h"

namespace relance::http {

inline constexpr std::string_view kIdempotencyHeader = "Idempotency-Key";
inline constexpr size_t kMaxIdempotencyKeyLength = 255;

class Idempotency {
 public:
  // `wait`: how long a retry waits for a concurrent first request to answer
  // before giving up with 409 idempotency_key_in_use.
  explicit Idempotency(services::Context ctx,
                       std::chrono::milliseconds wait = std::chrono::seconds(10))
      : store_(ctx), wait_(wait) {}

  // Runs `handler` unless the key already has a response for this request.
  Reply Run(const services::Principal& p, const std::string& key, const ApiRequest& req,
            const std::function<Reply()>& handler) const;

  // SHA-256 (hex) of method, path with query, and body.
  static std::string RequestHash(const std::string& method, const std::string& target,
                                 const std::string& body);

 private:
  services::IdempotencyStore store_;
  std::chrono::milliseconds wait_;
};

}  // namespace relance::http
