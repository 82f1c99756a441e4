// PostgreSQL backend of store::Database, over libpq.
#pragma once

#include <memory>
#include <string>

#include "store/db.h"

namespace relance::store {

// `url` is a libpq connection URI ("postgresql://user@127.0.0.1:5432/db?options=...").
Result<std::unique_ptr<Database>> OpenPostgres(const std::string& url, int pool_size);

}  // namespace relance::store
