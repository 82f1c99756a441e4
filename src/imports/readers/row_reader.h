// RowReader: the rows of an imported file (CSV, XLSX/XLSM, XLSB, XLS), one at
// a time, as UTF-8 text, whatever the format, encoding or separator
// (R-IMP-1, R-IMP-2). OpenReader() sniffs the real format from the bytes, not
// from the file name, and refuses what cannot be imported (Apple Numbers,
// password-protected workbooks, files that are not what their name says) with
// a message that tells the user what to do.
//
// Streaming: a reader holds one block of input (CSV) or one row (spreadsheets)
// plus, for spreadsheets, the workbook's shared-string table, so memory does
// not grow with the number of rows. Every size is bounded by ReaderLimits
// (zip bombs, XML entity expansion, absurd dimensions): exceeding one is a
// clear error, never unbounded memory or time.
//
// Thread safety: a RowReader is used by one thread at a time. Distinct readers
// are independent. An XLSX/XLSB reader runs one helper thread of its own that
// inflates the worksheet ahead of the parser (stopped by its destructor).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace relance::imports {

enum class FileFormat { kCsv, kXlsx, kXlsb, kXls };
std::string_view FileFormatName(FileFormat format);  // "csv", "xlsx", "xlsb", "xls"

enum class SheetState { kVisible, kHidden, kVeryHidden };
enum class SheetKind { kWorksheet, kChartsheet, kOther };  // kOther: macro/dialog sheets

struct SheetInfo {
  std::string name;
  SheetState state = SheetState::kVisible;
  SheetKind kind = SheetKind::kWorksheet;
};

// What OpenReader found, for the preview screen and the import report.
struct DetectedFormat {
  FileFormat format = FileFormat::kCsv;
  // CSV only: the source encoding ("UTF-8", "UTF-8 with BOM", "UTF-16LE",
  // "UTF-16BE", "Windows-1252", "SHIFT_JIS", ...) and the separator.
  std::string encoding;
  char separator = ',';
  // Spreadsheets only: every sheet in display order, and the one being read.
  std::vector<SheetInfo> sheets;
  std::string sheet;
  bool date1904 = false;  // spreadsheets: the workbook uses the 1904 date system
  // Set when the file's extension names another format than its content
  // (e.g. an XLS workbook saved as "clients.xlsx"); the content wins.
  std::string note;
};

// One row of the file.
//
// Lifetime: `cells` and `problem` view memory owned by the reader. They stay
// valid until the next call to Next() on the same reader or its destruction;
// copy them (ToOwned()) to keep them longer.
struct Row {
  // 1-based physical position: for CSV the line where the record starts
  // (quoted line breaks count, so it is what a text editor shows); for
  // spreadsheets the sheet's row number.
  int64_t line = 0;
  // Cell texts in column order, as the spreadsheet shows them: strings as
  // stored ("00123" stays "00123"), numbers like Excel's General format
  // ("40", "1.27", "1E+20"), zero-padded number formats kept ("00123"),
  // booleans "TRUE"/"FALSE", error cells "#N/A", dates as ISO 8601
  // ("2021-01-01", "2021-01-01T10:10:10", "10:10:10", elapsed "255:10:10").
  // Empty cells are empty views; spreadsheet rows have no trailing empty
  // cells. CSV fields are decoded (quotes removed, "" unescaped).
  std::span<const std::string_view> cells;
  // Non-empty when this row is malformed (e.g. "line 4 has 5 fields, the
  // header (line 1) has 3"); the same text is in RowReader::issues().
  std::string_view problem;
};

// A copy of a Row that owns its text.
struct OwnedRow {
  int64_t line = 0;
  std::vector<std::string> cells;
  std::string problem;
  bool operator==(const OwnedRow&) const = default;
};
OwnedRow ToOwned(const Row& row);

// A problem found in one row that does not stop the reading (R-IMP-2: a CSV
// line with the wrong number of fields, an invalid byte sequence). The import
// decides what to do with the row.
struct ReadIssue {
  int64_t line = 0;
  std::string message;
};

struct ReaderLimits {
  // Zip parts (XLSX/XLSB): the largest uncompressed part, and the largest
  // compression ratio accepted for parts bigger than ratio_check_bytes.
  uint64_t max_part_bytes = uint64_t{2} << 30;
  uint64_t max_compression_ratio = 250;
  uint64_t ratio_check_bytes = uint64_t{64} << 20;
  // Shared-string tables (XLSX, XLSB, XLS): count and total UTF-8 bytes.
  uint64_t max_shared_strings = 5'000'000;
  uint64_t max_shared_string_bytes = uint64_t{512} << 20;
  // Dimensions. Excel's own limits are 16,384 columns and 1,048,576 rows.
  uint32_t max_columns = 16384;
  uint32_t max_rows = 1'048'576;          // spreadsheets only; a CSV file may be longer
  uint32_t max_cell_bytes = 1u << 20;     // one cell's text (Excel: 32,767 chars)
  uint32_t max_record_bytes = 32u << 20;  // one CSV record (an unclosed quote stops here)
  uint32_t max_issues = 10'000;           // issues() keeps the first ones, counts the rest
};

struct ReaderOptions {
  // Spreadsheets: the sheet to read. Empty: the first visible worksheet.
  std::string sheet;
  ReaderLimits limits;
};

class RowReader {
 public:
  virtual ~RowReader() = default;

  // The next row, std::nullopt at the end, or an error that ends the reading
  // (damaged file, a limit exceeded, an unclosed quote at the end of a CSV).
  // Rows without any non-empty cell are skipped (their numbers are absent);
  // a problem confined to one row is reported in Row::problem instead.
  virtual Result<std::optional<Row>> Next() = 0;

  const DetectedFormat& format() const { return format_; }
  // Row-level problems seen so far, in order (at most limits.max_issues kept).
  const std::vector<ReadIssue>& issues() const { return issues_; }
  uint64_t issue_count() const { return issue_count_; }

 protected:
  explicit RowReader(DetectedFormat format, uint32_t max_issues)
      : format_(std::move(format)), max_issues_(max_issues) {}
  // Records an issue; returns the stored message (valid until the next
  // AddIssue) for Row::problem.
  std::string_view AddIssue(int64_t line, std::string message);

  DetectedFormat format_;

 private:
  std::vector<ReadIssue> issues_;
  uint64_t issue_count_ = 0;
  uint32_t max_issues_;
  std::string last_issue_;
};

// Opens `path`, sniffs its real format and returns a reader positioned before
// the first row. Errors are InvalidArgument with a user-facing message
// (unsupported format and what to do instead, password, damaged file, missing
// sheet) or ResourceExhausted (a limit exceeded).
Result<std::unique_ptr<RowReader>> OpenReader(const std::string& path,
                                              const ReaderOptions& options = {});

// Same over bytes in memory; `name` is the file name the user gave (only its
// extension is used, for messages). `data` must outlive the reader.
Result<std::unique_ptr<RowReader>> OpenReaderFromBuffer(std::string_view data,
                                                        std::string_view name,
                                                        const ReaderOptions& options = {});

// Reads up to `max_rows` rows (copies) from the start of `reader`, e.g. for
// the preview and CheckHeaderRow.
Result<std::vector<OwnedRow>> ReadRows(RowReader& reader, size_t max_rows);

// R-IMP-3: the first row of the file must be the header. Given the first rows
// a reader returned (10 are enough), refuses an empty file, blank rows above
// the header, a header with no column names, and a title (one filled cell
// above a table of several columns), with a message that says what to do.
Result<void> CheckHeaderRow(std::span<const OwnedRow> first_rows, FileFormat format);

}  // namespace relance::imports
