#include "imports/readers/xlsb_reader.h"

#include <cstring>
#include <unordered_map>

#include "imports/readers/binary_cursor.h"
#include "imports/readers/cell_format.h"
#include "imports/readers/ooxml_package.h"
#include "imports/readers/sheet_common.h"

namespace relance::imports {
namespace {

// Record types of [MS-XLSB] used here.
enum : uint32_t {
  kBrtRowHdr = 0,
  kBrtCellBlank = 1,
  kBrtCellRk = 2,
  kBrtCellError = 3,
  kBrtCellBool = 4,
  kBrtCellReal = 5,
  kBrtCellSt = 6,
  kBrtCellIsst = 7,
  kBrtFmlaString = 8,
  kBrtFmlaNum = 9,
  kBrtFmlaBool = 10,
  kBrtFmlaError = 11,
  kBrtSSTItem = 19,
  kBrtFmt = 44,
  kBrtXF = 47,
  kBrtCellRString = 62,
  kBrtBeginSheetData = 145,
  kBrtEndSheetData = 146,
  kBrtWbProp = 153,
  kBrtBundleSh = 156,
  kBrtBeginCellXFs = 617,
  kBrtEndCellXFs = 618,
};

constexpr uint32_t kMaxRecord = 16u << 20;
constexpr uint32_t kMaxStringUnits = 1u << 20;

// Reads BIFF12 records (variable-length type and size) from a zip part.
class RecordStream {
 public:
  explicit RecordStream(std::unique_ptr<ZipEntryReader> in) : in_(std::move(in)) {}

  // The next record, or false at the end of the part.
  Result<bool> Next(uint32_t* type, std::string_view* data) {
    ASSIGN_OR_RETURN(bool have, Ensure(1));
    if (!have) return false;
    uint32_t t = 0;
    for (int k = 0; k < 2; ++k) {
      ASSIGN_OR_RETURN(bool more, Ensure(1));
      if (!more) return Truncated();
      uint8_t b = static_cast<uint8_t>(buf_[pos_++]);
      t |= uint32_t{b & 0x7Fu} << (7 * k);
      if (!(b & 0x80)) break;
    }
    uint32_t size = 0;
    for (int k = 0; k < 4; ++k) {
      ASSIGN_OR_RETURN(bool more, Ensure(1));
      if (!more) return Truncated();
      uint8_t b = static_cast<uint8_t>(buf_[pos_++]);
      size |= uint32_t{b & 0x7Fu} << (7 * k);
      if (!(b & 0x80)) break;
    }
    if (size > kMaxRecord) {
      return TooLarge("part " + in_->name() + " has a record of " + std::to_string(size >> 20) +
                      " MB, more than any spreadsheet needs; the file was refused");
    }
    ASSIGN_OR_RETURN(bool full, Ensure(size));
    if (!full) return Truncated();
    *type = t;
    *data = std::string_view(buf_.data() + pos_, size);
    pos_ += size;
    return true;
  }

 private:
  Error Truncated() const { return DamagedWorkbook("part " + in_->name() + " is truncated"); }

  // Makes n bytes available at pos_; false when the part ends first.
  Result<bool> Ensure(size_t n) {
    if (buf_.size() - pos_ >= n) return true;
    buf_.erase(0, pos_);
    pos_ = 0;
    while (buf_.size() < n && !eof_) {
      size_t old = buf_.size();
      size_t want = std::max<size_t>(n - old, 256 * 1024);
      buf_.resize(old + want);
      auto r = in_->Read(buf_.data() + old, want);
      if (!r.ok()) {
        buf_.resize(old);
        return std::move(r).take_error();
      }
      buf_.resize(old + *r);
      if (*r == 0) eof_ = true;
    }
    return buf_.size() >= n;
  }

