#include "imports/test_files.h"

#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>

namespace relance::imports::testing {
namespace {

void Put16(std::string* s, uint32_t v) {
  s->push_back(static_cast<char>(v & 0xFF));
  s->push_back(static_cast<char>((v >> 8) & 0xFF));
}
void Put32(std::string* s, uint32_t v) {
  Put16(s, v & 0xFFFF);
  Put16(s, v >> 16);
}

std::string RawDeflate(const std::string& data) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  std::string out(deflateBound(&z, data.size()) + 16, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("relance-imports-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::Write(const std::string& name, const std::string& data) const {
  std::string p = (path_ / name).string();
  std::ofstream f(p, std::ios::binary);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  return p;
}

std::string BuildZip(const std::vector<ZipEntry>& entries) {
  std::string out, central;
  for (const auto& e : entries) {
    std::string comp = e.raw_deflate ? *e.raw_deflate : RawDeflate(e.data);
    uint32_t crc =
        e.raw_deflate
            ? e.declared_crc
            : static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(e.data.data()),
                                          static_cast<uInt>(e.data.size())));
    uint32_t size = e.raw_deflate ? static_cast<uint32_t>(e.declared_size)
                                  : static_cast<uint32_t>(e.data.size());
    uint32_t offset = static_cast<uint32_t>(out.size());
    Put32(&out, 0x04034b50);
    Put16(&out, 20);
    Put16(&out, 0);
    Put16(&out, 8);
    Put16(&out, 0);
    Put16(&out, 0x21);
    Put32(&out, crc);
    Put32(&out, static_cast<uint32_t>(comp.size()));
    Put32(&out, size);
    Put16(&out, static_cast<uint32_t>(e.name.size()));
    Put16(&out, 0);
    out += e.name;
    out += comp;

    Put32(&central, 0x02014b50);
    Put16(&central, 20);
    Put16(&central, 20);
    Put16(&central, 0);
    Put16(&central, 8);
    Put16(&central, 0);
    Put16(&central, 0x21);
    Put32(&central, crc);
    Put32(&central, static_cast<uint32_t>(comp.size()));
    Put32(&central, size);
    Put16(&central, static_cast<uint32_t>(e.name.size()));
    Put16(&central, 0);
    Put16(&central, 0);
    Put16(&central, 0);
    Put16(&central, 0);
    Put32(&central, 0);
    Put32(&central, offset);
    central += e.name;
  }
  uint32_t cd_offset = static_cast<uint32_t>(out.size());
  out += central;
  Put32(&out, 0x06054b50);
  Put16(&out, 0);
  Put16(&out, 0);
  Put16(&out, static_cast<uint32_t>(entries.size()));
  Put16(&out, static_cast<uint32_t>(entries.size()));
  Put32(&out, static_cast<uint32_t>(central.size()));
  Put32(&out, cd_offset);
  Put16(&out, 0);
  return out;
}

std::string DeflatedZeros(uint32_t megabytes, uint32_t* crc) {
  const std::string mb(1 << 20, '\0');
  z_stream z{};
  deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY);
  auto pump = [&](const std::string* in, int flush) {
    std::string out(1 << 20, '\0');
    z.next_in = in ? reinterpret_cast<Bytef*>(const_cast<char*>(in->data())) : nullptr;
    z.avail_in = in ? static_cast<uInt>(in->size()) : 0;
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, flush);
    out.resize(out.size() - z.avail_out);
    return out;
  };
  // The first MiB, then one MiB that only refers back to zeros: that block
  // is valid after any MiB of zeros, so it is repeated instead of compressed
  // again.
  std::string first = pump(&mb, Z_SYNC_FLUSH);
  std::string again = pump(&mb, Z_SYNC_FLUSH);
  std::string last = pump(nullptr, Z_FINISH);
  deflateEnd(&z);
  std::string out = first;
  for (uint32_t i = 1; i < megabytes; ++i) out += again;
  out += last;
  uLong one = crc32(0, reinterpret_cast<const Bytef*>(mb.data()), static_cast<uInt>(mb.size()));
  uLong c = one;
  for (uint32_t i = 1; i < megabytes; ++i)
    c = crc32_combine(c, one, static_cast<z_off_t>(mb.size()));
  *crc = static_cast<uint32_t>(c);
  return out;
}

std::string SheetXml(const std::string& rows) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
         "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
         "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
         "<sheetData>" +
         rows + "</sheetData></worksheet>";
}

