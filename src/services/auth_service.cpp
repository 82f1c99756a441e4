#include "services/auth_service.h"

#include <sodium.h>

#include "core/ids.h"
#include "domain/entity_spec.h"
#include "domain/rules/validation.h"
#include "store/credentials.h"
#include "store/record_repository.h"

namespace relance::services {
namespace {

using store::Connection;

constexpr std::string_view kTokenSecretPrefix = "rlt_";
constexpr std::string_view kSessionPrefix = "rls_";
constexpr auto kSessionLifetime = std::chrono::hours(24 * 14);

Error BadCredentials() {
  return Error(ErrorCode::kUnauthenticated, "invalid or expired credentials");
}

Principal ToPrincipal(const store::CredentialOwner& owner) {
  Principal p{owner.org_id, owner.user_id, owner.role};
  p.time_zone = owner.time_zone;
  return p;
}

}  // namespace

Result<std::string> AuthService::HashPassword(const std::string& password) const {
  if (password.size() < 10) return FieldInvalid("password", "must have at least 10 characters");
  if (password.size() > 1024) return FieldInvalid("password", "must have at most 1024 characters");
  if (sodium_init() < 0) return Internal("libsodium failed to initialize");
  bool minimum = cost_ == PasswordCost::kMinimum;
  char hash[crypto_pwhash_STRBYTES];
  // crypto_pwhash_str uses argon2id in libsodium >= 1.0.15.
  if (crypto_pwhash_str(hash, password.data(), password.size(),
                        minimum ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        minimum ? crypto_pwhash_MEMLIMIT_MIN
                                : crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return Error(ErrorCode::kResourceExhausted, "not enough memory to hash the password");
  }
  return std::string(hash);
}

bool AuthService::VerifyPassword(const std::string& hash, const std::string& password) {
  if (sodium_init() < 0 || hash.empty()) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

Result<domain::Organization> AuthService::CreateOrganization(const NewOrganization& in) const {
  domain::Organization org;
  org.name = in.name;
  org.time_zone = in.time_zone;
  org.default_currency = in.default_currency;
  org.language = in.language;
  RETURN_IF_ERROR(domain::ValidateOrganization(org));
  Timestamp now = ctx_.clock.Now();
  org.meta.id = NewId(kOrgPrefix, now);
  org.meta.org_id = org.meta.id;
  org.meta.version = 1;
  org.meta.created_at = org.meta.updated_at = FormatTimestamp(now);
  store::RecordRepository<domain::Organization> repo(domain::OrganizationSpec());
  RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](Connection& c) { return repo.Insert(c, org); }));
  return org;
}

Result<domain::User> AuthService::CreateUser(const std::string& org_id, const NewUser& in) const {
  domain::User user;
  user.email = in.email;
  user.name = in.name;
  user.role = in.role;
  user.language = in.language;
  RETURN_IF_ERROR(domain::ValidateUser(user));
  ASSIGN_OR_RETURN(user.password_hash, HashPassword(in.password));
  Timestamp now = ctx_.clock.Now();
  user.meta.id = NewId(kUserPrefix, now);
  user.meta.org_id = org_id;
  user.meta.version = 1;
  user.meta.created_at = user.meta.updated_at = FormatTimestamp(now);
  store::RecordRepository<domain::User> users(domain::UserSpec());
  store::RecordRepository<domain::Organization> orgs(domain::OrganizationSpec());
  auto r = store::InTransaction(ctx_.db, [&](Connection& c) -> Result<void> {
    RETURN_IF_ERROR(orgs.Get(c, org_id, org_id));
    return users.Insert(c, user);
  });
  if (!r.ok() && r.error().code() == ErrorCode::kAlreadyExists) {
    return Error(ErrorCode::kAlreadyExists, "a user with e-mail " + in.email + " already exists",
                 {{"email", "is already used"}});
  }
  RETURN_IF_ERROR(std::move(r));
  return user;
}

