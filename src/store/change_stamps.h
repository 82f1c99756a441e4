// Change stamps: a counter per (organization, table) that every write to a
// stamped table moves, in the writer's transaction. A reader that saw stamp
// S before reading knows the table is unchanged while the stamp still reads
// S: the HTTP list cache (http/list_page_cache.h) keeps rendered pages under
// the stamp they were read at, across processes and on both backends,
// without triggers (the schema stays portable DDL).
//
// Every write path of a stamped table bumps it: RecordRepository's Insert,
// Update and Delete, both backends' BulkInsert, and the few hand-written UPDATEs
// (dunning_queries.cpp). A new hand-written write to a stamped table must
// call BumpChangeStamp too.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/db.h"

namespace relance::store {

// The tables whose writes are stamped: those a cached list reads.
bool IsChangeStamped(std::string_view table);

// +1 on (org_id, table), creating the row at 1.
Result<void> BumpChangeStamp(Connection& c, const std::string& org_id, std::string_view table);

// After a bulk insert into `table`: one bump per organization of `rows`
// (found in the "org_id" column), when the table is stamped.
Result<void> StampBulkRows(Connection& c, std::string_view table,
                           std::span<const std::string> columns,
                           std::span<const std::vector<SqlValue>> rows);

// The current stamp; 0 when the organization never wrote the table.
Result<int64_t> ReadChangeStamp(Connection& c, const std::string& org_id, std::string_view table);

}  // namespace relance::store
