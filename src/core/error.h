// Error: what went wrong, as a value. One table maps each code to an HTTP
// status, a CLI exit code and whether a retry may help (error.cpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace relance {

enum class ErrorCode {
  kInvalidArgument,    // the caller's input is wrong (422)
  kMalformed,          // the request itself cannot be read (400)
  kNotFound,           // no such record in this organization (404)
  kAlreadyExists,      // unique key taken (409)
  kConflict,           // stale version, or a field owned by a connector (409)
  kFailedPrecondition, // the record is not in a state that allows it (422)
  kUnauthenticated,    // no or bad credentials (401)
  kPermissionDenied,   // authenticated, but the role does not allow it (403)
  kResourceExhausted,  // too large, too many (413 / 429)
  kUnavailable,        // a dependency is down; retry later (503)
  kInternal,           // a bug or an invariant broken (500)
};

// A problem with one input field: `field` is a JSON-pointer-like path
// ("contacts[2].email") so a client can show it beside the right input.
struct FieldError {
  std::string field;
  std::string message;
  bool operator==(const FieldError&) const = default;
};

class Error {
 public:
  Error(ErrorCode code, std::string message, std::vector<FieldError> details = {})
      : code_(code), message_(std::move(message)), details_(std::move(details)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::vector<FieldError>& details() const { return details_; }

  // "invalid_argument: amount must not be negative"
  std::string ToString() const;

 private:
  ErrorCode code_;
  std::string message_;
  std::vector<FieldError> details_;
};

// The single table behind the edges.
std::string_view ErrorCodeName(ErrorCode code);  // "invalid_argument"
int HttpStatus(ErrorCode code);
int ExitCode(ErrorCode code);
bool IsRetryable(ErrorCode code);

inline Error InvalidArgument(std::string m, std::vector<FieldError> d = {}) {
  return Error(ErrorCode::kInvalidArgument, std::move(m), std::move(d));
}
inline Error FieldInvalid(std::string field, std::string m) {
  std::string whole = field + ": " + m;
  return Error(ErrorCode::kInvalidArgument, std::move(whole), {{std::move(field), std::move(m)}});
}
inline Error NotFound(std::string m) { return Error(ErrorCode::kNotFound, std::move(m)); }
inline Error Conflict(std::string m, std::vector<FieldError> d = {}) {
  return Error(ErrorCode::kConflict, std::move(m), std::move(d));
}
inline Error Internal(std::string m) { return Error(ErrorCode::kInternal, std::move(m)); }
inline Error Unavailable(std::string m) { return Error(ErrorCode::kUnavailable, std::move(m)); }

}  // namespace relance
