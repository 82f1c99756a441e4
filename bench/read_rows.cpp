// read_rows: the raw speed of the import readers (bench/import.sh). Opens
// FILE with relance::imports::OpenReader, as an import does (format sniffed
// from the bytes), reads every row and touches every byte of every cell, then
// prints one line on stdout:
//
//   rows=N cells=N bytes=FILE_BYTES seconds=S mb_per_s=X
//
// rows counts every row returned, the header included; cells counts the
// non-empty cells (as bench/openpyxl_read.py does, so the two tools can be
// checked against each other); MB are 10^6 bytes of the file as stored
// (compressed, for a spreadsheet). The time runs from opening to the last
// row. Row-level problems (R-IMP-2) are counted on stderr. Exit 0 on success,
// 1 when the file cannot be read, 64 on bad usage.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>

#include "imports/readers/row_reader.h"

namespace {

struct Totals {
  uint64_t rows = 0;
  uint64_t cells = 0;
  // A sum of every cell byte, printed on stderr so that reading the bytes
  // cannot be optimized away.
  uint64_t checksum = 0;
};

relance::Result<Totals> ReadAll(const std::string& path) {
  ASSIGN_OR_RETURN(auto reader, relance::imports::OpenReader(path));
  Totals totals;
  for (;;) {
    ASSIGN_OR_RETURN(auto row, reader->Next());
    if (!row) break;
    ++totals.rows;
    for (std::string_view cell : row->cells) {
      if (cell.empty()) continue;
      ++totals.cells;
      for (char byte : cell) totals.checksum += static_cast<unsigned char>(byte);
    }
  }
  if (reader->issue_count() > 0) {
    std::cerr << "read_rows: " << reader->issue_count() << " row problems, the first: line "
              << reader->issues().front().line << ": " << reader->issues().front().message << "\n";
  }
  return totals;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: read_rows FILE\n";
    return 64;
  }
  const std::string path = argv[1];
  std::error_code size_error;
  const uintmax_t file_bytes = std::filesystem::file_size(path, size_error);
  if (size_error) {
    std::cerr << "read_rows: " << path << ": " << size_error.message() << "\n";
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  auto totals = ReadAll(path);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!totals.ok()) {
    std::cerr << "read_rows: " << path << ": " << totals.error().ToString() << "\n";
    return 1;
  }
  std::cerr << "read_rows: checksum " << totals->checksum << "\n";
  std::printf("rows=%llu cells=%llu bytes=%llu seconds=%.3f mb_per_s=%.1f\n",
              static_cast<unsigned long long>(totals->rows),
              static_cast<unsigned long long>(totals->cells),
              static_cast<unsigned long long>(file_bytes), seconds,
              static_cast<double>(file_bytes) / 1e6 / seconds);
  return 0;
}
