#include "imports/readers/row_reader.h"

#include <cstring>

#include "imports/readers/byte_source.h"
#include "imports/readers/compound_file.h"
#include "imports/readers/csv_reader.h"
#include "imports/readers/ooxml_package.h"
#include "imports/readers/sheet_common.h"
#include "imports/readers/xls_reader.h"
#include "imports/readers/xlsb_reader.h"
#include "imports/readers/xlsx_reader.h"
#include "imports/readers/zip_archive.h"

namespace relance::imports {
namespace {

constexpr std::string_view kNumbersMessage =
    "Apple Numbers files cannot be imported: export to XLSX from Numbers (File > Export To > "
    "Excel) and import the exported file";
constexpr std::string_view kSaveAs =
    "export your data as CSV or XLSX (in Excel: File > Save As) and import that file";

std::string Extension(std::string_view name) {
  size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name = name.substr(slash + 1);
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return {};
  return AsciiLower(name.substr(dot + 1));
}

bool IsSpreadsheetExtension(const std::string& ext) {
  return ext == "xlsx" || ext == "xlsm" || ext == "xls" || ext == "xlsb" || ext == "xltx" ||
         ext == "xltm";
}

// "the file is named .xlsx but is an XLS workbook; it was read as XLS".
std::string MismatchNote(const std::string& ext, FileFormat actual) {
  if (ext.empty()) return {};
  std::string fmt(FileFormatName(actual));
  bool same = ext == fmt ||
              (actual == FileFormat::kXlsx && (ext == "xlsm" || ext == "xltx" || ext == "xltm")) ||
              (actual == FileFormat::kCsv && (ext == "txt" || ext == "tsv" || ext == "tab"));
  if (same) return {};
  std::string upper;
  for (char c : fmt) upper.push_back(static_cast<char>(c - 32));
  return "the file is named ." + ext + " but its content is " + upper + "; it was read as " + upper;
}

Error NotASpreadsheet(std::string_view what) {
  return InvalidArgument("this file is " + std::string(what) +
                         ", not a spreadsheet: " + std::string(kSaveAs));
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// What a non-spreadsheet binary is, from its magic bytes; empty if unknown.
std::string KnownBinary(std::string_view head) {
  if (StartsWith(head, "%PDF")) return "a PDF document";
  if (StartsWith(head, "\x89PNG")) return "a PNG image";
  if (StartsWith(head, "\xFF\xD8\xFF")) return "a JPEG image";
  if (StartsWith(head, "GIF8")) return "a GIF image";
  if (StartsWith(head, "\x1F\x8B")) return "a gzip archive";
  if (StartsWith(head, "Rar!")) return "a RAR archive";
  if (StartsWith(head, "7z\xBC\xAF")) return "a 7-Zip archive";
  if (StartsWith(head, "{\\rtf")) return "an RTF document";
  return {};
}

// Text that is a document, not a table.
std::string KnownTextDocument(std::string_view head) {
  size_t i = 0;
  if (StartsWith(head, "\xEF\xBB\xBF")) i = 3;
  while (i < head.size() &&
         (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n')) {
    ++i;
  }
  std::string start = AsciiLower(head.substr(i, 512));
  if (StartsWith(start, "<?xml") &&
      start.find("urn:schemas-microsoft-com:office:spreadsheet") != std::string::npos) {
    return "an \"XML Spreadsheet 2003\" file";
  }
  if (StartsWith(start, "<!doctype html") || StartsWith(start, "<html") ||
      StartsWith(start, "<table")) {
    return "a web page (HTML)";
  }
  return {};
}

Result<std::unique_ptr<RowReader>> OpenZip(std::unique_ptr<ByteSource> source,
                                           const std::string& ext, const ReaderOptions& options) {
  ASSIGN_OR_RETURN(auto zip, ZipArchive::Open(source.get(), options.limits));
  bool numbers = ext == "numbers";
  for (const auto& n : zip->names()) {
    if (StartsWith(n, "index/") && n.size() > 4 && n.substr(n.size() - 4) == ".iwa") numbers = true;
    if (n == "index.zip" || n == "index.xml" || n == "index.xml.gz") numbers = true;
  }
  if (numbers) return InvalidArgument(std::string(kNumbersMessage));
  if (zip->Has("mimetype")) {
    ASSIGN_OR_RETURN(std::string mime, zip->ReadPart("mimetype", 256));
    if (mime.find("opendocument.spreadsheet") != std::string::npos) {
      return InvalidArgument(
          "OpenDocument spreadsheets (.ods) cannot be imported: in LibreOffice, use File > Save "
          "As > Excel 2007-365 (.xlsx) and import the new file");
    }
    return NotASpreadsheet("an OpenDocument file");
  }
  ASSIGN_OR_RETURN(std::string workbook, FindWorkbookPart(*zip));
  if (workbook.empty()) {
    if (zip->Has("word/document.xml")) return NotASpreadsheet("a Word document");
    if (zip->Has("ppt/presentation.xml")) return NotASpreadsheet("a PowerPoint presentation");
    return InvalidArgument(
        "this file is a ZIP archive, not a spreadsheet: extract it and import the spreadsheet "
        "(CSV or XLSX) it contains");
  }
  const bool xlsb = workbook.size() > 4 && workbook.substr(workbook.size() - 4) == ".bin";
  if (xlsb) {
    return OpenXlsbReader(std::move(source), std::move(zip), workbook, options,
                          MismatchNote(ext, FileFormat::kXlsb));
  }
  return OpenXlsxReader(std::move(source), std::move(zip), workbook, options,
                        MismatchNote(ext, FileFormat::kXlsx));
}

Result<std::unique_ptr<RowReader>> OpenCompound(std::unique_ptr<ByteSource> source,
                                                const std::string& ext,
                                                const ReaderOptions& options) {
  ASSIGN_OR_RETURN(auto cfb, CompoundFile::Open(source.get()));
  if (cfb->FindStream("EncryptionInfo") || cfb->FindStream("EncryptedPackage")) {
    return PasswordProtected();
  }
  auto wb = cfb->FindStream("Workbook");
  if (!wb) wb = cfb->FindStream("Book");
  if (!wb) {
    if (cfb->FindStream("WordDocument")) return NotASpreadsheet("a Word document");
    if (cfb->FindStream("PowerPoint Document")) return NotASpreadsheet("a PowerPoint file");
    return NotASpreadsheet("an OLE document (no workbook inside)");
  }
  return OpenXlsReader(std::move(source), std::move(cfb), *wb, options,
                       MismatchNote(ext, FileFormat::kXls));
}

Result<std::unique_ptr<RowReader>> Open(std::unique_ptr<ByteSource> source, std::string_view name,
                                        const ReaderOptions& options) {
  if (source->size() == 0) {
    return InvalidArgument("the file is empty: it has no header row and no data");
  }
  const std::string ext = Extension(name);
  if (ext == "numbers") return InvalidArgument(std::string(kNumbersMessage));
  std::string head(std::min<uint64_t>(source->size(), 4096), '\0');
  ASSIGN_OR_RETURN(size_t got, source->ReadAt(0, head.data(), head.size()));
  head.resize(got);
  if (StartsWith(head, "PK\x03\x04") || StartsWith(head, "PK\x05\x06")) {
    return OpenZip(std::move(source), ext, options);
  }
  if (StartsWith(head, CompoundFile::kMagic)) return OpenCompound(std::move(source), ext, options);
  if (std::string what = KnownBinary(head); !what.empty()) return NotASpreadsheet(what);
  if (std::string what = KnownTextDocument(head); !what.empty()) {
    return InvalidArgument("this file is " + what +
                           ", not a real Excel workbook: open it in "
                           "Excel, save it as XLSX (File > Save As), and import the new file");
  }
  if (IsSpreadsheetExtension(ext)) {
    return InvalidArgument("this file is named ." + ext +
                           " but it is not an Excel workbook (it holds plain text, or it is "
                           "damaged): if it is a CSV file, rename it to .csv; otherwise " +
                           std::string(kSaveAs));
  }
  if (ext == "ods") {
    return InvalidArgument("this .ods file is not a readable spreadsheet: " + std::string(kSaveAs));
  }
  return OpenCsvReader(std::move(source), options, MismatchNote(ext, FileFormat::kCsv));
}

std::string Unit(FileFormat format) { return format == FileFormat::kCsv ? "line" : "row"; }

size_t NonEmpty(const OwnedRow& row) {
  size_t n = 0;
  for (const auto& c : row.cells) n += !c.empty();
  return n;
}

}  // namespace

std::string_view FileFormatName(FileFormat format) {
  switch (format) {
    case FileFormat::kCsv:
      return "csv";
    case FileFormat::kXlsx:
      return "xlsx";
    case FileFormat::kXlsb:
      return "xlsb";
    case FileFormat::kXls:
      return "xls";
  }
  return "csv";
}

OwnedRow ToOwned(const Row& row) {
  OwnedRow out;
  out.line = row.line;
  out.cells.assign(row.cells.begin(), row.cells.end());
  out.problem = std::string(row.problem);
  return out;
}

std::string_view RowReader::AddIssue(int64_t line, std::string message) {
  ++issue_count_;
  last_issue_ = message;
  if (issues_.size() < max_issues_) issues_.push_back({line, std::move(message)});
  return last_issue_;
}

Result<std::unique_ptr<RowReader>> OpenReader(const std::string& path,
                                              const ReaderOptions& options) {
  ASSIGN_OR_RETURN(auto source, OpenFileSource(path));
  return Open(std::move(source), path, options);
}

Result<std::unique_ptr<RowReader>> OpenReaderFromBuffer(std::string_view data,
                                                        std::string_view name,
                                                        const ReaderOptions& options) {
  return Open(MemorySource(data), name, options);
}

Result<std::vector<OwnedRow>> ReadRows(RowReader& reader, size_t max_rows) {
  std::vector<OwnedRow> rows;
  while (rows.size() < max_rows) {
    ASSIGN_OR_RETURN(auto row, reader.Next());
    if (!row) break;
    rows.push_back(ToOwned(*row));
  }
  return rows;
}

Result<void> CheckHeaderRow(std::span<const OwnedRow> first_rows, FileFormat format) {
  const std::string unit = Unit(format);
  if (first_rows.empty()) {
    return InvalidArgument("the file is empty: it has no header " + unit +
                           " and no data (R-IMP-3: the first " + unit +
                           " must hold the column names)");
  }
  const OwnedRow& header = first_rows[0];
  if (header.line > 1) {
    std::string which = header.line == 2
                            ? unit + " 1 is empty"
                            : unit + "s 1 to " + std::to_string(header.line - 1) + " are empty";
    return InvalidArgument("the header must be on the first " + unit + ", but " + which +
                           " (a title, a logo or blank " + unit +
                           "s above the table?): delete them so that the column names are on " +
                           unit + " 1, then import again");
  }
  if (NonEmpty(header) == 1 && first_rows.size() > 1) {
    size_t widest = 0;
    for (size_t i = 1; i < first_rows.size() && i < 10; ++i) {
      widest = std::max(widest, NonEmpty(first_rows[i]));
    }
    if (widest >= 2) {
      std::string title;
      for (const auto& c : header.cells) {
        if (!c.empty()) title = c;
      }
      if (title.size() > 60) title = title.substr(0, 57) + "...";
      return InvalidArgument(
          "the first " + unit + " looks like a title (\"" + title +
          "\"), not the header: it has one filled cell while the rows below have " +
          std::to_string(widest) + "; delete the title " + unit +
          "(s) so that the column names are on " + unit + " 1, then import again");
    }
  }
  return Ok();
}

}  // namespace relance::imports
