// Organizations, users, API tokens and login sessions.
//
// Passwords are hashed with argon2id (libsodium crypto_pwhash_str). API
// tokens and session ids are 32 random bytes shown to the user once; only
// their SHA-256 is stored, so a copy of the database grants no access.
// Thread-safe.
#pragma once

#include <optional>
#include <string>

#include "domain/entities.h"
#include "services/context.h"

namespace relance::services {

// argon2id cost. kInteractive is libsodium's interactive preset (64 MiB);
// kMinimum exists for test suites that create hundreds of users.
enum class PasswordCost { kInteractive, kMinimum };

struct NewOrganization {
  std::string name;
  std::string time_zone = "Europe/Paris";
  std::string default_currency = "EUR";
  std::string language = "fr";
};

struct NewUser {
  std::string email;
  std::string name;
  std::string role = "MEMBER";
  std::string password;  // at least 10 characters
  std::optional<std::string> language;
};

struct IssuedToken {
  std::string id;     // tok_...
  std::string token;  // "rlt_<64 hex>": shown once, never stored
};

struct Session {
  std::string session_id;  // "rls_<64 hex>": the cookie value
  std::string expires_at;
  Principal principal;
};

class AuthService {
 public:
  AuthService(Context ctx, PasswordCost cost = PasswordCost::kInteractive)
      : ctx_(ctx), cost_(cost) {}

  // Creation by the operator (CLI) or bootstrap: no principal needed.
  Result<domain::Organization> CreateOrganization(const NewOrganization& org) const;
  Result<domain::User> CreateUser(const std::string& org_id, const NewUser& user) const;
  Result<IssuedToken> CreateToken(const std::string& org_id, const std::string& user_id,
                                  const std::string& name) const;

  // The same through the API, for an ADMIN of the organization.
  Result<domain::User> CreateUserAs(const Principal& p, const NewUser& user) const;
  Result<IssuedToken> CreateTokenAs(const Principal& p, const std::string& name) const;
  Result<void> RevokeToken(const Principal& p, const std::string& token_id) const;

  // Resolves "Authorization: Bearer rlt_..." to its principal (kUnauthenticated
  // if unknown or revoked).
  Result<Principal> AuthenticateToken(const std::string& token) const;
  // Checks e-mail and password; the same error whichever is wrong.
  Result<Session> Login(const std::string& email, const std::string& password) const;
  Result<Principal> AuthenticateSession(const std::string& session_id) const;
  Result<void> Logout(const std::string& session_id) const;

  Result<domain::Organization> GetOrganization(const std::string& org_id) const;
  Result<domain::User> GetUser(const std::string& org_id, const std::string& user_id) const;

  // Hash / verify, exposed for tests and the import of users.
  Result<std::string> HashPassword(const std::string& password) const;
  static bool VerifyPassword(const std::string& hash, const std::string& password);

 private:
  Context ctx_;
  PasswordCost cost_;
};

}  // namespace relance::services
