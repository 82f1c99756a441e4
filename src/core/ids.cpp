#include "core/ids.h"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <mutex>

namespace relance {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

struct Generator {
  std::mutex mu;
  int64_t last_ms = -1;
  std::array<uint8_t, 10> random{};  // 80 bits, big-endian
};

Generator& TheGenerator() {
  static Generator g;
  return g;
}

void EnsureSodium() {
  static const bool ready = sodium_init() >= 0;
  (void)ready;
}

}  // namespace

std::string NewId(std::string_view prefix, Timestamp now) {
  EnsureSodium();
  int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::array<uint8_t, 16> bytes{};
  {
    Generator& g = TheGenerator();
    std::lock_guard lock(g.mu);
    if (ms <= g.last_ms) {
      // Same (or earlier, with a fake clock) millisecond: keep order by incrementing.
      ms = g.last_ms;
      for (int i = 9; i >= 0 && ++g.random[i] == 0; --i) {
      }
    } else {
      g.last_ms = ms;
      randombytes_buf(g.random.data(), g.random.size());
      g.random[0] &= 0x7f;  // leave room to increment without wrapping
    }
    for (int i = 0; i < 6; ++i) bytes[i] = static_cast<uint8_t>(ms >> (8 * (5 - i)));
    for (int i = 0; i < 10; ++i) bytes[6 + i] = g.random[i];
  }
  // 128 bits -> 26 base-32 characters (the first carries 3 bits).
  std::string out(prefix);
  out += '_';
  unsigned __int128 v = 0;
  for (uint8_t b : bytes) v = (v << 8) | b;
  char body[26];
  for (int i = 25; i >= 0; --i) {
    body[i] = kAlphabet[static_cast<int>(v & 31)];
    v >>= 5;
  }
  out.append(body, 26);
  return out;
}

bool IsValidId(std::string_view id, std::string_view prefix) {
  if (id.size() != prefix.size() + 27 || id.substr(0, prefix.size()) != prefix ||
      id[prefix.size()] != '_') {
    return false;
  }
  for (char c : id.substr(prefix.size() + 1)) {
    if (std::string_view(kAlphabet).find(c) == std::string_view::npos) return false;
  }
  return true;
}

std::string RandomHex(size_t n_bytes) {
  EnsureSodium();
  std::string raw(n_bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex(n_bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                 raw.size());
  hex.pop_back();
  return hex;
}

std::string Sha256Hex(std::string_view text) {
  EnsureSodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

}  // namespace relance
