#include "imports/readers/xls_reader.h"

#include <iconv.h>

#include <cerrno>
#include <unordered_map>

#include "imports/readers/binary_cursor.h"
#include "imports/readers/cell_format.h"
#include "imports/readers/sheet_common.h"
#include "imports/readers/text_decoder.h"

namespace relance::imports {
namespace {

enum : uint16_t {
  kFormula = 0x0006,
  kEof = 0x000A,
  kDateMode = 0x0022,
  kFilePass = 0x002F,
  kContinue = 0x003C,
  kCodePage = 0x0042,
  kBoundSheet = 0x0085,
  kMulRk = 0x00BD,
  kMulBlank = 0x00BE,
  kRString = 0x00D6,
  kXf = 0x00E0,
  kSst = 0x00FC,
  kLabelSst = 0x00FD,
  kBlank = 0x0201,
  kNumber = 0x0203,
  kLabel = 0x0204,
  kBoolErr = 0x0205,
  kString = 0x0207,
  kRk = 0x027E,
  kFormat = 0x041E,
  kBof = 0x0809,
};

// Sequential BIFF records over a compound-file stream.
class BiffStream {
 public:
  explicit BiffStream(CfbStream* s) : s_(s) {}

  void Seek(uint64_t pos) {
    pos_ = pos;
    buf_.clear();
    at_ = 0;
  }

  // False at the end of the stream.
  Result<bool> Next(uint16_t* type, std::string_view* data) {
    ASSIGN_OR_RETURN(bool h, Ensure(4));
    if (!h) return false;
    BinaryCursor c(buf_.data() + at_, 4);
    *type = c.U16();
    uint16_t len = c.U16();
    ASSIGN_OR_RETURN(bool full, Ensure(4 + size_t{len}));
    if (!full) return false;  // a truncated last record: treat as the end
    *data = std::string_view(buf_.data() + at_ + 4, len);
    at_ += 4 + size_t{len};
    return true;
  }

  // Type of the next record without consuming it (0 at the end).
  Result<uint16_t> PeekType() {
    ASSIGN_OR_RETURN(bool h, Ensure(4));
    if (!h) return uint16_t{0};
    BinaryCursor c(buf_.data() + at_, 2);
    return c.U16();
  }

 private:
  Result<bool> Ensure(size_t n) {
    if (buf_.size() - at_ >= n) return true;
    buf_.erase(0, at_);
    at_ = 0;
    while (buf_.size() < n) {
      size_t old = buf_.size();
      buf_.resize(old + 65536 + n);
      auto r = s_->ReadAt(pos_, buf_.data() + old, 65536 + n);
      if (!r.ok()) {
        buf_.resize(old);
        return std::move(r).take_error();
      }
      buf_.resize(old + *r);
      pos_ += *r;
      if (*r == 0) break;
    }
    return buf_.size() >= n;
  }

