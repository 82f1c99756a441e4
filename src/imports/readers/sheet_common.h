// Pieces shared by the XLSX, XLSB and XLS readers: choosing the sheet,
// assembling a row, and the messages users see.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "imports/readers/row_reader.h"

namespace relance::imports {

// The sheet to read: `requested` by name (exact, then case-insensitive), or
// the first visible worksheet. Refuses a chart sheet and a missing name (the
// message lists the sheets).
Result<size_t> ChooseSheet(const std::vector<SheetInfo>& sheets, const std::string& requested);

// When the default sheet has no row and other worksheets exist: an error that
// names them, so the user picks one instead of importing nothing.
std::optional<Error> EmptyDefaultSheetError(const DetectedFormat& format, bool sheet_requested);

Error PasswordProtected();
Error DamagedWorkbook(std::string_view detail);
Error TooLarge(std::string message);  // ResourceExhausted

// Collects the cells of one row, by column, then exposes them as views.
class RowBuilder {
 public:
  void Reset();
  // Storage for column `col`'s text (the caller fills it).
  std::string* Owned(uint32_t col);
  // A view that outlives the row (e.g. into the shared-string table).
  void SetShared(uint32_t col, std::string_view text);
  void Clear(uint32_t col);
  // Builds the views; trims trailing empty cells. False when every cell is
  // empty.
  bool Finish();
  std::span<const std::string_view> cells() const { return cells_; }

 private:
  void Grow(uint32_t col);
  std::vector<std::string> owned_;
  std::vector<std::string_view> shared_;
  std::vector<uint8_t> kind_;  // 0 empty, 1 owned, 2 shared
  std::vector<std::string_view> cells_;
  uint32_t width_ = 0;
};

// The shared-string table of a workbook, loaded once, in one arena. Bounded
// by limits.max_shared_strings and limits.max_shared_string_bytes.
class SharedStrings {
 public:
  explicit SharedStrings(const ReaderLimits& limits) : limits_(limits) { offsets_.push_back(0); }
  Result<void> Add(std::string_view text);
  size_t size() const { return offsets_.size() - 1; }
  // Valid once loading is over (the arena no longer grows).
  std::string_view Get(size_t i) const {
    return std::string_view(arena_).substr(offsets_[i], offsets_[i + 1] - offsets_[i]);
  }

 private:
  ReaderLimits limits_;
  std::string arena_;
  std::vector<uint64_t> offsets_;
};

// Lower-case ASCII copy.
std::string AsciiLower(std::string_view s);

}  // namespace relance::imports
