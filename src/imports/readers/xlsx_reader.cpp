#include "imports/readers/xlsx_reader.h"

#include <charconv>
#include <unordered_map>

#include "imports/readers/cell_format.h"
#include "imports/readers/ooxml_package.h"
#include "imports/readers/sheet_common.h"
#include "imports/readers/text_decoder.h"
#include "imports/readers/xml_pull.h"
#include "imports/readers/xml_stream.h"

namespace relance::imports {
namespace {

template <typename T>
std::optional<T> ParseUint(std::string_view s) {
  T v{};
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

struct Workbook {
  std::vector<SheetInfo> sheets;
  std::vector<std::string> sheet_parts;  // parallel to sheets
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
  XmlStream::Handlers h;
  h.start = [&](std::string_view local, const XmlAttrs& a) {
    if (local == "workbookPr") {
      // Only when present: an extension's x14:workbookPr has no such flag.
      if (auto v = a.Get("date1904")) wb.date1904 = *v == "1" || *v == "true";
    } else if (local == "sheet" && wb.sheets.size() < 10000) {
      SheetInfo s;
      s.name = std::string(a.Get("name").value_or(""));
      auto state = a.Get("state").value_or("visible");
      s.state = state == "hidden"       ? SheetState::kHidden
                : state == "veryHidden" ? SheetState::kVeryHidden
                                        : SheetState::kVisible;
      std::string target;
      s.kind = SheetKind::kOther;
      if (auto id = a.GetNs("id", "relationships")) {
        auto it = by_id.find(std::string(*id));
        if (it != by_id.end()) {
          target = it->second->target;
          if (it->second->type == "worksheet") s.kind = SheetKind::kWorksheet;
          if (it->second->type == "chartsheet") s.kind = SheetKind::kChartsheet;
        }
      }
      wb.sheets.push_back(std::move(s));
      wb.sheet_parts.push_back(std::move(target));
    }
  };
  RETURN_IF_ERROR(ParseXmlPart(zip, part, std::move(h)));
  // Packages without relationships (hand-made ones): well-known names.
  if (wb.shared_strings_part.empty()) {
    std::string guess = ResolvePartTarget(part, "sharedStrings.xml");
    if (zip.Has(guess)) wb.shared_strings_part = guess;
  }
  if (wb.styles_part.empty()) {
    std::string guess = ResolvePartTarget(part, "styles.xml");
    if (zip.Has(guess)) wb.styles_part = guess;
  }
  return wb;
}

Result<std::vector<NumberFormat>> ReadStyles(ZipArchive& zip, const std::string& part) {
  std::vector<NumberFormat> xfs;
  if (part.empty() || !zip.Has(part)) return xfs;
  std::unordered_map<int, std::string> codes;
  std::vector<int> xf_ids;
  int depth_cell_xfs = 0;
  XmlStream::Handlers h;
  h.start = [&](std::string_view local, const XmlAttrs& a) {
    if (local == "numFmt") {
      auto id = ParseUint<int>(a.Get("numFmtId").value_or(""));
      if (id && codes.size() < 100000) codes[*id] = std::string(a.Get("formatCode").value_or(""));
    } else if (local == "cellXfs") {
      ++depth_cell_xfs;
    } else if (local == "xf" && depth_cell_xfs > 0 && xf_ids.size() < 1'000'000) {
      xf_ids.push_back(ParseUint<int>(a.Get("numFmtId").value_or("0")).value_or(0));
    }
  };
  h.end = [&](std::string_view local) {
    if (local == "cellXfs") --depth_cell_xfs;
  };
  RETURN_IF_ERROR(ParseXmlPart(zip, part, std::move(h)));
  xfs.reserve(xf_ids.size());
  for (int id : xf_ids) {
    auto it = codes.find(id);
    xfs.push_back(ClassifyNumberFormat(id, it == codes.end() ? "" : it->second));
  }
  return xfs;
}

Result<void> ReadSharedStrings(ZipArchive& zip, const std::string& part, SharedStrings* sst,
                               const ReaderLimits& limits) {
  if (part.empty() || !zip.Has(part)) return Ok();
  ASSIGN_OR_RETURN(auto input, zip.OpenPart(part, /*prefetch=*/true));
  XmlPullParser xml(std::move(input), limits.max_cell_bytes + 4096);
  std::string cur;
  bool in_si = false, in_t = false;
  int rph = 0;
  while (true) {
    auto ev = xml.Next();
    switch (ev) {
      case XmlPullParser::Event::kError:
        return xml.error();
      case XmlPullParser::Event::kDone:
        return Ok();
      case XmlPullParser::Event::kStart: {
        std::string_view n = xml.name();
        if (n == "si") {
          in_si = true;
          cur.clear();
        } else if (n == "rPh") {
          ++rph;
        } else if (n == "t" && in_si && rph == 0) {
          in_t = true;
        }
        break;
      }
      case XmlPullParser::Event::kEnd: {
        std::string_view n = xml.name();
        if (n == "t") {
          in_t = false;
        } else if (n == "rPh") {
          --rph;
        } else if (n == "si" && in_si) {
          in_si = false;
          UnescapeOoxml(&cur);
          if (!IsValidUtf8(cur)) return DamagedWorkbook("a text is not valid UTF-8");
          RETURN_IF_ERROR(sst->Add(cur));
        }
        break;
      }
      case XmlPullParser::Event::kText:
        if (!in_t) break;
        if (cur.size() + xml.text().size() > limits.max_cell_bytes) {
          return TooLarge("a text of the workbook is longer than " +
                          std::to_string(limits.max_cell_bytes >> 10) +
                          " KB; no cell can hold that much (Excel: 32,767 characters)");
        }
        cur.append(xml.text());
        break;
    }
  }
}

class XlsxReader final : public RowReader {
 public:
  XlsxReader(DetectedFormat format, const ReaderOptions& options)
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
    ASSIGN_OR_RETURN(auto input, zip_->OpenPart(part, /*prefetch=*/true));
    xml_ = std::make_unique<XmlPullParser>(std::move(input), limits_.max_cell_bytes + 4096);
    return Ok();
  }

  Result<std::optional<Row>> Next() override {
    if (done_) return std::optional<Row>();
    while (true) {
      auto ev = xml_->Next();
      switch (ev) {
        case XmlPullParser::Event::kError:
          return xml_->error();
        case XmlPullParser::Event::kDone:
          done_ = true;
          if (rows_ == 0) {
            if (auto e = EmptyDefaultSheetError(format_, sheet_requested_)) return *e;
          }
          return std::optional<Row>();
        case XmlPullParser::Event::kStart:
          RETURN_IF_ERROR(OnStart(xml_->name()));
          if (in_cell_ && !xml_->self_closing()) RETURN_IF_ERROR(FastCell());
          break;
        case XmlPullParser::Event::kText:
          RETURN_IF_ERROR(OnText(xml_->text()));
          break;
        case XmlPullParser::Event::kEnd: {
          ASSIGN_OR_RETURN(bool row_done, OnEnd(xml_->name()));
          if (row_done) {
            ++rows_;
            Row row;
            row.line = row_number_;
            row.cells = builder_.cells();
            return std::optional<Row>(row);
          }
          break;
        }
      }
    }
  }

 private:
  Result<void> OnStart(std::string_view local) {
    if (!in_sheet_data_) {
      if (local == "sheetData") in_sheet_data_ = true;
      return Ok();
    }
    if (local.size() == 1) {
      switch (local[0]) {
        case 'c':
          return StartCell();
        case 'v':
          in_v_ = in_cell_;
          return Ok();
        case 't':
          in_t_ = in_is_ && rph_ == 0;
          return Ok();
        default:
          return Ok();
      }
    }
    if (local == "row") return StartRow();
    if (local == "is" && in_cell_) {
      in_is_ = true;
      has_is_ = true;
    } else if (local == "rPh") {
      ++rph_;
    }
    return Ok();
  }

  // The common cell shapes, <c ...><v>42</v></c> and
  // <c t="inlineStr"><is><t>text</t></is></c>, read without going through
  // events; anything else (formulas, rich text, entities, prefixes) is left
  // to the general path, with the state it expects.
  Result<void> FastCell() {
    std::string_view text;
    if (type_ == 'i') {
      if (!xml_->TryStart("is")) return Ok();
      in_is_ = true;
      has_is_ = true;
      if (!xml_->TryText("t", &text)) return Ok();
      if (text.size() > limits_.max_cell_bytes) return CellTooLong();
      inline_.assign(text);
      if (!xml_->TryEnd("is")) return Ok();
      in_is_ = false;
    } else {
      if (!xml_->TryText("v", &text)) return Ok();
      if (text.size() > limits_.max_cell_bytes) return CellTooLong();
      value_.assign(text);
    }
    if (!xml_->TryEnd("c")) return Ok();
    in_cell_ = false;
    return EndCell();
  }

  Result<void> StartRow() {
    int64_t r = row_number_ + 1;
    if (auto v = xml_->Attr("r")) {
      auto parsed = ParseUint<int64_t>(*v);
      if (!parsed || *parsed < 1) return DamagedWorkbook("bad row number");
      r = *parsed;
    }
    if (r > limits_.max_rows) {
      return TooLarge("sheet \"" + format_.sheet + "\" has a row " + std::to_string(r) +
                      ", beyond the " + std::to_string(limits_.max_rows) +
                      " rows a sheet can have");
    }
    row_number_ = r;
    next_col_ = 0;
    builder_.Reset();
    in_row_ = true;
    return Ok();
  }

  Result<void> StartCell() {
    if (!in_row_) return Ok();
    int64_t col = next_col_;
    type_ = 'n';
    style_ = 0;
    // One pass over the attributes (r, t, s), the hottest loop of the reader.
    for (size_t i = 0; i < xml_->attr_count(); ++i) {
      std::string_view name = xml_->attr_name(i);
      if (name.size() != 1) continue;
      auto value = xml_->attr_value(i);
      if (!value) return DamagedWorkbook("bad attribute in row " + std::to_string(row_number_));
      std::string_view v = *value;
      switch (name[0]) {
        case 'r':
          col = ColumnFromRef(v);
          if (col < 0) return DamagedWorkbook("bad cell reference");
          break;
        case 't':
          type_ = v.empty() ? 'n' : v[0];
          if (v == "str") type_ = 'f';  // formula string, vs "s" shared
          if (v == "inlineStr") type_ = 'i';
          break;
        case 's':
          style_ = ParseUint<uint32_t>(v).value_or(0);
          break;
        default:
          break;
      }
    }
    if (col >= limits_.max_columns) {
      return TooLarge("sheet \"" + format_.sheet + "\" has a cell in column " +
                      std::to_string(col + 1) + ", beyond the " +
                      std::to_string(limits_.max_columns) + " columns a sheet can have");
    }
    col_ = static_cast<uint32_t>(col);
    value_.clear();
    inline_.clear();
    in_cell_ = true;
    has_is_ = false;
    return Ok();
  }

  Result<void> OnText(std::string_view text) {
    if (in_v_) {
      if (value_.size() + text.size() > limits_.max_cell_bytes) return CellTooLong();
      value_.append(text);
    } else if (in_t_) {
      if (inline_.size() + text.size() > limits_.max_cell_bytes) return CellTooLong();
      inline_.append(text);
    }
    return Ok();
  }

  Error CellTooLong() const {
    return TooLarge("a cell of row " + std::to_string(row_number_) + " holds more than " +
                    std::to_string(limits_.max_cell_bytes >> 10) +
                    " KB of text; no cell can hold that much (Excel: 32,767 characters)");
  }

  // True when a row with content just ended.
  Result<bool> OnEnd(std::string_view local) {
    if (!in_sheet_data_) return false;
    if (local.size() == 1) {
      switch (local[0]) {
        case 'v':
          in_v_ = false;
          return false;
        case 't':
          in_t_ = false;
          return false;
        case 'c':
          if (in_cell_) RETURN_IF_ERROR(EndCell());
          in_cell_ = false;
          return false;
        default:
          return false;
      }
    }
    if (local == "row") {
      in_row_ = false;
      return builder_.Finish();
    }
    if (local == "is") {
      in_is_ = false;
    } else if (local == "rPh") {
      --rph_;
    } else if (local == "sheetData") {
      in_sheet_data_ = false;
    }
    return false;
  }

  NumberFormat StyleFormat() const {
    return style_ < xf_formats_.size() ? xf_formats_[style_] : NumberFormat{};
  }

  Result<void> EndCell() {
    next_col_ = col_ + 1;
    switch (type_) {
      case 's': {
        if (value_.empty()) {
          builder_.Clear(col_);
          return Ok();
        }
        auto idx = ParseUint<uint64_t>(value_);
        if (!idx || *idx >= sst_.size()) {
          return DamagedWorkbook("row " + std::to_string(row_number_) +
                                 " refers to a text that does not exist");
        }
        builder_.SetShared(col_, sst_.Get(*idx));
        return Ok();
      }
      case 'i':
      case 'f': {
        std::string* out = builder_.Owned(col_);
        out->swap(type_ == 'i' && has_is_ ? inline_ : value_);
        UnescapeOoxml(out);
        if (!IsValidUtf8(*out)) return DamagedWorkbook("a text is not valid UTF-8");
        return Ok();
      }
      case 'b':
        if (value_.empty()) {
          builder_.Clear(col_);
        } else {
          builder_.Owned(col_)->assign(value_ == "1" || value_ == "true" ? "TRUE" : "FALSE");
        }
        return Ok();
      case 'e':
        builder_.Owned(col_)->swap(value_);
        return Ok();
      case 'd':
        AppendIsoDateCell(value_, StyleFormat(), builder_.Owned(col_));
        return Ok();
      default: {
        if (value_.empty()) {
          builder_.Clear(col_);
          return Ok();
        }
        NumberFormat format = StyleFormat();
        std::string* out = builder_.Owned(col_);
        if (format.kind == NumberKind::kGeneral && IsGeneralText(value_)) {
          out->swap(value_);  // already as General shows it
          return Ok();
        }
        double v = 0;
        auto r = std::from_chars(value_.data(), value_.data() + value_.size(), v);
        if (r.ec != std::errc() || r.ptr != value_.data() + value_.size()) {
          out->swap(value_);  // not a number after all: keep the text
          if (!IsValidUtf8(*out)) return DamagedWorkbook("a text is not valid UTF-8");
          return Ok();
        }
        AppendNumber(v, format, format_.date1904, out);
        return Ok();
      }
    }
  }

  ReaderLimits limits_;
  bool sheet_requested_;
  std::unique_ptr<ByteSource> source_;
  std::unique_ptr<ZipArchive> zip_;
  SharedStrings sst_;
  std::vector<NumberFormat> xf_formats_;
  std::unique_ptr<XmlPullParser> xml_;
  RowBuilder builder_;
  bool done_ = false;
  uint64_t rows_ = 0;
  // Parse state.
  bool in_sheet_data_ = false, in_row_ = false, in_cell_ = false;
  bool in_v_ = false, in_is_ = false, in_t_ = false, has_is_ = false;
  int rph_ = 0;
  int64_t row_number_ = 0;
  int64_t next_col_ = 0;
  uint32_t col_ = 0;
  char type_ = 'n';
  uint32_t style_ = 0;
  std::string value_, inline_;
};

}  // namespace

int64_t ColumnFromRef(std::string_view ref) {
  int64_t col = 0;
  size_t i = 0;
  while (i < ref.size() && i < 4) {
    char c = ref[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    if (c < 'A' || c > 'Z') break;
    col = col * 26 + (c - 'A' + 1);
    ++i;
  }
  if (i == 0 || (i < ref.size() && (ref[i] < '0' || ref[i] > '9'))) return -1;
  return col - 1;
}

Result<std::unique_ptr<RowReader>> OpenXlsxReader(std::unique_ptr<ByteSource> source,
                                                  std::unique_ptr<ZipArchive> zip,
                                                  const std::string& workbook_part,
                                                  const ReaderOptions& options, std::string note) {
  DetectedFormat format;
  format.format = FileFormat::kXlsx;
  format.note = std::move(note);
  auto reader = std::make_unique<XlsxReader>(std::move(format), options);
  RETURN_IF_ERROR(reader->Init(std::move(source), std::move(zip), workbook_part, options));
  return std::unique_ptr<RowReader>(std::move(reader));
}

}  // namespace relance::imports
