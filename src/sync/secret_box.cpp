#include "sync/secret_box.h"

#include <sodium.h>

#include <vector>

namespace relance::sync {
namespace {

void EnsureSodium() {
  static const bool ready = sodium_init() >= 0;
  (void)ready;
}

}  // namespace

Result<SecretBox> SecretBox::FromHex(std::string_view key_hex) {
  EnsureSodium();
  SecretBox box;
  size_t written = 0;
  const char* end = nullptr;
  if (key_hex.size() != kKeyBytes * 2 ||
      sodium_hex2bin(box.key_.data(), box.key_.size(), key_hex.data(), key_hex.size(), nullptr,
                     &written, &end) != 0 ||
      written != kKeyBytes) {
    return Error(ErrorCode::kInvalidArgument,
                 "the secret key must be 64 hexadecimal characters (32 bytes); got " +
                     std::to_string(key_hex.size()) + " characters");
  }
  return box;
}

std::string SecretBox::GenerateKeyHex() {
  EnsureSodium();
  std::array<unsigned char, kKeyBytes> key{};
  crypto_secretbox_keygen(key.data());
  std::string hex(kKeyBytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), key.data(), key.size());
  hex.pop_back();
  sodium_memzero(key.data(), key.size());
  return hex;
}

std::string SecretBox::Seal(std::string_view plaintext) const {
  std::vector<unsigned char> raw(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
                                 plaintext.size());
  randombytes_buf(raw.data(), crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(raw.data() + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        raw.data(), key_.data());
  std::string out(sodium_base64_encoded_len(raw.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), raw.data(), raw.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

Result<std::string> SecretBox::Open(std::string_view sealed) const {
  std::vector<unsigned char> raw(sealed.size());
  size_t len = 0;
  auto refused = [] {
    return Error(ErrorCode::kFailedPrecondition,
                 "the stored secrets cannot be opened with the configured secret key (another "
                 "key, or altered data)");
  };
  if (sodium_base642bin(raw.data(), raw.size(), sealed.data(), sealed.size(), nullptr, &len,
                        nullptr, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return refused();
  }
  std::string plain(len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                 raw.data() + crypto_secretbox_NONCEBYTES,
                                 len - crypto_secretbox_NONCEBYTES, raw.data(),
                                 key_.data()) != 0) {
    return refused();
  }
  return plain;
}

}  // namespace relance::sync
