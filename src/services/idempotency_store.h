// The responses to POST requests that carried an Idempotency-Key, kept per
// organization in table idempotency_keys, so that a retried request is
// answered with the first one's response instead of running twice.
//
// A key is claimed (a row with status 0) before the request runs; the
// table's primary key (org_id, idem_key) lets exactly one of two concurrent
// first requests claim it. The claimant then completes the row with its
// status and body, or releases it when the request failed without effect
// (a 5xx). Thread-safe; stateless besides the context. Compiled into
// relance_http, its only user.
#pragma once

#include <optional>
#include <string>

#include "services/context.h"

namespace relance::services {

struct IdempotencyRecord {
  std::string request_hash;  // SHA-256 of method, path and body
  int status = 0;            // 0 while the first request is still running
  std::string response_body;
  std::string created_at;
};

class IdempotencyStore {
 public:
  explicit IdempotencyStore(Context ctx) : ctx_(ctx) {}

  // nullopt when this call claimed the key; otherwise the record that holds
  // it (claimed by another request, or completed).
  Result<std::optional<IdempotencyRecord>> Claim(const std::string& org_id, const std::string& key,
                                                 const std::string& request_hash) const;
  // Stores the response of the claimant.
  Result<void> Complete(const std::string& org_id, const std::string& key, int status,
                        const std::string& response_body) const;
  // Forgets a claim that did not complete, so that a retry runs again.
  Result<void> Release(const std::string& org_id, const std::string& key) const;
  Result<std::optional<IdempotencyRecord>> Find(const std::string& org_id,
                                                const std::string& key) const;

 private:
  Context ctx_;
};

}  // namespace relance::services