  std::unique_ptr<ZipEntryReader> in_;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
};

struct Workbook {
  std::vector<SheetInfo> sheets;
  std::vector<std::string> sheet_parts;
  bool date1904 = false;
  std::string shared_strings_part;
  std::string styles_part;
};

Result<Workbook> ReadWorkbook(ZipArchive& zip, const std::string& part) {
  Workbook wb;
  ASSIGN_OR_RETURN(auto rels, ReadRelationships(zip, part));
  std::unordered_map<std::string, const Relationship*> by_id;
  for (const auto& r : rels) {
    by_id[r.id] = &r;
    if (r.type == "sharedStrings") wb.shared_strings_part = r.target;
    if (r.type == "styles") wb.styles_part = r.target;
  }
  ASSIGN_OR_RETURN(auto in, zip.OpenPart(part));
  RecordStream records(std::move(in));
  uint32_t type = 0;
  std::string_view data;
  while (true) {
    ASSIGN_OR_RETURN(bool got, records.Next(&type, &data));
    if (!got) break;
    BinaryCursor c(data);
    if (type == kBrtWbProp) {
      wb.date1904 = (c.U32() & 1) != 0;
    } else if (type == kBrtBundleSh && wb.sheets.size() < 10000) {
      uint32_t state = c.U32();
      c.U32();  // iTabID
      std::string rel_id, name;
      uint32_t cch = c.U32();
      if (cch != 0xFFFFFFFFu) {
        if (cch > kMaxStringUnits) return DamagedWorkbook("bad sheet record");
        c.Utf16(cch, &rel_id);
      }
      c.WideString(&name, kMaxStringUnits);
      if (!c.ok()) return DamagedWorkbook("bad sheet record in the workbook part");
      SheetInfo s;
      s.name = std::move(name);
      s.state = state == 1   ? SheetState::kHidden
                : state == 2 ? SheetState::kVeryHidden
                             : SheetState::kVisible;
      s.kind = SheetKind::kOther;
      std::string target;
      auto it = by_id.find(rel_id);
      if (it != by_id.end()) {
        target = it->second->target;
        if (it->second->type == "worksheet") s.kind = SheetKind::kWorksheet;
        if (it->second->type == "chartsheet") s.kind = SheetKind::kChartsheet;
      }
      wb.sheets.push_back(std::move(s));
      wb.sheet_parts.push_back(std::move(target));
    }
  }
  if (wb.shared_strings_part.empty()) {
    std::string guess = ResolvePartTarget(part, "sharedStrings.bin");
    if (zip.Has(guess)) wb.shared_strings_part = guess;
  }
  if (wb.styles_part.empty()) {
    std::string guess = ResolvePartTarget(part, "styles.bin");
    if (zip.Has(guess)) wb.styles_part = guess;
  }
  return wb;
}

Result<std::vector<NumberFormat>> ReadStyles(ZipArchive& zip, const std::string& part) {
  std::vector<NumberFormat> xfs;
  if (part.empty() || !zip.Has(part)) return xfs;
  ASSIGN_OR_RETURN(auto in, zip.OpenPart(part));
  RecordStream records(std::move(in));
  std::unordered_map<int, std::string> codes;
  std::vector<int> ids;
  bool in_cell_xfs = false;
  uint32_t type = 0;
  std::string_view data;
  while (true) {
    ASSIGN_OR_RETURN(bool got, records.Next(&type, &data));
    if (!got) break;
    BinaryCursor c(data);
    if (type == kBrtFmt) {
      int id = c.U16();
      std::string code;
      if (c.WideString(&code, kMaxStringUnits) && codes.size() < 100000) codes[id] = code;
    } else if (type == kBrtBeginCellXFs) {
      in_cell_xfs = true;
    } else if (type == kBrtEndCellXFs) {
      in_cell_xfs = false;
    } else if (type == kBrtXF && in_cell_xfs && ids.size() < 1'000'000) {
      c.U16();  // ixfeParent
      ids.push_back(c.U16());
    }
  }
  for (int id : ids) {
    auto it = codes.find(id);
    xfs.push_back(ClassifyNumberFormat(id, it == codes.end() ? "" : it->second));
  }
  return xfs;
}

Result<void> ReadSharedStrings(ZipArchive& zip, const std::string& part, SharedStrings* sst,
                               const ReaderLimits& limits) {
  if (part.empty() || !zip.Has(part)) return Ok();
  ASSIGN_OR_RETURN(auto in, zip.OpenPart(part));
  RecordStream records(std::move(in));
  uint32_t type = 0;
  std::string_view data;
  std::string text;
  while (true) {
    ASSIGN_OR_RETURN(bool got, records.Next(&type, &data));
    if (!got) break;
    if (type != kBrtSSTItem) continue;
    BinaryCursor c(data);
    c.U8();  // fRichStr, fExtStr: runs and phonetics follow the text; skipped
    text.clear();
    if (!c.WideString(&text, limits.max_cell_bytes)) {
      return DamagedWorkbook("bad shared string");
    }
    RETURN_IF_ERROR(sst->Add(text));
  }
  return Ok();
}

class XlsbReader final : public RowReader {
 public:
  XlsbReader(DetectedFormat format, const ReaderOptions& options)
      : RowReader(std::move(format), options.limits.max_issues),
        limits_(options.limits),
        sheet_requested_(!options.sheet.empty()),
        sst_(options.limits) {}

