// LetterSender for a letter-printing provider's REST API (the shape of
// tests/emulators/postal/README.md): POST {base_url}/v1/letters as
// multipart/form-data with the PDF ("document"), the recipient and sender
// addresses as JSON, the options, and `Authorization: Bearer <api key>`.
// Letter::idempotency_key goes in the Idempotency-Key header (and in
// `reference` when it fits its 100 characters), so a retry after a timeout
// gets the letter created the first time instead of a second letter.
//
// Addresses: PostalAddress::street may hold several lines separated by "\n"
// ("Service comptabilité\n12 rue de la Paix"); each becomes one address line.
//
// Errors (channels.h): a transport failure, 429 or 5xx is kUnavailable; any
// other 4xx (a bad address, a bad PDF, a wrong key, a key reused for another
// letter) is kFailedPrecondition with the provider's message and, for
// address problems, each field at fault.
//
// Thread safety: Send may be called from several threads at once.
#pragma once

#include <string>

#include "delivery/channels.h"

namespace relance::delivery {

struct PostalApiSettings {
  std::string base_url;  // "https://api.provider.example" (without /v1)
  std::string api_key;
  bool color = false;
  bool duplex = true;
  bool registered = false;       // lettre recommandée
  bool acknowledgement = false;  // avec accusé de réception; needs `registered`
  long timeout_ms = 60000;
};

class PostalApiLetterSender final : public LetterSender {
 public:
  explicit PostalApiLetterSender(PostalApiSettings settings);

  // Returns the provider's letter id ("ltr_...").
  Result<std::string> Send(const Letter& letter) override;

 private:
  const PostalApiSettings settings_;
};

}  // namespace relance::delivery