  CfbStream* s_;
  uint64_t pos_ = 0;
  std::string buf_;
  size_t at_ = 0;
};

// Single-byte text of BIFF5 files, in the workbook's code page.
void AppendCodePage(std::string_view bytes, uint16_t code_page, std::string* out) {
  if (code_page == 1252 || code_page == 0 || code_page == 367 || code_page == 1200 ||
      code_page == 0x8001) {
    AppendWindows1252(bytes, out);
    return;
  }
  std::string name = code_page == 10000 ? "MACINTOSH" : "CP" + std::to_string(code_page);
  iconv_t cd = iconv_open("UTF-8", name.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    AppendWindows1252(bytes, out);
    return;
  }
  std::string in(bytes);
  char* ip = in.data();
  size_t il = in.size();
  std::string buf(il * 4 + 16, '\0');
  char* op = buf.data();
  size_t ol = buf.size();
  while (il > 0) {
    if (iconv(cd, &ip, &il, &op, &ol) == static_cast<size_t>(-1)) {
      if (ol < 4) break;
      *op++ = '?';
      --ol;
      ++ip;
      --il;
    }
  }
  iconv_close(cd);
  out->append(buf.data(), static_cast<size_t>(op - buf.data()));
}

// Characters of a BIFF8 string: compressed (one byte = U+0000..U+00FF) or
// UTF-16LE.
bool AppendBiff8Chars(BinaryCursor& c, size_t cch, bool high, std::string* out) {
  if (high) return c.Utf16(cch, out);
  if (cch > c.remaining()) return false;
  std::string_view bytes(reinterpret_cast<const char*>(c.here()), cch);
  char tmp[2];
  for (unsigned char b : bytes) {
    if (b < 0x80) {
      out->push_back(static_cast<char>(b));
    } else {
      tmp[0] = static_cast<char>(0xC0 | (b >> 6));
      tmp[1] = static_cast<char>(0x80 | (b & 0x3F));
      out->append(tmp, 2);
    }
  }
  return c.Skip(cch);
}

// The SST's bytes spread over the SST record and its CONTINUE records. When
// a string's characters cross into the next record, that record starts with
// a fresh flags byte (compressed or not).
class SegmentReader {
 public:
  explicit SegmentReader(std::vector<std::string> segs) : segs_(std::move(segs)) {}
  bool ok() const { return ok_; }
  bool AtEnd() {
    while (si_ < segs_.size() && off_ >= segs_[si_].size()) {
      ++si_;
      off_ = 0;
    }
    return si_ >= segs_.size();
  }
  uint64_t Get(size_t k) {
    uint64_t v = 0;
    for (size_t j = 0; j < k; ++j) {
      if (AtEnd()) {
        ok_ = false;
        return 0;
      }
      v |= uint64_t{static_cast<unsigned char>(segs_[si_][off_++])} << (8 * j);
    }
    return v;
  }
  void Skip(uint64_t n) {
    while (n > 0) {
      if (AtEnd()) {
        ok_ = false;
        return;
      }
      uint64_t k = std::min<uint64_t>(n, segs_[si_].size() - off_);
      off_ += k;
      n -= k;
    }
  }
  void Chars(size_t cch, bool high, std::string* out) {
    while (cch > 0 && ok_) {
      if (si_ < segs_.size() && off_ >= segs_[si_].size()) {
        ++si_;
        off_ = 0;
        if (si_ >= segs_.size()) break;
        high = (static_cast<unsigned char>(segs_[si_][off_++]) & 1) != 0;
      }
      if (si_ >= segs_.size()) break;
      const std::string& s = segs_[si_];
      size_t avail = (s.size() - off_) / (high ? 2 : 1);
      if (avail == 0) {  // half a UTF-16 unit at a record end: damaged
        ok_ = false;
        return;
      }
      size_t take = std::min(avail, cch);
      BinaryCursor c(s.data() + off_, s.size() - off_);
      AppendBiff8Chars(c, take, high, out);
      off_ += take * (high ? 2 : 1);
      cch -= take;
    }
    if (cch > 0) ok_ = false;
  }

 private:
  std::vector<std::string> segs_;
  size_t si_ = 0;
  size_t off_ = 0;
  bool ok_ = true;
};

class XlsReader final : public RowReader {
 public:
  XlsReader(DetectedFormat format, const ReaderOptions& options)
      : RowReader(std::move(format), options.limits.max_issues),
        limits_(options.limits),
        sheet_requested_(!options.sheet.empty()),
        sst_(options.limits) {}

  Result<void> Init(std::unique_ptr<ByteSource> source, std::unique_ptr<CompoundFile> cfb,
                    size_t entry, const ReaderOptions& options) {
    source_ = std::move(source);
    cfb_ = std::move(cfb);
    ASSIGN_OR_RETURN(stream_, cfb_->OpenStream(entry));
    biff_ = std::make_unique<BiffStream>(stream_.get());
    RETURN_IF_ERROR(ReadGlobals());
    ASSIGN_OR_RETURN(size_t idx, ChooseSheet(format_.sheets, options.sheet));
    format_.sheet = format_.sheets[idx].name;
    biff_->Seek(sheet_offsets_[idx]);
    uint16_t type = 0;
    std::string_view data;
    ASSIGN_OR_RETURN(bool got, biff_->Next(&type, &data));
    if (!got || type != kBof) return DamagedWorkbook("sheet \"" + format_.sheet + "\" not found");
    depth_ = 1;
    return Ok();
  }