  Result<void> Init(std::unique_ptr<ByteSource> source, std::unique_ptr<ZipArchive> zip,
                    const std::string& workbook_part, const ReaderOptions& options) {
    source_ = std::move(source);
    zip_ = std::move(zip);
    ASSIGN_OR_RETURN(Workbook wb, ReadWorkbook(*zip_, workbook_part));
    format_.sheets = wb.sheets;
    format_.date1904 = wb.date1904;
    ASSIGN_OR_RETURN(size_t idx, ChooseSheet(wb.sheets, options.sheet));
    format_.sheet = wb.sheets[idx].name;
    const std::string& part = wb.sheet_parts[idx];
    if (part.empty() || !zip_->Has(part)) {
      return DamagedWorkbook("the part of sheet \"" + format_.sheet + "\" is missing");
    }
    ASSIGN_OR_RETURN(xf_formats_, ReadStyles(*zip_, wb.styles_part));
    RETURN_IF_ERROR(ReadSharedStrings(*zip_, wb.shared_strings_part, &sst_, limits_));
    ASSIGN_OR_RETURN(auto in, zip_->OpenPart(part, /*prefetch=*/true));
    records_ = std::make_unique<RecordStream>(std::move(in));
    return Ok();
  }

  Result<std::optional<Row>> Next() override {
    if (done_) return std::optional<Row>();
    if (pending_row_ >= 0) {
      StartRow(pending_row_);
      pending_row_ = -1;
    }
    uint32_t type = 0;
    std::string_view data;
    while (true) {
      ASSIGN_OR_RETURN(bool got, records_->Next(&type, &data));
      if (!got || type == kBrtEndSheetData) {
        done_ = true;
        if (in_row_ && builder_.Finish()) return Emit();
        if (rows_ == 0) {
          if (auto e = EmptyDefaultSheetError(format_, sheet_requested_)) return *e;
        }
        return std::optional<Row>();
      }
      if (type == kBrtBeginSheetData) {
        in_sheet_data_ = true;
        continue;
      }
      if (!in_sheet_data_) continue;
      if (type == kBrtRowHdr) {
        BinaryCursor c(data);
        uint32_t rw = c.U32();
        if (!c.ok()) return DamagedWorkbook("bad row record");
        if (rw >= limits_.max_rows) {
          return TooLarge("sheet \"" + format_.sheet + "\" has a row " + std::to_string(rw + 1) +
                          ", beyond the " + std::to_string(limits_.max_rows) +
                          " rows a sheet can have");
        }
        if (in_row_ && builder_.Finish()) {
          pending_row_ = rw;
          return Emit();
        }
        StartRow(rw);
        continue;
      }
      if (type > kBrtFmlaError && type != kBrtCellRString) continue;
      if (!in_row_) continue;
      RETURN_IF_ERROR(Cell(type, data));
    }
  }