std::vector<ZipEntry> XlsxEntries(const std::vector<XlsxSheet>& sheets,
                                  const std::string& shared_strings_xml,
                                  const std::string& styles_xml, bool date1904) {
  const std::string rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
  std::vector<ZipEntry> e;
  e.push_back({"[Content_Types].xml",
               "<?xml version=\"1.0\"?><Types "
               "xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
               "<Default Extension=\"xml\" ContentType=\"application/xml\"/></Types>"});
  e.push_back({"_rels/.rels",
               "<?xml version=\"1.0\"?><Relationships "
               "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
               "<Relationship Id=\"rId1\" Type=\"" +
                   rel + "/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"});
  std::string wb =
      "<?xml version=\"1.0\"?><workbook "
      "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
      "xmlns:r=\"" +
      rel + "\">";
  if (date1904) wb += "<workbookPr date1904=\"1\"/>";
  wb += "<sheets>";
  std::string rels =
      "<?xml version=\"1.0\"?><Relationships "
      "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">";
  for (size_t i = 0; i < sheets.size(); ++i) {
    std::string n = std::to_string(i + 1);
    wb += "<sheet name=\"" + sheets[i].name + "\" sheetId=\"" + n + "\" state=\"" +
          sheets[i].state + "\" r:id=\"rId" + n + "\"/>";
    rels += "<Relationship Id=\"rId" + n + "\" Type=\"" + rel +
            "/worksheet\" Target=\"worksheets/sheet" + n + ".xml\"/>";
    e.push_back({"xl/worksheets/sheet" + n + ".xml", sheets[i].xml});
  }
  wb += "</sheets></workbook>";
  if (!shared_strings_xml.empty()) {
    rels += "<Relationship Id=\"rIdS\" Type=\"" + rel +
            "/sharedStrings\" Target=\"sharedStrings.xml\"/>";
    e.push_back({"xl/sharedStrings.xml", shared_strings_xml});
  }
  if (!styles_xml.empty()) {
    rels += "<Relationship Id=\"rIdT\" Type=\"" + rel + "/styles\" Target=\"styles.xml\"/>";
    e.push_back({"xl/styles.xml", styles_xml});
  }
  rels += "</Relationships>";
  e.push_back({"xl/workbook.xml", wb});
  e.push_back({"xl/_rels/workbook.xml.rels", rels});
  return e;
}

std::string BuildXlsx(const std::vector<XlsxSheet>& sheets, const std::string& shared_strings_xml,
                      const std::string& styles_xml, bool date1904) {
  return BuildZip(XlsxEntries(sheets, shared_strings_xml, styles_xml, date1904));
}

std::string BuildCompoundFile(const std::vector<std::pair<std::string, std::string>>& streams) {
  constexpr uint32_t kSector = 512, kEnd = 0xFFFFFFFE, kFree = 0xFFFFFFFF, kFatSect = 0xFFFFFFFD;
  // Sectors: FAT sectors, one directory sector (4 entries: root + 3 streams),
  // then each stream's data.
  std::vector<std::string> data;
  uint32_t data_sectors = 0;
  for (const auto& [name, bytes] : streams) {
    std::string padded = bytes;
    if (padded.size() < 4096) padded.resize(4096, '\0');
    padded.resize((padded.size() + kSector - 1) / kSector * kSector, '\0');
    data_sectors += static_cast<uint32_t>(padded.size() / kSector);
    data.push_back(std::move(padded));
  }
  uint32_t fat_sectors = 1;
  while (fat_sectors * (kSector / 4) < fat_sectors + 1 + data_sectors) ++fat_sectors;
  std::vector<uint32_t> fat(fat_sectors * (kSector / 4), kFree);
  for (uint32_t i = 0; i < fat_sectors; ++i) fat[i] = kFatSect;
  const uint32_t dir_sector = fat_sectors;
  fat[dir_sector] = kEnd;
  std::vector<uint32_t> starts;
  uint32_t next = dir_sector + 1;
  for (const auto& d : data) {
    uint32_t n = static_cast<uint32_t>(d.size() / kSector);
    starts.push_back(next);
    for (uint32_t k = 0; k < n; ++k) fat[next + k] = (k + 1 == n) ? kEnd : next + k + 1;
    next += n;
  }
  std::string out;
  // Header.
  out += std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
  out += std::string(16, '\0');
  Put16(&out, 0x3E);
  Put16(&out, 3);
  Put16(&out, 0xFFFE);
  Put16(&out, 9);
  Put16(&out, 6);
  out += std::string(6, '\0');
  Put32(&out, 0);
  Put32(&out, fat_sectors);
  Put32(&out, dir_sector);
  Put32(&out, 0);
  Put32(&out, 4096);
  Put32(&out, kEnd);
  Put32(&out, 0);
  Put32(&out, kEnd);
  Put32(&out, 0);
  for (uint32_t i = 0; i < 109; ++i) Put32(&out, i < fat_sectors ? i : kFree);
  // FAT.
  for (uint32_t v : fat) Put32(&out, v);
  // Directory.
  auto entry = [&](const std::string& name, uint8_t type, uint32_t child, uint32_t right,
                   uint32_t start, uint32_t size) {
    std::string e;
    for (size_t i = 0; i < 31 && i < name.size(); ++i)
      Put16(&e, static_cast<unsigned char>(name[i]));
    e.resize(64, '\0');
    Put16(&e, static_cast<uint32_t>(std::min<size_t>(name.size(), 31) + 1) * 2);
    e.push_back(static_cast<char>(type));
    e.push_back(1);    // black
    Put32(&e, kFree);  // left
    Put32(&e, right);  // right
    Put32(&e, child);  // child
    e += std::string(16 + 4 + 16, '\0');
    Put32(&e, start);
    Put32(&e, size);
    Put32(&e, 0);
    return e;
  };
  std::string dir = entry("Root Entry", 5, streams.empty() ? kFree : 1, kFree, kEnd, 0);
  for (size_t i = 0; i < streams.size() && i < 3; ++i) {
    uint32_t size = static_cast<uint32_t>(std::max<size_t>(streams[i].second.size(), 4096));
    uint32_t right = i + 1 < streams.size() ? static_cast<uint32_t>(i + 2) : kFree;
    dir += entry(streams[i].first, 2, kFree, right, starts[i], size);
  }
  dir.resize(kSector, '\0');
  out += dir;
  for (const auto& d : data) out += d;
  return out;
}

