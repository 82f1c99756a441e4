#include "http/auth_middleware.h"

#include <algorithm>
#include <cctype>

namespace relance::http {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

Error Unauthenticated(std::string message) {
  return Error(ErrorCode::kUnauthenticated, std::move(message));
}

}  // namespace

std::optional<std::string> CookieValue(const httplib::Request& req, std::string_view name) {
  size_t n = req.get_header_value_count("Cookie");
  for (size_t i = 0; i < n; ++i) {
    const std::string all = req.get_header_value("Cookie", i);
    std::string_view header = all;
    while (!header.empty()) {
      size_t semi = header.find(';');
      std::string_view pair = Trim(header.substr(0, semi));
      header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
      size_t eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      if (Trim(pair.substr(0, eq)) == name) return std::string(Trim(pair.substr(eq + 1)));
    }
  }
  return std::nullopt;
}

Result<services::Principal> Authenticate(const services::AuthService& auth,
                                         const httplib::Request& req) {
  if (req.has_header("Authorization")) {
    const std::string header = req.get_header_value("Authorization");
    std::string_view value = Trim(header);
    size_t space = value.find(' ');
    if (space == std::string_view::npos || !IEquals(value.substr(0, space), "Bearer")) {
      return Unauthenticated("the Authorization header must be \"Bearer <API token>\"");
    }
    std::string token(Trim(value.substr(space + 1)));
    if (token.empty()) return Unauthenticated("the Authorization header has no token");
    return auth.AuthenticateToken(token);
  }
  if (auto session = CookieValue(req, kSessionCookie); session && !session->empty()) {
    auto p = auth.AuthenticateSession(*session);
    if (!p.ok() && p.error().code() == ErrorCode::kUnauthenticated) {
      return Unauthenticated("the session has expired or was closed; log in again");
    }
    return p;
  }
  return Unauthenticated(
      "authentication required: send \"Authorization: Bearer <API token>\" or log in with POST "
      "/api/v1/auth/login");
}

std::string SessionCookie(const std::string& session_id) {
  return std::string(kSessionCookie) + "=" + session_id +
         "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(kSessionCookieMaxAgeSeconds);
}

std::string ExpiredSessionCookie() {
  return std::string(kSessionCookie) + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0";
}

}  // namespace relance::http
