// What every service needs: the database and the clock. Owned by the app;
// services hold references and must not outlive it.
#pragma once

#include <string>

#include "core/clock.h"
#include "store/db.h"

namespace relance::services {

struct Context {
  store::Database& db;
  const Clock& clock;
};

// Who is asking: every service call is scoped to the principal's organization
// (R-CORE-1) and checked against its role.
struct Principal {
  std::string org_id;
  std::string user_id;
  std::string role;  // ADMIN, MEMBER, READ_ONLY
  // "relance" for people and API clients; a connector's name when a sync
  // writes (connector-owned fields are writable only by their owner).
  std::string origin = "relance";
  // The organization's time zone when the principal was authenticated from
  // a token or a session (read in the same query); empty otherwise, and
  // TodayFor reads it from the organization then.
  std::string time_zone = {};
};

// The role check used by every write: READ_ONLY may only read; managing
// users, tokens and organization settings takes ADMIN.
enum class Access { kRead, kWrite, kAdmin };
Result<void> Authorize(const Principal& p, Access access);

}  // namespace relance::services
