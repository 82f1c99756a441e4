#include "http/error_response.h"

#include <nlohmann/json.hpp>

namespace relance::http {

ApiError FromError(const Error& e) {
  return ApiError{HttpStatus(e.code()), std::string(ErrorCodeName(e.code())), e.message(),
                  e.details()};
}

ApiError RouteNotFound(const std::string& method, const std::string& path) {
  return ApiError{404,
                  "route_not_found",
                  "no route " + method + " " + path + "; see /api/v1/openapi.json or /docs",
                  {}};
}

ApiError MethodNotAllowed(const std::string& method, const std::string& path,
                          const std::string& allowed) {
  return ApiError{405,
                  "method_not_allowed",
                  method + " is not allowed on " + path + "; allowed: " + allowed,
                  {}};
}

ApiError PayloadTooLarge(size_t max_bytes) {
  return ApiError{
      413,
      "payload_too_large",
      "the request body is larger than the limit of " + std::to_string(max_bytes) + " bytes",
      {}};
}

ApiError UnsupportedMediaType(const std::string& content_type) {
  return ApiError{
      415,
      "unsupported_media_type",
      "request bodies must be JSON (Content-Type: application/json), not \"" + content_type + "\"",
      {}};
}

ApiError IdempotencyKeyReused(const std::string& key) {
  return ApiError{422,
                  "idempotency_key_reused",
                  "Idempotency-Key \"" + key +
                      "\" was already used for a different request; use a new key for a new "
                      "request",
                  {{"Idempotency-Key", "was used with another method, path or body"}}};
}

ApiError IdempotencyKeyInUse(const std::string& key) {
  return ApiError{409,
                  "idempotency_key_in_use",
                  "a request with Idempotency-Key \"" + key +
                      "\" is still being processed, or was interrupted before it answered; "
                      "check whether it took effect before using a new key",
                  {}};
}

ApiError InternalError(const std::string& request_id) {
  return ApiError{500,
                  "internal",
                  "internal error; the server log has the details under request id " + request_id,
                  {}};
}

ApiError FromStatus(int status) {
  switch (status) {
    case 400:
      return {400, "malformed_request", "the HTTP request could not be read", {}};
    case 404:
      return {404, "route_not_found", "no such route", {}};
    case 405:
      return {405, "method_not_allowed", "method not allowed", {}};
    case 413:
      return {413, "payload_too_large", "the request body is too large", {}};
    case 414:
      return {414, "uri_too_long", "the request URI is too long", {}};
    case 416:
      return {416, "range_not_satisfiable", "the requested range cannot be served", {}};
    default:
      break;
  }
  if (status >= 500) return {status, "internal", "internal error", {}};
  return {status, "http_" + std::to_string(status), "the request failed", {}};
}

std::string EnvelopeJson(const ApiError& e) {
  nlohmann::ordered_json details = nlohmann::ordered_json::array();
  for (const auto& d : e.details) {
    details.push_back({{"field", d.field}, {"message", d.message}});
  }
  nlohmann::ordered_json j = {
      {"error", {{"code", e.code}, {"message", e.message}, {"details", std::move(details)}}}};
  // Invalid UTF-8 in a message (echoed input) must not throw here.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace relance::http
