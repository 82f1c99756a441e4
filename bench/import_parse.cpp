// import_parse: the import's parsing alone, "CSV -> validated rows" with no
// store (bench/import.sh). Opens FILE as an import does, proposes the
// mapping from its header, and runs every data row through a RowParser
// (cell checks, positions, flags, delays, and the domain's validation of
// the customer and the contact), on one thread. Prints on stdout:
//
//   rows=N bytes=FILE_BYTES seconds=S mb_per_s=X
//
// with rows = data rows, and the count of rows with problems on stderr.
// Exit 0 on success, 1 when the file cannot be read, 64 on bad usage.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "imports/column_mapping.h"
#include "imports/import_row.h"
#include "imports/readers/row_reader.h"

namespace {

struct Totals {
  uint64_t rows = 0;
  uint64_t invalid = 0;
  uint64_t contacts = 0;
};

relance::Result<Totals> ParseAll(const std::string& path) {
  using namespace relance::imports;
  ASSIGN_OR_RETURN(auto reader, OpenReader(path));
  ASSIGN_OR_RETURN(auto header, reader->Next());
  if (!header) return relance::InvalidArgument("the file is empty");
  std::vector<std::string> names(header->cells.begin(), header->cells.end());
  const ColumnMapping mapping = ProposeMapping(names);
  Totals t;
  RowParser parser(mapping);
  for (;;) {
    ASSIGN_OR_RETURN(auto row, reader->Next());
    if (!row) break;
    ++t.rows;
    const ImportRow& parsed = parser.Parse(row->line, row->cells);
    if (!parsed.problems.empty() || !row->problem.empty()) ++t.invalid;
    if (parsed.contact.present) ++t.contacts;
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: import_parse FILE\n";
    return 64;
  }
  const std::string path = argv[1];
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  if (ec) {
    std::cerr << "import_parse: " << path << ": " << ec.message() << "\n";
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  auto totals = ParseAll(path);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!totals.ok()) {
    std::cerr << "import_parse: " << totals.error().message() << "\n";
    return 1;
  }
  std::cerr << "import_parse: " << totals->invalid << " rows with problems, " << totals->contacts
            << " contacts\n";
  std::printf("rows=%llu bytes=%llu seconds=%.3f mb_per_s=%.1f\n",
              static_cast<unsigned long long>(totals->rows), static_cast<unsigned long long>(bytes),
              seconds, static_cast<double>(bytes) / 1e6 / seconds);
  return 0;
}
