// Who is calling: an API token ("Authorization: Bearer rlt_...") or a login
// session (cookie relance_session=rls_..., HttpOnly, SameSite=Lax). A request
// that sends an Authorization header is judged by it alone, never by a
// cookie it also carries. Role checks are services::Authorize, applied by
// the dispatcher with the access each route declares. Stateless.
#pragma once

#include <httplib.h>

#include <optional>
#include <string>
#include <string_view>

#include "services/auth_service.h"

namespace relance::http {

inline constexpr std::string_view kSessionCookie = "relance_session";
// Matches the services' session lifetime (14 days).
inline constexpr int64_t kSessionCookieMaxAgeSeconds = 14 * 24 * 3600;

// kUnauthenticated (401) when there are no credentials or they are unknown,
// revoked or expired.
Result<services::Principal> Authenticate(const services::AuthService& auth,
                                         const httplib::Request& req);

// The value of one cookie of the request, if sent.
std::optional<std::string> CookieValue(const httplib::Request& req, std::string_view name);

// Set-Cookie values that open and close a session.
std::string SessionCookie(const std::string& session_id);
std::string ExpiredSessionCookie();

}  // namespace relance::http
