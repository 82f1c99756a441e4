// Connection secrets at rest (issue 5: "secrets are stored encrypted,
// libsodium, key from the server's configuration"): XSalsa20-Poly1305
// (crypto_secretbox) with a fresh random nonce per seal, so the same secret
// sealed twice gives two different texts and a tampered text is refused.
//
// Immutable after construction; thread-safe.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "core/result.h"

namespace relance::sync {

class SecretBox {
 public:
  static constexpr size_t kKeyBytes = 32;

  // `key_hex`: 64 hexadecimal characters (32 bytes), e.g. from
  // `openssl rand -hex 32`. kInvalidArgument says what is wrong with it.
  static Result<SecretBox> FromHex(std::string_view key_hex);
  // A new random key as hex, for first-time setup.
  static std::string GenerateKeyHex();

  // base64(nonce || ciphertext).
  std::string Seal(std::string_view plaintext) const;
  // kFailedPrecondition when the text was not sealed with this key or was altered
  // (the message never includes the text).
  Result<std::string> Open(std::string_view sealed) const;

 private:
  SecretBox() = default;
  std::array<unsigned char, kKeyBytes> key_{};
};

}  // namespace relance::sync