  Result<std::optional<Row>> Next() override {
    if (done_) return std::optional<Row>();
    if (!pending_.empty()) {
      std::string rec = std::move(pending_);
      pending_.clear();
      StartRow(pending_row_);
      RETURN_IF_ERROR(Cell(pending_type_, rec));
    }
    uint16_t type = 0;
    std::string_view data;
    while (true) {
      ASSIGN_OR_RETURN(bool got, biff_->Next(&type, &data));
      if (!got) {
        depth_ = 0;
      } else if (type == kBof) {
        ++depth_;
        continue;
      } else if (type == kEof) {
        --depth_;
      }
      if (depth_ <= 0) {
        done_ = true;
        if (in_row_ && builder_.Finish()) return Emit();
        if (rows_ == 0) {
          if (auto e = EmptyDefaultSheetError(format_, sheet_requested_)) return *e;
        }
        return std::optional<Row>();
      }
      if (depth_ > 1 || !IsCell(type)) continue;
      if (type == kString) {
        RETURN_IF_ERROR(Cell(type, data));
        continue;
      }
      if (data.size() < 6) return DamagedWorkbook("bad cell record");
      BinaryCursor c(data);
      uint16_t rw = c.U16();
      if (!in_row_) {
        StartRow(rw);
      } else if (rw != row_) {
        if (rw < row_) {
          return DamagedWorkbook("the cells of sheet \"" + format_.sheet +
                                 "\" are stored out of order");
        }
        if (builder_.Finish()) {
          pending_.assign(data);
          pending_type_ = type;
          pending_row_ = rw;
          return Emit();
        }
        StartRow(rw);
      }
      RETURN_IF_ERROR(Cell(type, data));
    }
  }

 private:
  static bool IsCell(uint16_t t) {
    return t == kLabelSst || t == kLabel || t == kRString || t == kRk || t == kMulRk ||
           t == kNumber || t == kBoolErr || t == kFormula || t == kString;
  }

  void StartRow(uint16_t rw) {
    builder_.Reset();
    row_ = rw;
    in_row_ = true;
    string_target_ = -1;
  }

  Result<std::optional<Row>> Emit() {
    ++rows_;
    in_row_ = false;
    Row row;
    row.line = int64_t{row_} + 1;
    row.cells = builder_.cells();
    return std::optional<Row>(row);
  }

  NumberFormat XfFormat(uint16_t ixfe) const {
    return ixfe < xf_formats_.size() ? xf_formats_[ixfe] : NumberFormat{};
  }

  // A BIFF5 byte string or a BIFF8 XLUnicodeString with a 16-bit length.
  bool ReadString16(BinaryCursor& c, std::string* out) {
    uint16_t cch = c.U16();
    if (!biff8_) {
      if (cch > c.remaining()) return false;
      AppendCodePage(std::string_view(reinterpret_cast<const char*>(c.here()), cch), code_page_,
                     out);
      return c.Skip(cch);
    }
    uint8_t flags = c.U8();
    if (flags & 0x08) c.U16();  // rich-text runs count (runs follow the text)
    if (flags & 0x04) c.U32();  // phonetic block size
    return c.ok() && AppendBiff8Chars(c, cch, flags & 1, out);
  }

