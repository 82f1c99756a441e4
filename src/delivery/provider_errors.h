// How an HTTP provider's answer becomes an Error, the same way for every
// provider (channels.h): 429 and 5xx are kUnavailable (retry later), any
// other 4xx is kFailedPrecondition, with the provider's own explanation.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace relance::delivery {

// `service` names the provider ("the SMS provider"); `detail` is what its
// error body says ("21211 The 'To' number +3361 is not a valid phone number").
Error ProviderHttpError(std::string_view service, long status, std::string_view detail);

}  // namespace relance::delivery
