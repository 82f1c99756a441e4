#include "imports/readers/sheet_common.h"

namespace relance::imports {
namespace {

std::string SheetList(const std::vector<SheetInfo>& sheets, const std::string& except) {
  std::string out;
  for (const auto& s : sheets) {
    if (s.kind != SheetKind::kWorksheet || s.name == except) continue;
    if (!out.empty()) out += ", ";
    out += "\"" + s.name + "\"";
    if (s.state != SheetState::kVisible) out += " (hidden)";
  }
  return out;
}

}  // namespace

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

Result<size_t> ChooseSheet(const std::vector<SheetInfo>& sheets, const std::string& requested) {
  if (!requested.empty()) {
    std::optional<size_t> found;
    for (size_t i = 0; i < sheets.size() && !found; ++i) {
      if (sheets[i].name == requested) found = i;
    }
    for (size_t i = 0; i < sheets.size() && !found; ++i) {
      if (AsciiLower(sheets[i].name) == AsciiLower(requested)) found = i;
    }
    if (!found) {
      return InvalidArgument("the workbook has no sheet named \"" + requested +
                             "\"; its sheets are: " + SheetList(sheets, ""));
    }
    if (sheets[*found].kind != SheetKind::kWorksheet) {
      return InvalidArgument("sheet \"" + requested +
                             "\" is a chart or macro sheet and holds no table; choose one of: " +
                             SheetList(sheets, ""));
    }
    return *found;
  }
  for (size_t i = 0; i < sheets.size(); ++i) {
    if (sheets[i].kind == SheetKind::kWorksheet && sheets[i].state == SheetState::kVisible) {
      return i;
    }
  }
  for (size_t i = 0; i < sheets.size(); ++i) {
    if (sheets[i].kind == SheetKind::kWorksheet) return i;
  }
  return InvalidArgument(
      "the workbook has no worksheet (only charts or macros): put the table "
      "in a worksheet and import again");
}

std::optional<Error> EmptyDefaultSheetError(const DetectedFormat& format, bool sheet_requested) {
  if (sheet_requested) return std::nullopt;
  std::string others = SheetList(format.sheets, format.sheet);
  if (others.empty()) return std::nullopt;
  return InvalidArgument("the first sheet, \"" + format.sheet +
                         "\", is empty; choose the sheet to import among: " + others);
}

Error PasswordProtected() {
  return InvalidArgument(
      "the file is password-protected: remove the password in Excel (File > Info > Protect "
      "Workbook > Encrypt with Password, then clear it) and import again");
}

Error DamagedWorkbook(std::string_view detail) {
  return InvalidArgument("the file is damaged and cannot be read (" + std::string(detail) +
                         "): open it in Excel, save it again as XLSX, and import the new file");
}

Error TooLarge(std::string message) {
  return Error(ErrorCode::kResourceExhausted, std::move(message));
}

Result<void> SharedStrings::Add(std::string_view text) {
  if (size() >= limits_.max_shared_strings) {
    return TooLarge("the workbook has more than " + std::to_string(limits_.max_shared_strings) +
                    " distinct texts; split the file and import each part");
  }
  if (arena_.size() + text.size() > limits_.max_shared_string_bytes) {
    return TooLarge("the texts of the workbook exceed " +
                    std::to_string(limits_.max_shared_string_bytes >> 20) +
                    " MB; split the file and import each part");
  }
  arena_.append(text);
  offsets_.push_back(arena_.size());
  return Ok();
}

void RowBuilder::Reset() {
  for (uint32_t i = 0; i < width_; ++i) {
    kind_[i] = 0;
  }
  width_ = 0;
}

void RowBuilder::Grow(uint32_t col) {
  if (col >= kind_.size()) {
    size_t n = std::max<size_t>(col + 1, kind_.size() * 2);
    owned_.resize(n);
    shared_.resize(n);
    kind_.resize(n, 0);
  }
  if (col >= width_) {
    for (uint32_t i = width_; i <= col; ++i) kind_[i] = 0;
    width_ = col + 1;
  }
}

std::string* RowBuilder::Owned(uint32_t col) {
  Grow(col);
  kind_[col] = 1;
  owned_[col].clear();
  return &owned_[col];
}

void RowBuilder::SetShared(uint32_t col, std::string_view text) {
  Grow(col);
  kind_[col] = 2;
  shared_[col] = text;
}

void RowBuilder::Clear(uint32_t col) {
  if (col < width_) kind_[col] = 0;
}

bool RowBuilder::Finish() {
  cells_.clear();
  uint32_t last = 0;
  for (uint32_t i = 0; i < width_; ++i) {
    std::string_view v;
    if (kind_[i] == 1) {
      v = owned_[i];
    } else if (kind_[i] == 2) {
      v = shared_[i];
    }
    cells_.push_back(v);
    if (!v.empty()) last = i + 1;
  }
  cells_.resize(last);
  return last > 0;
}

}  // namespace relance::imports
