// The look-up a bounce needs (dunning/bounce_service.h): which action sent
// the message a delivery status notification is about. Runs on the caller's
// connection (inside its transaction when it has one).
#pragma once

#include <optional>
#include <string>

#include "store/db.h"

namespace relance::store {

// The id of the organization's action whose e-mail carried `message_id`
// (the header value without angle brackets), or nullopt. Served by the
// actions_message_id index (migration 5).
Result<std::optional<std::string>> FindActionIdByMessageId(Connection& c, const std::string& org_id,
                                                           const std::string& message_id);

}  // namespace relance::store