std::string BiffRecord(uint16_t type, const std::string& body) {
  std::string r;
  Put16(&r, type);
  Put16(&r, static_cast<uint32_t>(body.size()));
  return r + body;
}

std::string BuildXls(const std::string& sheet_name, const std::string& cell_records,
                     const std::string& extra_globals) {
  std::string bof;
  Put16(&bof, 0x0600);
  Put16(&bof, 0x0005);  // globals
  bof += std::string(12, '\0');
  std::string sheet_bof;
  Put16(&sheet_bof, 0x0600);
  Put16(&sheet_bof, 0x0010);  // worksheet
  sheet_bof += std::string(12, '\0');
  auto globals = [&](uint32_t sheet_pos) {
    std::string g = BiffRecord(0x0809, bof) + extra_globals;
    std::string bs;
    Put32(&bs, sheet_pos);
    bs.push_back(0);  // visible
    bs.push_back(0);  // worksheet
    bs.push_back(static_cast<char>(sheet_name.size()));
    bs.push_back(0);  // compressed characters
    bs += sheet_name;
    g += BiffRecord(0x0085, bs);
    g += BiffRecord(0x000A, "");
    return g;
  };
  uint32_t pos = static_cast<uint32_t>(globals(0).size());
  std::string stream =
      globals(pos) + BiffRecord(0x0809, sheet_bof) + cell_records + BiffRecord(0x000A, "");
  return BuildCompoundFile({{"Workbook", stream}});
}

namespace {
void PutVarint(std::string* s, uint32_t v, int max_bytes) {
  for (int i = 0; i < max_bytes; ++i) {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if (v) b |= 0x80;
    s->push_back(static_cast<char>(b));
    if (!v) break;
  }
}
std::string Wide(const std::string& ascii) {
  std::string s;
  Put32(&s, static_cast<uint32_t>(ascii.size()));
  for (unsigned char c : ascii) Put16(&s, c);
  return s;
}
}  // namespace

std::string Biff12Record(uint32_t type, const std::string& body) {
  std::string r;
  PutVarint(&r, type, 2);
  PutVarint(&r, static_cast<uint32_t>(body.size()), 4);
  return r + body;
}

std::string BuildXlsb(const std::string& sheet_records, const std::string& shared_strings) {
  const std::string rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
  std::string bundle;
  Put32(&bundle, 0);
  Put32(&bundle, 1);
  bundle += Wide("rId1") + Wide("Sheet1");
  std::string workbook = Biff12Record(131, "") + Biff12Record(156, bundle) + Biff12Record(132, "");
  std::string rels =
      "<?xml version=\"1.0\"?><Relationships "
      "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
      "<Relationship Id=\"rId1\" Type=\"" +
      rel + "/worksheet\" Target=\"worksheets/sheet1.bin\"/>";
  std::vector<ZipEntry> e;
  e.push_back({"_rels/.rels",
               "<?xml version=\"1.0\"?><Relationships "
               "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
               "<Relationship Id=\"rId1\" Type=\"" +
                   rel + "/officeDocument\" Target=\"xl/workbook.bin\"/></Relationships>"});
  e.push_back({"xl/workbook.bin", workbook});
  if (!shared_strings.empty()) {
    rels += "<Relationship Id=\"rId2\" Type=\"" + rel +
            "/sharedStrings\" Target=\"sharedStrings.bin\"/>";
    e.push_back({"xl/sharedStrings.bin", shared_strings});
  }
  rels += "</Relationships>";
  e.push_back({"xl/_rels/workbook.bin.rels", rels});
  e.push_back(
      {"xl/worksheets/sheet1.bin", Biff12Record(145, "") + sheet_records + Biff12Record(146, "")});
  return BuildZip(e);
}

std::string CorpusDir() {
  const char* src = std::getenv("RELANCE_SOURCE_DIR");
  std::string base = src ? src : RELANCE_DEFAULT_SOURCE_DIR;
  return base + "/../shared/corpus";
}

}  // namespace relance::imports::testing
