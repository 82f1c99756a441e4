#include "store/credentials.h"

#include <vector>

namespace relance::store {
namespace {

Result<std::optional<CredentialOwner>> OneOwner(Connection& c, std::string_view sql,
                                                std::span<const SqlValue> params) {
  ASSIGN_OR_RETURN(auto rows, c.Query(sql, params));
  if (rows.empty()) return std::optional<CredentialOwner>();
  CredentialOwner owner{rows[0].Text(0), rows[0].Text(1), rows[0].Text(2), {}, {}};
  if (rows[0].size() > 3) owner.password_hash = rows[0].Text(3);
  if (rows[0].size() > 4) owner.time_zone = rows[0].Text(4);
  return std::optional<CredentialOwner>(std::move(owner));
}

}  // namespace

Result<std::optional<CredentialOwner>> FindLoginByEmail(Connection& c, const std::string& email) {
  SqlValue params[] = {email};
  return OneOwner(c, "SELECT org_id, id, role, password_hash FROM users WHERE email = ?", params);
}

Result<void> InsertToken(Connection& c, const std::string& org_id, const std::string& id,
                         const std::string& user_id, const std::string& name,
                         const std::string& token_hash, const std::string& now) {
  SqlValue params[] = {org_id, id, user_id, name, token_hash, now};
  RETURN_IF_ERROR(c.Exec(
      "INSERT INTO api_tokens (org_id, id, user_id, name, token_hash, created_at, revoked) "
      "VALUES (?, ?, ?, ?, ?, ?, 0)",
      params));
  return Ok();
}

Result<std::optional<CredentialOwner>> FindTokenOwner(Connection& c,
                                                      const std::string& token_hash) {
  SqlValue params[] = {token_hash};
  return OneOwner(c,
                  // The time zone too, so that a request needs no second
                  // query to know today's date (services::TodayFor).
                  "SELECT t.org_id, t.user_id, u.role, '', o.time_zone FROM api_tokens t "
                  "JOIN users u ON u.org_id = t.org_id AND u.id = t.user_id "
                  "JOIN organizations o ON o.org_id = t.org_id AND o.id = t.org_id "
                  "WHERE t.token_hash = ? AND t.revoked = 0",
                  params);
}

Result<void> RevokeToken(Connection& c, const std::string& org_id, const std::string& id,
                         const std::optional<std::string>& owner_user_id) {
  std::vector<SqlValue> params = {org_id, id};
  std::string sql = "UPDATE api_tokens SET revoked = 1 WHERE org_id = ? AND id = ?";
  if (owner_user_id) {
    sql += " AND user_id = ?";
    params.push_back(*owner_user_id);
  }
  ASSIGN_OR_RETURN(int64_t n, c.Exec(sql, params));
  if (n == 0) return NotFound("token " + id + " not found");
  return Ok();
}

Result<void> InsertSession(Connection& c, const std::string& session_hash,
                           const std::string& org_id, const std::string& user_id,
                           const std::string& now, const std::string& expires_at) {
  SqlValue params[] = {session_hash, org_id, user_id, now, expires_at};
  RETURN_IF_ERROR(c.Exec(
      "INSERT INTO sessions (session_hash, org_id, user_id, created_at, expires_at) VALUES (?, "
      "?, ?, ?, ?)",
      params));
  return Ok();
}

Result<std::optional<CredentialOwner>> FindSessionOwner(Connection& c,
                                                        const std::string& session_hash,
                                                        const std::string& now) {
  SqlValue params[] = {session_hash, now};
  return OneOwner(c,
                  "SELECT s.org_id, s.user_id, u.role, '', o.time_zone FROM sessions s "
                  "JOIN users u ON u.org_id = s.org_id AND u.id = s.user_id "
                  "JOIN organizations o ON o.org_id = s.org_id AND o.id = s.org_id "
                  "WHERE s.session_hash = ? AND s.expires_at > ?",
                  params);
}

Result<void> DeleteSession(Connection& c, const std::string& session_hash) {
  SqlValue params[] = {session_hash};
  RETURN_IF_ERROR(c.Exec("DELETE FROM sessions WHERE session_hash = ?", params));
  return Ok();
}

}  // namespace relance::store
