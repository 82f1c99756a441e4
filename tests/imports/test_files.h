// Test helpers: temporary folders, hand-built ZIP packages (so a test can
// write a malicious one: wrong sizes, zip bombs) and small XLSX workbooks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace relance::imports::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Writes `data` to `name` inside the folder; returns the full path.
  std::string Write(const std::string& name, const std::string& data) const;

 private:
  std::filesystem::path path_;
};

struct ZipEntry {
  ZipEntry(std::string n, std::string d = "") : name(std::move(n)), data(std::move(d)) {}
  std::string name;
  std::string data;  // uncompressed content (ignored when raw_deflate is set)
  // Crafting: a raw deflate stream to store instead of compressing `data`,
  // with the sizes and CRC to declare.
  std::optional<std::string> raw_deflate;
  uint64_t declared_size = 0;
  uint32_t declared_crc = 0;
};

std::string BuildZip(const std::vector<ZipEntry>& entries);

// A raw deflate stream that inflates to `megabytes` MiB of zeros, built in
// about a millisecond per 100 MiB; `crc` receives the CRC-32 of the output.
std::string DeflatedZeros(uint32_t megabytes, uint32_t* crc);

struct XlsxSheet {
  XlsxSheet(std::string n, std::string x, std::string s = "visible")
      : name(std::move(n)), xml(std::move(x)), state(std::move(s)) {}
  std::string name;
  std::string xml;  // the whole worksheet part
  std::string state;
};

// A workbook: sheets, an optional shared-string part and styles part (whole
// XML). `date1904` sets the workbook flag.
std::vector<ZipEntry> XlsxEntries(const std::vector<XlsxSheet>& sheets,
                                  const std::string& shared_strings_xml = "",
                                  const std::string& styles_xml = "", bool date1904 = false);
std::string BuildXlsx(const std::vector<XlsxSheet>& sheets,
                      const std::string& shared_strings_xml = "",
                      const std::string& styles_xml = "", bool date1904 = false);

// "<worksheet ...><sheetData>" + rows + "</sheetData></worksheet>".
std::string SheetXml(const std::string& rows);

// An OLE2 compound file (512-byte sectors, no mini stream: streams shorter
// than 4096 bytes are padded with zeros) holding the given streams, e.g.
// {"Workbook", biff_records} for an XLS file.
std::string BuildCompoundFile(const std::vector<std::pair<std::string, std::string>>& streams);

// BIFF8 helpers: one record, and an XLS workbook with one sheet whose cell
// records are given (the BOF/EOF around them are added).
std::string BiffRecord(uint16_t type, const std::string& body);
std::string BuildXls(const std::string& sheet_name, const std::string& cell_records,
                     const std::string& extra_globals = "");

// An XLSB package whose single sheet part holds `sheet_records` (BIFF12).
std::string Biff12Record(uint32_t type, const std::string& body);
std::string BuildXlsb(const std::string& sheet_records, const std::string& shared_strings = "");

// Where the third-party corpus lives (RELANCE_SOURCE_DIR/../shared/corpus).
std::string CorpusDir();

}  // namespace relance::imports::testing