 private:
  void StartRow(int64_t rw) {
    builder_.Reset();
    row_number_ = rw + 1;
    in_row_ = true;
  }

  Result<std::optional<Row>> Emit() {
    ++rows_;
    Row row;
    row.line = row_number_;
    row.cells = builder_.cells();
    in_row_ = false;
    return std::optional<Row>(row);
  }

  Result<void> Cell(uint32_t type, std::string_view data) {
    BinaryCursor c(data);
    uint32_t col = c.U32();
    uint32_t style = c.U32() & 0xFFFFFFu;
    if (!c.ok()) return DamagedWorkbook("bad cell record");
    if (col >= limits_.max_columns) {
      return TooLarge("sheet \"" + format_.sheet + "\" has a cell in column " +
                      std::to_string(uint64_t{col} + 1) + ", beyond the " +
                      std::to_string(limits_.max_columns) + " columns a sheet can have");
    }
    NumberFormat fmt = style < xf_formats_.size() ? xf_formats_[style] : NumberFormat{};
    switch (type) {
      case kBrtCellBlank:
        builder_.Clear(col);
        break;
      case kBrtCellRk:
        AppendNumber(RkToDouble(c.U32()), fmt, format_.date1904, builder_.Owned(col));
        break;
      case kBrtCellReal:
      case kBrtFmlaNum:
        AppendNumber(c.F64(), fmt, format_.date1904, builder_.Owned(col));
        break;
      case kBrtCellError:
      case kBrtFmlaError:
        builder_.Owned(col)->assign(BiffErrorText(c.U8()));
        break;
      case kBrtCellBool:
      case kBrtFmlaBool:
        builder_.Owned(col)->assign(c.U8() ? "TRUE" : "FALSE");
        break;
      case kBrtCellSt:
      case kBrtFmlaString:
        c.WideString(builder_.Owned(col), limits_.max_cell_bytes);
        break;
      case kBrtCellRString:
        c.U8();
        c.WideString(builder_.Owned(col), limits_.max_cell_bytes);
        break;
      case kBrtCellIsst: {
        uint32_t i = c.U32();
        if (c.ok() && i >= sst_.size()) {
          return DamagedWorkbook("row " + std::to_string(row_number_) +
                                 " refers to a text that does not exist");
        }
        if (c.ok()) builder_.SetShared(col, sst_.Get(i));
        break;
      }
      default:
        break;
    }
    if (!c.ok()) return DamagedWorkbook("bad cell record in row " + std::to_string(row_number_));
    return Ok();
  }

  ReaderLimits limits_;
  bool sheet_requested_;
  std::unique_ptr<ByteSource> source_;
  std::unique_ptr<ZipArchive> zip_;
  SharedStrings sst_;
  std::vector<NumberFormat> xf_formats_;
  std::unique_ptr<RecordStream> records_;
  RowBuilder builder_;
  bool done_ = false;
  bool in_sheet_data_ = false;
  bool in_row_ = false;
  int64_t pending_row_ = -1;
  int64_t row_number_ = 0;
  uint64_t rows_ = 0;
};

}  // namespace

Result<std::unique_ptr<RowReader>> OpenXlsbReader(std::unique_ptr<ByteSource> source,
                                                  std::unique_ptr<ZipArchive> zip,
                                                  const std::string& workbook_part,
                                                  const ReaderOptions& options, std::string note) {
  DetectedFormat format;
  format.format = FileFormat::kXlsb;
  format.note = std::move(note);
  auto reader = std::make_unique<XlsbReader>(std::move(format), options);
  RETURN_IF_ERROR(reader->Init(std::move(source), std::move(zip), workbook_part, options));
  return std::unique_ptr<RowReader>(std::move(reader));
}

}  // namespace relance::imports
