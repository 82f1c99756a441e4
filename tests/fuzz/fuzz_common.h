// Shared by the reader fuzz targets: read everything a reader gives, within
// small limits, so a run explores formats rather than big allocations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "imports/readers/row_reader.h"

namespace relance::imports::fuzz {

inline ReaderOptions SmallLimits() {
  ReaderOptions o;
  o.limits.max_part_bytes = 8u << 20;
  o.limits.ratio_check_bytes = 1u << 20;
  o.limits.max_shared_strings = 100000;
  o.limits.max_shared_string_bytes = 8u << 20;
  o.limits.max_record_bytes = 1u << 20;
  o.limits.max_cell_bytes = 64u << 10;
  o.limits.max_columns = 2048;
  o.limits.max_issues = 100;
  return o;
}

// Opens `data` as file `name` and reads every row; checks the invariants a
// caller relies on.
inline void ReadEverything(std::string_view data, std::string_view name) {
  auto reader = OpenReaderFromBuffer(data, name, SmallLimits());
  if (!reader.ok()) return;
  std::vector<OwnedRow> first;
  int64_t last_line = 0;
  for (int i = 0; i < 200000; ++i) {
    auto row = (*reader)->Next();
    if (!row.ok() || !*row) break;
    const Row& r = **row;
    if (r.line < 1) __builtin_trap();
    if ((*reader)->format().format == FileFormat::kCsv && r.line <= last_line) __builtin_trap();
    last_line = r.line;
    size_t bytes = 0;
    for (auto c : r.cells) bytes += c.size();  // touch every view
    if (bytes > (size_t{1} << 31)) __builtin_trap();
    if (first.size() < 10) first.push_back(ToOwned(r));
  }
  (void)CheckHeaderRow(first, (*reader)->format().format);
}

}  // namespace relance::imports::fuzz
