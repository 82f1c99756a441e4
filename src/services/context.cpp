#include "services/context.h"

namespace relance::services {

Result<void> Authorize(const Principal& p, Access access) {
  if (p.org_id.empty()) return Error(ErrorCode::kUnauthenticated, "not signed in");
  switch (access) {
    case Access::kRead:
      return Ok();
    case Access::kWrite:
      if (p.role == "ADMIN" || p.role == "MEMBER") return Ok();
      return Error(ErrorCode::kPermissionDenied, "read-only users cannot change data");
    case Access::kAdmin:
      if (p.role == "ADMIN") return Ok();
      return Error(ErrorCode::kPermissionDenied, "only administrators can do this");
  }
  return Error(ErrorCode::kPermissionDenied, "not allowed");
}

}  // namespace relance::services
