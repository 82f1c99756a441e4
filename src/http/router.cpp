#include "http/router.h"

#include <algorithm>

namespace relance::http {
namespace {

bool IsParam(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Reply JsonReply(int status, const nlohmann::ordered_json& body) {
  Reply r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Reply ErrorReply(const ApiError& e) {
  Reply r;
  r.status = e.status;
  r.body = EnvelopeJson(e);
  return r;
}

Reply ErrorReply(const Error& e) { return ErrorReply(FromError(e)); }

Reply NoContent() {
  Reply r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

void Router::Add(Route route) {
  auto segments = SplitPath(route.path);
  route.segments = segments ? std::move(*segments) : std::vector<std::string>{};
  route.index = routes_.size();
  routes_.push_back(std::move(route));
}

Router::Found Router::Find(std::string_view method,
                           const std::vector<std::string>& segments) const {
  Found found;
  int best_literals = -1;
  std::vector<std::string> allowed;
  for (const Route& r : routes_) {
    if (r.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    int literals = 0;
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      const std::string& t = r.segments[i];
      if (IsParam(t)) {
        if (segments[i].empty()) match = false;
        params[t.substr(1, t.size() - 2)] = segments[i];
      } else if (t == segments[i]) {
        ++literals;
      } else {
        match = false;
      }
    }
    if (!match) continue;
    if (r.method != method) {
      if (std::find(allowed.begin(), allowed.end(), r.method) == allowed.end()) {
        allowed.push_back(r.method);
      }
      continue;
    }
    if (literals > best_literals) {
      best_literals = literals;
      found.route = &r;
      found.params = std::move(params);
    }
  }
  if (found.route == nullptr) {
    for (size_t i = 0; i < allowed.size(); ++i) {
      if (i) found.allowed += ", ";
      found.allowed += allowed[i];
    }
  }
  return found;
}

std::optional<std::vector<std::string>> SplitPath(std::string_view raw) {
  std::vector<std::string> out;
  if (raw.empty() || raw.front() != '/') return std::nullopt;
  raw.remove_prefix(1);
  if (!raw.empty() && raw.back() == '/') raw.remove_suffix(1);
  if (raw.empty()) return out;
  std::string current;
  for (size_t i = 0; i <= raw.size(); ++i) {
    if (i == raw.size() || raw[i] == '/') {
      out.push_back(std::move(current));
      current.clear();
      continue;
    }
    char c = raw[i];
    if (c == '%') {
      if (i + 2 >= raw.size()) return std::nullopt;
      int hi = HexValue(raw[i + 1]);
      int lo = HexValue(raw[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      current += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      current += c;
    }
  }
  return out;
}

std::string_view RawPath(const std::string& target) {
  std::string_view t(target);
  size_t q = t.find('?');
  return q == std::string_view::npos ? t : t.substr(0, q);
}

}  // namespace relance::http
