// Storage of what proves who a caller is: API token and session hashes, and
// the login look-up by e-mail (the one query that is not scoped to an
// organization: it is how the organization is found). Stateless; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "store/db.h"

namespace relance::store {

struct CredentialOwner {
  std::string org_id;
  std::string user_id;
  std::string role;
  std::string password_hash;  // only filled by FindLoginByEmail
  std::string time_zone;      // the organization's (tokens and sessions)
};

Result<std::optional<CredentialOwner>> FindLoginByEmail(Connection& c, const std::string& email);

Result<void> InsertToken(Connection& c, const std::string& org_id, const std::string& id,
                         const std::string& user_id, const std::string& name,
                         const std::string& token_hash, const std::string& now);
// Only tokens that are not revoked.
Result<std::optional<CredentialOwner>> FindTokenOwner(Connection& c, const std::string& token_hash);
// With `owner_user_id`, only that user's token is revoked (NotFound otherwise).
Result<void> RevokeToken(Connection& c, const std::string& org_id, const std::string& id,
                         const std::optional<std::string>& owner_user_id);

Result<void> InsertSession(Connection& c, const std::string& session_hash,
                           const std::string& org_id, const std::string& user_id,
                           const std::string& now, const std::string& expires_at);
// Only sessions whose expiry is after `now`.
Result<std::optional<CredentialOwner>> FindSessionOwner(Connection& c,
                                                        const std::string& session_hash,
                                                        const std::string& now);
Result<void> DeleteSession(Connection& c, const std::string& session_hash);

}  // namespace relance::store
