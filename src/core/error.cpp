#include "core/error.h"

namespace relance {
namespace {

struct CodeInfo {
  ErrorCode code;
  std::string_view name;
  int http_status;
  int exit_code;
  bool retryable;
};

// Exit codes follow sysexits.h where one fits, so scripts can tell a bad
// argument (64/65) from a missing record or a server that is down.
constexpr CodeInfo kCodes[] = {
    {ErrorCode::kInvalidArgument, "invalid_argument", 422, 65, false},
    {ErrorCode::kMalformed, "malformed_request", 400, 65, false},
    {ErrorCode::kNotFound, "not_found", 404, 66, false},
    {ErrorCode::kAlreadyExists, "already_exists", 409, 73, false},
    {ErrorCode::kConflict, "conflict", 409, 75, true},
    {ErrorCode::kFailedPrecondition, "failed_precondition", 422, 65, false},
    {ErrorCode::kUnauthenticated, "unauthenticated", 401, 77, false},
    {ErrorCode::kPermissionDenied, "permission_denied", 403, 77, false},
    {ErrorCode::kResourceExhausted, "resource_exhausted", 413, 75, false},
    {ErrorCode::kUnavailable, "unavailable", 503, 69, true},
    {ErrorCode::kInternal, "internal", 500, 70, false},
};

const CodeInfo& Info(ErrorCode code) {
  for (const auto& info : kCodes) {
    if (info.code == code) return info;
  }
  return kCodes[sizeof(kCodes) / sizeof(kCodes[0]) - 1];
}

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) { return Info(code).name; }
int HttpStatus(ErrorCode code) { return Info(code).http_status; }
int ExitCode(ErrorCode code) { return Info(code).exit_code; }
bool IsRetryable(ErrorCode code) { return Info(code).retryable; }

std::string Error::ToString() const {
  std::string s(ErrorCodeName(code_));
  s += ": ";
  s += message_;
  return s;
}

}  // namespace relance