  Result<void> Cell(uint16_t type, std::string_view data) {
    BinaryCursor c(data);
    if (type == kString) {  // the text result of the previous FORMULA
      if (string_target_ < 0) return Ok();
      std::string* out = builder_.Owned(static_cast<uint32_t>(string_target_));
      string_target_ = -1;
      if (!ReadString16(c, out)) return DamagedWorkbook("bad formula text");
      return Ok();
    }
    c.U16();  // row
    uint16_t col = c.U16();
    if (col >= limits_.max_columns) return TooLarge("a cell is beyond the last column");
    switch (type) {
      case kLabelSst: {
        uint16_t ixfe = c.U16();
        (void)ixfe;
        uint32_t i = c.U32();
        if (!c.ok() || i >= sst_.size()) {
          return DamagedWorkbook("row " + std::to_string(row_ + 1) +
                                 " refers to a text that does not exist");
        }
        builder_.SetShared(col, sst_.Get(i));
        return Ok();
      }
      case kLabel:
      case kRString:
        c.U16();
        if (!ReadString16(c, builder_.Owned(col))) return DamagedWorkbook("bad text cell");
        return Ok();
      case kRk: {
        uint16_t ixfe = c.U16();
        uint32_t rk = c.U32();
        if (!c.ok()) return DamagedWorkbook("bad number cell");
        AppendNumber(RkToDouble(rk), XfFormat(ixfe), format_.date1904, builder_.Owned(col));
        return Ok();
      }
      case kMulRk: {
        size_t n = (data.size() - 6) / 6;
        for (size_t k = 0; k < n; ++k) {
          uint16_t ixfe = c.U16();
          uint32_t rk = c.U32();
          if (!c.ok() || col + k >= limits_.max_columns) return DamagedWorkbook("bad MULRK");
          AppendNumber(RkToDouble(rk), XfFormat(ixfe), format_.date1904,
                       builder_.Owned(static_cast<uint32_t>(col + k)));
        }
        return Ok();
      }
      case kNumber: {
        uint16_t ixfe = c.U16();
        double v = c.F64();
        if (!c.ok()) return DamagedWorkbook("bad number cell");
        AppendNumber(v, XfFormat(ixfe), format_.date1904, builder_.Owned(col));
        return Ok();
      }
      case kBoolErr: {
        c.U16();
        uint8_t v = c.U8();
        uint8_t is_error = c.U8();
        if (!c.ok()) return DamagedWorkbook("bad boolean cell");
        builder_.Owned(col)->assign(is_error ? BiffErrorText(v) : (v ? "TRUE" : "FALSE"));
        return Ok();
      }
      case kFormula: {
        uint16_t ixfe = c.U16();
        if (c.remaining() < 8) return DamagedWorkbook("bad formula cell");
        const unsigned char* r = c.here();
        if (r[6] == 0xFF && r[7] == 0xFF) {
          switch (r[0]) {
            case 0:  // text: in the STRING record that follows
              string_target_ = col;
              builder_.Clear(col);
              break;
            case 1:
              builder_.Owned(col)->assign(r[2] ? "TRUE" : "FALSE");
              break;
            case 2:
              builder_.Owned(col)->assign(BiffErrorText(r[2]));
              break;
            default:  // empty text
              builder_.Clear(col);
              break;
          }
          return Ok();
        }
        AppendNumber(c.F64(), XfFormat(ixfe), format_.date1904, builder_.Owned(col));
        return Ok();
      }
      default:
        return Ok();
    }
  }

  Result<void> ReadGlobals() {
    uint16_t type = 0;
    std::string_view data;
    ASSIGN_OR_RETURN(bool got, biff_->Next(&type, &data));
    if (!got) return DamagedWorkbook("the workbook stream is empty");
    if (type == 0x0009 || type == 0x0209 || type == 0x0409) {
      return InvalidArgument(
          "this is an Excel 2.x-4.0 file, too old to be read: open it in Excel and save it as "
          "XLSX, then import the new file");
    }
    if (type != kBof || data.size() < 2) return DamagedWorkbook("no BOF record");
    BinaryCursor bof(data);
    uint16_t version = bof.U16();
    biff8_ = version >= 0x0600;
    if (version < 0x0500) {
      return InvalidArgument(
          "this Excel file is too old to be read: open it in Excel and save it as XLSX, then "
          "import the new file");
    }
    std::unordered_map<int, std::string> codes;
    std::vector<uint16_t> xf_ids;
    while (true) {
      ASSIGN_OR_RETURN(got, biff_->Next(&type, &data));
      if (!got || type == kEof) break;
      BinaryCursor c(data);
      switch (type) {
        case kFilePass:
          return PasswordProtected();
        case kCodePage:
          code_page_ = c.U16();
          break;
        case kDateMode:
          format_.date1904 = c.U16() == 1;
          break;
        case kBoundSheet: {
          uint32_t pos = c.U32();
          uint8_t state = c.U8();
          uint8_t kind = c.U8();
          uint8_t cch = c.U8();
          SheetInfo s;
          if (biff8_) {
            uint8_t flags = c.U8();
            AppendBiff8Chars(c, cch, flags & 1, &s.name);
          } else if (cch <= c.remaining()) {
            AppendCodePage(std::string_view(reinterpret_cast<const char*>(c.here()), cch),
                           code_page_, &s.name);
          }
          s.state = (state & 3) == 1   ? SheetState::kHidden
                    : (state & 3) == 2 ? SheetState::kVeryHidden
                                       : SheetState::kVisible;
          s.kind = kind == 0   ? SheetKind::kWorksheet
                   : kind == 2 ? SheetKind::kChartsheet
                               : SheetKind::kOther;
          if (format_.sheets.size() < 10000) {
            format_.sheets.push_back(std::move(s));
            sheet_offsets_.push_back(pos);
          }
          break;
        }
        case kFormat: {
          uint16_t id = c.U16();
          std::string code;
          if (biff8_) {
            ReadString16(c, &code);
          } else {
            uint8_t cch = c.U8();
            if (cch <= c.remaining()) {
              AppendCodePage(std::string_view(reinterpret_cast<const char*>(c.here()), cch),
                             code_page_, &code);
            }
          }
          if (codes.size() < 100000) codes[id] = std::move(code);
          break;
        }
        case kXf:
          c.U16();  // font
          if (xf_ids.size() < 1'000'000) xf_ids.push_back(c.U16());
          break;
        case kSst: {
          std::vector<std::string> segs{std::string(data)};
          uint64_t total = data.size();
          while (true) {
            ASSIGN_OR_RETURN(uint16_t next, biff_->PeekType());
            if (next != kContinue) break;
            ASSIGN_OR_RETURN(got, biff_->Next(&type, &data));
            if (!got) break;
            total += data.size();
            if (total > limits_.max_shared_string_bytes * 2 + 1024) {
              return TooLarge("the texts of the workbook are too large; split the file");
            }
            segs.emplace_back(data);
          }
          RETURN_IF_ERROR(ReadSst(std::move(segs)));
          break;
        }
        default:
          break;
      }
    }
    xf_formats_.reserve(xf_ids.size());
    for (uint16_t id : xf_ids) {
      auto it = codes.find(id);
      xf_formats_.push_back(ClassifyNumberFormat(id, it == codes.end() ? "" : it->second));
    }
    return Ok();
  }

