#include "http/idempotency.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <thread>

namespace relance::http {
namespace {

Reply Replay(const services::IdempotencyRecord& r) {
  Reply reply;
  reply.status = r.status;
  reply.body = r.response_body;
  if (reply.body.empty()) reply.content_type.clear();
  reply.headers.emplace_back("Idempotent-Replayed", "true");
  return reply;
}

bool ValidKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxIdempotencyKeyLength) return false;
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

std::string Idempotency::RequestHash(const std::string& method, const std::string& target,
                                     const std::string& body) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  auto add = [&](const std::string& s) {
    // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
    std::string len = std::to_string(s.size()) + ":";
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(len.data()), len.size());
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  };
  add(method);
  add(target);
  add(body);
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&st, digest);
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

Reply Idempotency::Run(const services::Principal& p, const std::string& key, const ApiRequest& req,
                       const std::function<Reply()>& handler) const {
  if (!ValidKey(key)) {
    return ErrorReply(
        FieldInvalid(std::string(kIdempotencyHeader),
                     "must be 1 to 255 visible ASCII characters (a UUID is typical)"));
  }
  const std::string hash = RequestHash(req.http.method, req.http.target, req.body);
  const auto deadline = std::chrono::steady_clock::now() + wait_;
  for (;;) {
    auto claim = store_.Claim(p.org_id, key, hash);
    if (!claim.ok()) return ErrorReply(claim.error());
    if (!*claim) break;  // ours: run the request below
    const services::IdempotencyRecord& held = **claim;
    if (held.request_hash != hash) return ErrorReply(IdempotencyKeyReused(key));
    if (held.status != 0) return Replay(held);
    // Another request with this key is running: wait for its answer.
    if (std::chrono::steady_clock::now() >= deadline) return ErrorReply(IdempotencyKeyInUse(key));
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }

  Reply reply;
  try {
    reply = handler();
  } catch (...) {
    (void)store_.Release(p.org_id, key);
    throw;
  }
  Result<void> saved = reply.status >= 500
                           ? store_.Release(p.org_id, key)
                           : store_.Complete(p.org_id, key, reply.status, reply.body);
  if (!saved.ok()) {
    // The work is done; only its receipt is missing. A retry will get 409
    // idempotency_key_in_use rather than run twice.
    spdlog::warn("request {}: could not store the response for Idempotency-Key: {}", req.request_id,
                 saved.error().ToString());
  }
  return reply;
}

}  // namespace relance::http
