// Reading rows by a list of keys: `... IN (?, ?, ...)` in slices small
// enough for the planners to keep using the key's index.
#pragma once

#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/db.h"

namespace relance::store {

// How many ids one lookup of rows by key names in its `IN (...)`. PostgreSQL
// prices each probe of an index for an IN list as a random page read, so
// past a few hundred ids it scans the whole table instead, and plans each
// such statement anew: a sync's lookup of 500 external references among
// 36,000 took 35 ms by a scan against 1 ms for 100 by the primary key, and
// the scans grew with the table. With 100 the index wins at every size.
inline constexpr size_t kIdsPerLookup = 100;

// Runs `fn(chunk)` over `ids` in slices of kIdsPerLookup; stops at the first
// error and returns it.
template <typename Fn>
Result<void> ForEachLookupChunk(std::span<const std::string> ids, Fn fn) {
  for (size_t i = 0; i < ids.size(); i += kIdsPerLookup) {
    RETURN_IF_ERROR(fn(ids.subspan(i, std::min(kIdsPerLookup, ids.size() - i))));
  }
  return Ok();
}

// "?, ?, ..." with `n` placeholders.
inline std::string Placeholders(size_t n) {
  std::string out;
  out.reserve(3 * n);
  for (size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

// For each chunk of `ids`: `select` + " IN (?, ...)" + `tail`, with `head`
// (the parameters of `select`'s other conditions) then the chunk's ids as
// its parameters; each row to `on_row`.
template <typename OnRow>
Result<void> QueryByIds(Connection& c, const std::vector<SqlValue>& head,
                        const std::vector<std::string>& ids, std::string_view select,
                        std::string_view tail, OnRow on_row) {
  return ForEachLookupChunk(ids, [&](std::span<const std::string> chunk) -> Result<void> {
    std::vector<SqlValue> params = head;
    params.reserve(head.size() + chunk.size());
    for (const auto& id : chunk) params.emplace_back(id);
    ASSIGN_OR_RETURN(auto rows, c.Query(std::string(select) + " IN (" +
                                            Placeholders(chunk.size()) + ")" + std::string(tail),
                                        params));
    for (auto& row : rows) on_row(row);
    return Ok();
  });
}

}  // namespace relance::store
