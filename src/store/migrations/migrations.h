// Versioned schema migrations, applied in order at start-up (and by
// `relance migrate`). Each runs in its own transaction together with the
// row that records it, so a crash leaves either all or none of it, and two
// processes starting at once cannot both apply the same step.
#pragma once

#include <string_view>
#include <vector>

#include "store/db.h"

namespace relance::store {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;  // portable DDL: runs unchanged on SQLite and PostgreSQL
};

const std::vector<Migration>& AllMigrations();

// Applies what is missing; returns the versions it applied.
Result<std::vector<int>> ApplyMigrations(Database& db);

// The highest version applied (read-only: an error before the first
// ApplyMigrations, which a health check reports as not ready).
Result<int> CurrentSchemaVersion(Database& db);

}  // namespace relance::store
