// The one error envelope of the API:
//
//   {"error": {"code": "invalid_argument", "message": "...",
//              "details": [{"field": "amount", "message": "must not be negative"}]}}
//
// An Error from the services becomes a status and a code through core's
// single table (HttpStatus, ErrorCodeName); the few conditions that exist
// only at the HTTP edge (no such route, wrong method, an idempotency key
// reused, an unsupported media type) carry their own code. Stateless.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace relance::http {

struct ApiError {
  int status = 500;
  std::string code;     // snake_case, stable: clients may switch on it
  std::string message;  // for a person; never a stack trace or SQL
  std::vector<FieldError> details;
};

// Through core's table.
ApiError FromError(const Error& e);

// The conditions that only the HTTP edge knows.
ApiError RouteNotFound(const std::string& method, const std::string& path);
ApiError MethodNotAllowed(const std::string& method, const std::string& path,
                          const std::string& allowed);
ApiError PayloadTooLarge(size_t max_bytes);
ApiError UnsupportedMediaType(const std::string& content_type);
ApiError IdempotencyKeyReused(const std::string& key);
ApiError IdempotencyKeyInUse(const std::string& key);
// A 500 that names only the request id the log line carries.
ApiError InternalError(const std::string& request_id);
// For a status httplib produced on its own (400 unreadable request, 414 ...).
ApiError FromStatus(int status);

// The envelope as JSON text.
std::string EnvelopeJson(const ApiError& e);

}  // namespace relance::http