Result<IssuedToken> AuthService::CreateToken(const std::string& org_id, const std::string& user_id,
                                             const std::string& name) const {
  if (name.empty() || name.size() > 200) {
    return FieldInvalid("name", "must have between 1 and 200 characters");
  }
  Timestamp now = ctx_.clock.Now();
  IssuedToken issued{NewId(kTokenPrefix, now),
                     std::string(kTokenSecretPrefix) + RandomHex(32)};
  store::RecordRepository<domain::User> users(domain::UserSpec());
  RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](Connection& c) -> Result<void> {
    RETURN_IF_ERROR(users.Get(c, org_id, user_id));
    return store::InsertToken(c, org_id, issued.id, user_id, name, Sha256Hex(issued.token),
                              FormatTimestamp(now));
  }));
  return issued;
}

Result<domain::User> AuthService::CreateUserAs(const Principal& p, const NewUser& user) const {
  RETURN_IF_ERROR(Authorize(p, Access::kAdmin));
  return CreateUser(p.org_id, user);
}

Result<IssuedToken> AuthService::CreateTokenAs(const Principal& p, const std::string& name) const {
  RETURN_IF_ERROR(Authorize(p, Access::kRead));  // any user may have tokens of their own
  return CreateToken(p.org_id, p.user_id, name);
}

Result<void> AuthService::RevokeToken(const Principal& p, const std::string& token_id) const {
  RETURN_IF_ERROR(Authorize(p, Access::kRead));
  // Anyone may revoke their own tokens; only administrators other people's.
  bool admin = Authorize(p, Access::kAdmin).ok();
  return store::InTransaction(ctx_.db, [&](Connection& c) {
    return store::RevokeToken(c, p.org_id, token_id, admin ? std::nullopt
                                                           : std::optional<std::string>(p.user_id));
  });
}

Result<Principal> AuthService::AuthenticateToken(const std::string& token) const {
  if (token.rfind(kTokenSecretPrefix, 0) != 0) return BadCredentials();
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  ASSIGN_OR_RETURN(auto owner, store::FindTokenOwner(*conn, Sha256Hex(token)));
  if (!owner) return BadCredentials();
  return ToPrincipal(*owner);
}

Result<Session> AuthService::Login(const std::string& email, const std::string& password) const {
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  ASSIGN_OR_RETURN(auto owner, store::FindLoginByEmail(*conn, email));
  if (!owner || !VerifyPassword(owner->password_hash, password)) return BadCredentials();
  Timestamp now = ctx_.clock.Now();
  Session session{std::string(kSessionPrefix) + RandomHex(32),
                  FormatTimestamp(now + kSessionLifetime), ToPrincipal(*owner)};
  RETURN_IF_ERROR(conn->Begin());
  auto r = store::InsertSession(*conn, Sha256Hex(session.session_id), owner->org_id,
                                owner->user_id, FormatTimestamp(now), session.expires_at);
  if (!r.ok()) {
    (void)conn->Rollback();
    return std::move(r).take_error();
  }
  RETURN_IF_ERROR(conn->Commit());
  return session;
}

Result<Principal> AuthService::AuthenticateSession(const std::string& session_id) const {
  if (session_id.rfind(kSessionPrefix, 0) != 0) return BadCredentials();
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  ASSIGN_OR_RETURN(auto owner, store::FindSessionOwner(*conn, Sha256Hex(session_id),
                                                       FormatTimestamp(ctx_.clock.Now())));
  if (!owner) return BadCredentials();
  return ToPrincipal(*owner);
}

Result<void> AuthService::Logout(const std::string& session_id) const {
  return store::InTransaction(
      ctx_.db, [&](Connection& c) { return store::DeleteSession(c, Sha256Hex(session_id)); });
}

Result<domain::Organization> AuthService::GetOrganization(const std::string& org_id) const {
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  return store::RecordRepository<domain::Organization>(domain::OrganizationSpec())
      .Get(*conn, org_id, org_id);
}

Result<domain::User> AuthService::GetUser(const std::string& org_id,
                                          const std::string& user_id) const {
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  return store::RecordRepository<domain::User>(domain::UserSpec()).Get(*conn, org_id, user_id);
}

}  // namespace relance::services
