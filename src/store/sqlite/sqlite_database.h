// SQLite backend of store::Database: one file, WAL mode, a pool of
// connections (readers run in parallel, writers take turns).
#pragma once

#include <memory>
#include <string>

#include "store/db.h"

namespace relance::store {

// Creates the file (and its folder) when missing.
Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path, int pool_size);

}  // namespace relance::store