  Result<void> ReadSst(std::vector<std::string> segs) {
    SegmentReader r(std::move(segs));
    r.Get(4);  // total count
    uint32_t unique = static_cast<uint32_t>(r.Get(4));
    std::string text;
    for (uint32_t i = 0; i < unique && r.ok(); ++i) {
      if (r.AtEnd()) break;
      uint16_t cch = static_cast<uint16_t>(r.Get(2));
      uint8_t flags = static_cast<uint8_t>(r.Get(1));
      uint16_t runs = (flags & 0x08) ? static_cast<uint16_t>(r.Get(2)) : 0;
      uint32_t ext = (flags & 0x04) ? static_cast<uint32_t>(r.Get(4)) : 0;
      text.clear();
      r.Chars(cch, flags & 1, &text);
      r.Skip(uint64_t{runs} * 4);
      r.Skip(ext);
      if (!r.ok()) return DamagedWorkbook("the shared-string table is truncated");
      RETURN_IF_ERROR(sst_.Add(text));
    }
    return Ok();
  }

  ReaderLimits limits_;
  bool sheet_requested_;
  std::unique_ptr<ByteSource> source_;
  std::unique_ptr<CompoundFile> cfb_;
  std::unique_ptr<CfbStream> stream_;
  std::unique_ptr<BiffStream> biff_;
  SharedStrings sst_;
  bool biff8_ = true;
  uint16_t code_page_ = 1252;
  std::vector<uint32_t> sheet_offsets_;
  std::vector<NumberFormat> xf_formats_;
  RowBuilder builder_;
  int depth_ = 0;
  bool done_ = false;
  bool in_row_ = false;
  uint16_t row_ = 0;
  int32_t string_target_ = -1;
  std::string pending_;
  uint16_t pending_type_ = 0;
  uint16_t pending_row_ = 0;
  uint64_t rows_ = 0;
};

}  // namespace

Result<std::unique_ptr<RowReader>> OpenXlsReader(std::unique_ptr<ByteSource> source,
                                                 std::unique_ptr<CompoundFile> cfb,
                                                 size_t workbook_entry,
                                                 const ReaderOptions& options, std::string note) {
  DetectedFormat format;
  format.format = FileFormat::kXls;
  format.note = std::move(note);
  auto reader = std::make_unique<XlsReader>(std::move(format), options);
  RETURN_IF_ERROR(reader->Init(std::move(source), std::move(cfb), workbook_entry, options));
  return std::unique_ptr<RowReader>(std::move(reader));
}

}  // namespace relance::imports
