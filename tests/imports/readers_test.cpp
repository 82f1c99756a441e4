// The import readers on files written by the test itself: CSV dialects and
// encodings (R-IMP-2), spreadsheet values (R-IMP-1), the header rule
// (R-IMP-3), refusals with a message saying what to do (R-IMP-1), and the
// defences: zip bombs, XML entity expansion, absurd dimensions, unbounded
// records.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <cstring>
#include <fstream>

#include "imports/readers/cell_format.h"
#include "imports/readers/row_reader.h"
#include "imports/test_files.h"

namespace relance::imports {
namespace {

using testing::BuildXlsx;
using testing::BuildZip;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::SheetXml;
using testing::TempDir;
using testing::XlsxSheet;
using Cells = std::vector<std::vector<std::string>>;

struct Read {
  std::vector<OwnedRow> rows;
  DetectedFormat format;
  std::vector<ReadIssue> issues;
};

Result<Read> ReadBuffer(const std::string& data, const std::string& name,
                        const ReaderOptions& options = {}) {
  ASSIGN_OR_RETURN(auto reader, OpenReaderFromBuffer(data, name, options));
  Read out;
  ASSIGN_OR_RETURN(out.rows, ReadRows(*reader, 100'000'000));
  out.format = reader->format();
  out.issues = reader->issues();
  return out;
}

Read MustRead(const std::string& data, const std::string& name, const ReaderOptions& options = {}) {
  auto r = ReadBuffer(data, name, options);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
  return r.ok() ? *r : Read{};
}

Cells CellsOf(const Read& r) {
  Cells out;
  for (const auto& row : r.rows) out.push_back(row.cells);
  return out;
}

std::vector<int64_t> LinesOf(const Read& r) {
  std::vector<int64_t> out;
  for (const auto& row : r.rows) out.push_back(row.line);
  return out;
}

Error MustFail(const std::string& data, const std::string& name,
               const ReaderOptions& options = {}) {
  auto r = ReadBuffer(data, name, options);
  EXPECT_FALSE(r.ok());
  return r.ok() ? Error(ErrorCode::kInternal, "no error") : r.error();
}

// ---------------------------------------------------------------- CSV

TEST(CsvReaderTest, DetectsEachSeparatorRImp2) {
  for (char sep : {';', ',', '|', '\t'}) {
    std::string s =
        std::string("nom") + sep + "ville\nDupont" + sep + "Paris\nMartin" + sep + "Lyon\n";
    Read r = MustRead(s, "clients.csv");
    EXPECT_EQ(r.format.separator, sep);
    EXPECT_EQ(CellsOf(r), (Cells{{"nom", "ville"}, {"Dupont", "Paris"}, {"Martin", "Lyon"}}));
  }
}

TEST(CsvReaderTest, DecimalCommasDoNotWinTheSeparatorVoteRImp2) {
  Read r = MustRead("Nom;Montant;Délai\nDupont;12,50;30\nMartin;1,5;45\nDurand;100;60\n", "a.csv");
  EXPECT_EQ(r.format.separator, ';');
  EXPECT_EQ(r.rows[1].cells, (std::vector<std::string>{"Dupont", "12,50", "30"}));
}

TEST(CsvReaderTest, QuotedSeparatorsAndLineBreaksKeepPhysicalLineNumbersRImp2) {
  Read r = MustRead(
      "name,address\n\"Dupont, SA\",\"1 rue X\n75001 Paris\"\nMartin,\"a \"\"b\"\"\"\n", "a.csv");
  EXPECT_EQ(
      CellsOf(r),
      (Cells{{"name", "address"}, {"Dupont, SA", "1 rue X\n75001 Paris"}, {"Martin", "a \"b\""}}));
  EXPECT_THAT(LinesOf(r), ElementsAre(1, 2, 4));
}

TEST(CsvReaderTest, CrLfCrAndLfLineEndsMixRImp2) {
  Read r = MustRead("a;b\r\n1;2\r3;4\n5;6", "a.csv");
  EXPECT_EQ(CellsOf(r), (Cells{{"a", "b"}, {"1", "2"}, {"3", "4"}, {"5", "6"}}));
  EXPECT_THAT(LinesOf(r), ElementsAre(1, 2, 3, 4));
}

TEST(CsvReaderTest, EveryLineWithTheWrongFieldCountIsReportedByLineRImp2) {
  Read r = MustRead("a;b;c\n1;2;3\n1;2\n1;2;3\n\"x\ny\";2;3;4\n1;2;3\n", "a.csv");
  ASSERT_EQ(r.rows.size(), 6u);
  EXPECT_EQ(r.rows[2].problem,
            "line 3 has 2 fields but the header (line 1) has 3 fields: every line must have the "
            "same "
            "number of separators (';')");
  EXPECT_THAT(r.rows[4].problem, HasSubstr("line 5 has 4 fields"));
  EXPECT_TRUE(r.rows[5].problem.empty());
  EXPECT_EQ(r.rows[5].line, 7);
  ASSERT_EQ(r.issues.size(), 2u);
  EXPECT_EQ(r.issues[0].line, 3);
  EXPECT_EQ(r.issues[1].line, 5);
}

TEST(CsvReaderTest, BlankLinesAreSkippedWithoutShiftingLineNumbers) {
  Read r = MustRead("a,b\n\n1,2\n\r\n3,4\n\n", "a.csv");
  EXPECT_THAT(LinesOf(r), ElementsAre(1, 3, 5));
  EXPECT_TRUE(r.issues.empty());
}

TEST(CsvReaderTest, Windows1252IsDetectedAndConverted) {
  Read r = MustRead(
      "Nom;Ville\nSoci\xe9t\xe9 G\xe9n\xe9rale;Besan\xe7on\nCaf\xe9 \x80;\x9c\x75vre\n", "a.csv");
  EXPECT_EQ(r.format.encoding, "Windows-1252");
  EXPECT_EQ(CellsOf(r),
            (Cells{{"Nom", "Ville"}, {"Société Générale", "Besançon"}, {"Café €", "œuvre"}}));
}

TEST(CsvReaderTest, ALateWindows1252ByteAfterAsciiSwitchesTheRestOfTheFile) {
  std::string s = "nom;ville\n";
  for (int i = 0; i < 20000; ++i) s += "Dupont;Paris " + std::to_string(i) + "\n";
  s += "Caf\xe9;Orl\xe9"
       "ans\n";
  Read r = MustRead(s, "a.csv");
  ASSERT_EQ(r.rows.size(), 20002u);
  EXPECT_EQ(r.rows.back().cells, (std::vector<std::string>{"Café", "Orléans"}));
  EXPECT_EQ(r.format.encoding, "Windows-1252");
  EXPECT_TRUE(r.issues.empty());
}

TEST(CsvReaderTest, AnInvalidByteAfterUtf8TextIsFlaggedOnItsLine) {
  std::string s = "nom;ville\nCafé;Orléans\n";
  for (int i = 0; i < 20000; ++i) s += "Dupont;Paris\n";
  s += "Bad\xff;X\nOk;Y\n";
  Read r = MustRead(s, "a.csv");
  ASSERT_EQ(r.rows.size(), 20004u);
  const OwnedRow& bad = r.rows[20002];
  EXPECT_EQ(bad.line, 20003);
  EXPECT_THAT(bad.problem, HasSubstr("line 20003 contains bytes that are not valid UTF-8"));
  EXPECT_TRUE(r.rows.back().problem.empty());
  EXPECT_EQ(r.rows[1].cells[0], "Café");
}

TEST(CsvReaderTest, Utf16WithAndWithoutBomRImp2) {
  auto utf16 = [](const std::u16string& s, bool le) {
    std::string out;
    for (char16_t c : s) {
      char lo = static_cast<char>(c & 0xFF), hi = static_cast<char>(c >> 8);
      out += le ? std::string{lo, hi} : std::string{hi, lo};
    }
    return out;
  };
  const std::u16string text = u"nom;ville\r\nSociété;Besançon\r\n𝄞 music;x\r\n";
  const Cells expected = {{"nom", "ville"}, {"Société", "Besançon"}, {"𝄞 music", "x"}};
  Read le = MustRead("\xFF\xFE" + utf16(text, true), "a.csv");
  EXPECT_EQ(le.format.encoding, "UTF-16LE");
  EXPECT_EQ(CellsOf(le), expected);
  Read be = MustRead("\xFE\xFF" + utf16(text, false), "a.csv");
  EXPECT_EQ(be.format.encoding, "UTF-16BE");
  EXPECT_EQ(CellsOf(be), expected);
  Read nobom = MustRead(utf16(text, true), "a.csv");
  EXPECT_EQ(nobom.format.encoding, "UTF-16LE");
  EXPECT_EQ(CellsOf(nobom), expected);
}

TEST(CsvReaderTest, Utf8BomIsNotPartOfTheFirstHeader) {
  Read r = MustRead("\xEF\xBB\xBFnom,ville\nA,B\n", "a.csv");
  EXPECT_EQ(r.rows[0].cells[0], "nom");
  EXPECT_EQ(r.format.encoding, "UTF-8 (BOM)");
}

// The reader scans its buffer 64 bytes at a time: a separator or line end on
// either side of a block boundary ends its field there.
TEST(CsvReaderTest, ASeparatorAtABlockBoundaryEndsItsFieldRImp2) {
  for (size_t len : {62u, 63u, 64u, 65u, 127u, 128u, 129u}) {
    const std::string first(len, 'h');
    Read r = MustRead(first + ";b\n" + std::string(len, '1') + ";2\r\n3;" + first + "\n", "a.csv");
    EXPECT_EQ(CellsOf(r), (Cells{{first, "b"}, {std::string(len, '1'), "2"}, {"3", first}}))
        << len;
    EXPECT_THAT(LinesOf(r), ElementsAre(1, 2, 3));
    EXPECT_TRUE(r.issues.empty());
  }
}

// A quoted field holding a separator and a line break, cut by the end of the
// 1 MiB read buffer, reads whole, with the lines after it numbered right.
TEST(CsvReaderTest, AQuotedFieldAcrossTheReadBufferEndIsIntactRImp2) {
  const size_t kBuffer = 1 << 20;
  for (size_t before : {1u, 3u, 40u}) {  // bytes of the field before the buffer's end
    std::string s = "a;b\n";
    int64_t lines = 1;
    while (s.size() + 40 < kBuffer - before) {
      s += std::string(35, 'x') + ";y\n";
      ++lines;
    }
    s += std::string(kBuffer - before - s.size() - 2, 'p') + ";\"";
    s += std::string(before, 'q') + ";r\r\n\"\"s\"\"" + std::string(70, 't') + "\"\nz;w\n";
    Read r = MustRead(s, "a.csv");
    ASSERT_EQ(r.rows.size(), static_cast<size_t>(lines + 2));
    const OwnedRow& cut = r.rows[r.rows.size() - 2];
    EXPECT_EQ(cut.cells[1], std::string(before, 'q') + ";r\r\n\"s\"" + std::string(70, 't'));
    EXPECT_EQ(cut.line, lines + 1);
    EXPECT_EQ(r.rows.back().cells, (std::vector<std::string>{"z", "w"}));
    EXPECT_EQ(r.rows.back().line, lines + 3);
    EXPECT_TRUE(r.issues.empty());
  }
}

// An unquoted record whose CR ends a read (every 128 KiB) or the buffer
// (1 MiB), its LF the next: one line break, the next record intact.
TEST(CsvReaderTest, ACrLfCutByTheEndOfAReadIsOneLineBreakRImp2) {
  for (size_t boundary : {size_t{128} << 10, size_t{1} << 20}) {
    std::string s = "a;b\n";
    int64_t lines = 1;
    while (s.size() + 40 < boundary) {
      s += std::string(35, 'x') + ";y\n";
      ++lines;
    }
    s += std::string(boundary - s.size() - 3, 'p') + ";q\r\nz;w\r\n";
    Read r = MustRead(s, "a.csv");
    ASSERT_EQ(r.rows.size(), static_cast<size_t>(lines + 2)) << boundary;
    const OwnedRow& cut = r.rows[r.rows.size() - 2];
    EXPECT_EQ(cut.cells[1], "q");
    EXPECT_EQ(cut.line, lines + 1);
    EXPECT_EQ(r.rows.back().cells, (std::vector<std::string>{"z", "w"}));
    EXPECT_EQ(r.rows.back().line, lines + 2);
    EXPECT_TRUE(r.issues.empty());
  }
}

// Fields of every length from 0 to 150 bytes, plain and quoted (with
// separators, doubled quotes and line breaks), LF and CRLF, over several
// buffers: each cell and line number is what was written.
TEST(CsvReaderTest, FieldsOfEveryLengthAndQuotingReadBackAsWrittenRImp2) {
  Cells expected = {{"a", "b", "c", "d"}};
  std::vector<int64_t> lines = {1};
  std::string s = "a;b;c;d\n";
  int64_t line = 2;
  for (uint32_t n = 0; s.size() < (5u << 19); ++n) {
    std::vector<std::string> row;
    std::string text;
    int64_t breaks = 0;
    for (uint32_t k = 0; k < 4; ++k) {
      const uint32_t len = (n * 7 + k * 13 + n / 5) % 151;
      std::string value;
      for (uint32_t i = 0; i < len; ++i) value += static_cast<char>('a' + (n + i) % 26);
      const uint32_t kind = (n + k) % 5;
      if (kind == 3 && len > 2) value[len / 2] = ';';
      if (kind == 4 && len > 4) value.replace(len / 3, 2, (n % 2) ? "\r\n" : "\"\n");
      const bool quote = kind >= 2 && !value.empty();
      if (k > 0) text += ';';
      if (quote) {
        text += '"';
        for (char c : value) text += (c == '"') ? std::string("\"\"") : std::string(1, c);
        text += '"';
        for (size_t i = 0; i < value.size(); ++i) {
          breaks += value[i] == '\n' || (value[i] == '\r' && value[i + 1] != '\n');
        }
      } else {
        text += value;
      }
      row.push_back(value);
    }
    s += text + ((n % 3) ? "\n" : "\r\n");
    if (row != std::vector<std::string>(4)) {
      expected.push_back(row);
      lines.push_back(line);
    }
    line += breaks + 1;
  }
  Read r = MustRead(s, "a.csv");
  ASSERT_EQ(r.rows.size(), expected.size());
  EXPECT_EQ(CellsOf(r), expected);
  EXPECT_EQ(LinesOf(r), lines);
  EXPECT_TRUE(r.issues.empty());
}

TEST(CsvReaderTest, AQuoteNeverClosedIsAnErrorNamingItsLine) {
  Error e = MustFail("a,b\n1,2\n3,\"never closed\n4,5\n", "a.csv");
  EXPECT_THAT(e.message(),
              HasSubstr("line 3: a quoted field starting on this line is never closed"));
}

TEST(CsvReaderTest, AFieldLargerThanTheReadBufferIsIntact) {
  std::string big;
  for (int i = 0; i < 300000; ++i) big += "abc\"\"def,";
  std::string value;
  for (int i = 0; i < 300000; ++i) value += "abc\"def,";
  Read r = MustRead("a,b\n1,\"" + big + "\"\n2,3\n", "a.csv");
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[1].cells[1], value);
  EXPECT_EQ(r.rows[2].cells, (std::vector<std::string>{"2", "3"}));
  EXPECT_EQ(r.rows[2].line, 3);
}

TEST(CsvReaderTest, ARecordBeyondTheLimitIsRefusedNotBuffered) {
  ReaderOptions options;
  options.limits.max_record_bytes = 1 << 20;
  std::string s = "a,b\n1,\"" + std::string(3 << 20, 'x') + "\n";
  Error e = MustFail(s, "a.csv", options);
  EXPECT_EQ(e.code(), ErrorCode::kResourceExhausted);
  EXPECT_THAT(e.message(), HasSubstr("line 2: a record longer than 1 MB"));
}

TEST(CsvReaderTest, AbsurdlyManyFieldsAreRefused) {
  ReaderOptions options;
  options.limits.max_columns = 100;
  std::string s = "a,b\n" + std::string(500, ',') + "\n";
  Error e = MustFail(s, "a.csv", options);
  EXPECT_EQ(e.code(), ErrorCode::kResourceExhausted);
  EXPECT_THAT(e.message(), HasSubstr("line 2 has more than 100 fields"));
}

TEST(CsvReaderTest, BinaryContentIsNotReadAsCsv) {
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 7919) % 32));
  Error e = MustFail(junk, "data.csv");
  EXPECT_THAT(e.message(), HasSubstr("not a text (CSV) file"));
}

long MaxRssKb() {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

TEST(CsvReaderTest, MemoryDoesNotGrowWithTheFile) {
  TempDir dir;
  std::string path = (dir.path() / "big.csv").string();
  {
    std::ofstream f(path, std::ios::binary);
    f << "id;nom;ville;code\n";
    std::string block;
    for (int i = 0; i < 10000; ++i) {
      block += std::to_string(i) + ";\"Société Dupont " + std::to_string(i) + "\";Paris;00123\n";
    }
    for (int k = 0; k < 160; ++k) f << block;  // ~80 MB
  }
  const long before = MaxRssKb();
  auto reader = OpenReader(path);
  ASSERT_TRUE(reader.ok());
  uint64_t rows = 0;
  while (true) {
    auto row = (*reader)->Next();
    ASSERT_TRUE(row.ok());
    if (!*row) break;
    ++rows;
  }
  EXPECT_EQ(rows, 1'600'001u);
  EXPECT_LT(MaxRssKb() - before, 40 * 1024) << "reading grew the process by more than 40 MB";
}

// ---------------------------------------------------------------- XLSX

const std::string kSst =
    "<?xml version=\"1.0\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/"
    "main\" count=\"4\" uniqueCount=\"4\"><si><t>Code client</t></si><si><t>00123</t></si>"
    "<si><r><t>Société </t></r><r><rPr><b/></rPr><t>Générale</t></r><rPh><t>ignored</t></rPh>"
    "</si><si><t>Date</t></si></sst>";

const std::string kStyles =
    "<?xml version=\"1.0\"?><styleSheet xmlns=\"http://schemas.openxmlformats.org/"
    "spreadsheetml/2006/main\"><numFmts count=\"3\"><numFmt numFmtId=\"164\" "
    "formatCode=\"00000\"/><numFmt numFmtId=\"165\" formatCode=\"dd/mm/yyyy\\ hh:mm\"/>"
    "<numFmt numFmtId=\"166\" formatCode=\"[Red]#,##0.00\\ &quot;€&quot;\"/></numFmts>"
    "<cellStyleXfs count=\"1\"><xf numFmtId=\"14\"/></cellStyleXfs>"
    "<cellXfs count=\"5\"><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/><xf numFmtId=\"164\"/>"
    "<xf numFmtId=\"165\"/><xf numFmtId=\"166\"/></cellXfs></styleSheet>";

TEST(XlsxReaderTest, ValuesKeepTheTextTheSpreadsheetShowsRImp1) {
  std::string rows =
      "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"C1\" t=\"s\"><v>3</v></c></row>"
      "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>1</v></c><c r=\"B2\" t=\"s\"><v>2</v></c>"
      "<c r=\"C2\" s=\"1\"><v>45000</v></c><c r=\"D2\" s=\"2\"><v>123</v></c>"
      "<c r=\"E2\"><v>1234.5</v></c><c r=\"F2\" s=\"4\"><v>40</v></c><c r=\"G2\" t=\"b\"><v>1</v>"
      "</c><c r=\"H2\" t=\"inlineStr\"><is><t>Inline _x000D_</t></is></c>"
      "<c r=\"I2\" t=\"e\"><v>#N/A</v></c><c r=\"J2\" t=\"str\"><f>A2&amp;\"x\"</f><v>00123x</v>"
      "</c><c r=\"K2\" s=\"3\"><v>45000.5</v></c><c r=\"L2\"><v>0.1</v></c>"
      "<c r=\"M2\"><v>1E+20</v></c><c r=\"N2\" s=\"2\"/></row>"
      "<row r=\"5\"><c r=\"B5\"><v>3</v></c></row>";
  std::string xlsx = BuildXlsx({{"Clients", SheetXml(rows)}}, kSst, kStyles);
  Read r = MustRead(xlsx, "clients.xlsx");
  EXPECT_EQ(r.format.format, FileFormat::kXlsx);
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0].cells, (std::vector<std::string>{"Code client", "", "Date"}));
  EXPECT_EQ(r.rows[1].cells,
            (std::vector<std::string>{"00123", "Société Générale", "2023-03-15", "00123", "1234.5",
                                      "40", "TRUE", "Inline \r", "#N/A", "00123x",
                                      "2023-03-15T12:00:00", "0.1", "1E+20"}));
  EXPECT_EQ(r.rows[2].line, 5);
  EXPECT_EQ(r.rows[2].cells, (std::vector<std::string>{"", "3"}));
}

TEST(XlsxReaderTest, PrefixedEntityEscapedAndCommentedXmlReadsTheSame) {
  std::string sheet =
      "<?xml version=\"1.0\"?>\n<!-- written by hand -->\n<x:worksheet "
      "xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><x:sheetData>"
      "<x:row r=\"1\"><x:c r=\"A1\" t=\"inlineStr\"><x:is><x:t>Dupont &amp; Fils</x:t></x:is>"
      "</x:c><x:c r=\"B1\"><x:v>2</x:v></x:c><x:c r=\"C1\"/><x:c r=\"D1\" t=\"str\">"
      "<x:f>A1</x:f><x:v>&#233;t&#xE9; &lt;1&gt;</x:v></x:c></x:row>"
      "<x:row r='2'><x:c r='A2' t='inlineStr'><x:is><x:t><![CDATA[<raw> & text]]></x:t></x:is>"
      "</x:c></x:row></x:sheetData></x:worksheet>";
  Read r = MustRead(BuildXlsx({{"S", sheet}}), "a.xlsx");
  EXPECT_EQ(CellsOf(r), (Cells{{"Dupont & Fils", "2", "", "été <1>"}, {"<raw> & text"}}));
}

TEST(XlsxReaderTest, TheFirstVisibleSheetIsReadUnlessOneIsNamedRImp1) {
  std::string xlsx = BuildXlsx(
      {{"Notes", SheetXml("<row r=\"1\"><c t=\"inlineStr\"><is><t>hidden</t></is></c></row>"),
        "hidden"},
       {"Clients", SheetXml("<row r=\"1\"><c t=\"inlineStr\"><is><t>nom</t></is></c></row>")},
       {"Contacts", SheetXml("<row r=\"1\"><c t=\"inlineStr\"><is><t>email</t></is></c></row>")}});
  Read r = MustRead(xlsx, "a.xlsx");
  EXPECT_EQ(r.format.sheet, "Clients");
  ASSERT_EQ(r.format.sheets.size(), 3u);
  EXPECT_EQ(r.format.sheets[0].state, SheetState::kHidden);
  EXPECT_EQ(CellsOf(r), (Cells{{"nom"}}));
  ReaderOptions contacts;
  contacts.sheet = "contacts";  // case does not matter
  EXPECT_EQ(CellsOf(MustRead(xlsx, "a.xlsx", contacts)), (Cells{{"email"}}));
  ReaderOptions missing;
  missing.sheet = "Factures";
  Error e = MustFail(xlsx, "a.xlsx", missing);
  EXPECT_THAT(e.message(), HasSubstr("no sheet named \"Factures\""));
  EXPECT_THAT(e.message(), HasSubstr("\"Clients\", \"Contacts\""));
}

TEST(XlsxReaderTest, The1904DateSystemGivesTheSameDates) {
  std::string styles =
      "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
      "<cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/></cellXfs></styleSheet>";
  std::string x1900 =
      BuildXlsx({{"S", SheetXml("<row><c s=\"1\"><v>44197</v></c></row>")}}, "", styles);
  std::string x1904 =
      BuildXlsx({{"S", SheetXml("<row><c s=\"1\"><v>42735</v></c></row>")}}, "", styles, true);
  EXPECT_EQ(CellsOf(MustRead(x1900, "a.xlsx")), (Cells{{"2021-01-01"}}));
  Read r = MustRead(x1904, "a.xlsx");
  EXPECT_TRUE(r.format.date1904);
  EXPECT_EQ(CellsOf(r), (Cells{{"2021-01-01"}}));
}

const std::string kBillionLaughs =
    "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
    "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
    "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"
    "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
    "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
    "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">"
    "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">"
    "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">"
    "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">"
    "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">]>";

TEST(XlsxReaderTest, EntityExpansionIsRefused) {
  std::string sheet = kBillionLaughs +
                      "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/"
                      "main\"><sheetData><row><c t=\"inlineStr\"><is><t>&lol9;</t></is></c></row>"
                      "</sheetData></worksheet>";
  Error e = MustFail(BuildXlsx({{"S", sheet}}), "a.xlsx");
  EXPECT_THAT(e.message(), HasSubstr("document type declaration (DTD)"));

  std::string sst = kBillionLaughs + "<sst><si><t>&lol9;</t></si></sst>";
  Error e2 =
      MustFail(BuildXlsx({{"S", SheetXml("<row><c t=\"s\"><v>0</v></c></row>")}}, sst), "a.xlsx");
  EXPECT_THAT(e2.message(), HasSubstr("document type declaration (DTD)"));

  std::string xxe =
      "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
      "<worksheet><sheetData><row><c t=\"inlineStr\"><is><t>&e;</t></is></c></row>"
      "</sheetData></worksheet>";
  EXPECT_THAT(MustFail(BuildXlsx({{"S", xxe}}), "a.xlsx").message(), HasSubstr("DTD"));
}

TEST(XlsxReaderTest, AbsurdDimensionsAreRefused) {
  Error col = MustFail(
      BuildXlsx({{"S", SheetXml("<row r=\"1\"><c r=\"XFE1\"><v>1</v></c></row>")}}), "a.xlsx");
  EXPECT_EQ(col.code(), ErrorCode::kResourceExhausted);
  EXPECT_THAT(col.message(), HasSubstr("beyond the 16384 columns"));
  Error row = MustFail(
      BuildXlsx({{"S", SheetXml("<row r=\"99999999\"><c r=\"A99999999\"><v>1</v></c></row>")}}),
      "a.xlsx");
  EXPECT_THAT(row.message(), HasSubstr("beyond the 1048576 rows"));
  // A huge declared dimension with little content costs nothing.
  std::string wide =
      "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
      "<dimension ref=\"A1:XFD1048576\"/><sheetData><row r=\"1\"><c r=\"XFD1\"><v>7</v></c>"
      "</row></sheetData></worksheet>";
  Read r = MustRead(BuildXlsx({{"S", wide}}), "a.xlsx");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].cells.size(), 16384u);
  EXPECT_EQ(r.rows[0].cells.back(), "7");
  // A cell's text beyond the limit.
  ReaderOptions options;
  options.limits.max_cell_bytes = 1000;
  std::string long_cell =
      "<row><c t=\"inlineStr\"><is><t>" + std::string(5000, 'x') + "</t></is></c></row>";
  EXPECT_EQ(MustFail(BuildXlsx({{"S", SheetXml(long_cell)}}), "a.xlsx", options).code(),
            ErrorCode::kResourceExhausted);
}

TEST(XlsxReaderTest, AZipBombIsRefusedBeforeInflating) {
  uint32_t crc = 0;
  std::string zeros = testing::DeflatedZeros(1024, &crc);  // 1 GiB in about 1 MB
  auto entries = testing::XlsxEntries({{"S", SheetXml("")}});
  for (auto& e : entries) {
    if (e.name == "xl/worksheets/sheet1.xml") {
      e.raw_deflate = zeros;
      e.declared_size = uint64_t{1} << 30;
      e.declared_crc = crc;
    }
  }
  auto start = std::chrono::steady_clock::now();
  Error e = MustFail(BuildZip(entries), "a.xlsx");
  EXPECT_EQ(e.code(), ErrorCode::kResourceExhausted);
  EXPECT_THAT(e.message(), HasSubstr("to 1, which no spreadsheet needs"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(XlsxReaderTest, APartInflatingBeyondItsDeclaredSizeIsStopped) {
  uint32_t crc = 0;
  std::string zeros = testing::DeflatedZeros(512, &crc);
  auto entries = testing::XlsxEntries({{"S", SheetXml("")}});
  for (auto& e : entries) {
    if (e.name == "xl/worksheets/sheet1.xml") {
      e.raw_deflate = zeros;
      e.declared_size = 100000;  // a lie: 512 MiB come out
      e.declared_crc = crc;
    }
  }
  auto start = std::chrono::steady_clock::now();
  Error e = MustFail(BuildZip(entries), "a.xlsx");
  EXPECT_THAT(e.message(), ::testing::AnyOf(HasSubstr("zip bomb"), HasSubstr("damaged")));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(XlsxReaderTest, PartsAndTextTablesAreBounded) {
  ReaderOptions small;
  small.limits.max_part_bytes = 1 << 20;
  std::string rows;
  for (int i = 1; i <= 40000; ++i) {
    rows += "<row r=\"" + std::to_string(i) + "\"><c><v>" + std::to_string(i) + "</v></c></row>";
  }
  Error big = MustFail(BuildXlsx({{"S", SheetXml(rows)}}), "a.xlsx", small);
  EXPECT_EQ(big.code(), ErrorCode::kResourceExhausted);
  EXPECT_THAT(big.message(), HasSubstr("xl/worksheets/sheet1.xml"));

  ReaderOptions few;
  few.limits.max_shared_strings = 10;
  std::string sst = "<sst>";
  for (int i = 0; i < 20; ++i) sst += "<si><t>s" + std::to_string(i) + "</t></si>";
  sst += "</sst>";
  Error strings = MustFail(BuildXlsx({{"S", SheetXml("")}}, sst), "a.xlsx", few);
  EXPECT_THAT(strings.message(), HasSubstr("more than 10 distinct texts"));
}

TEST(XlsxReaderTest, ADamagedPackageSaysSo) {
  std::string xlsx = BuildXlsx({{"S", SheetXml("<row><c><v>1</v></c></row>")}});
  Error e = MustFail(xlsx.substr(0, xlsx.size() / 2), "a.xlsx");
  EXPECT_THAT(e.message(), HasSubstr("damaged"));
  EXPECT_THAT(e.message(), HasSubstr("save it again"));
  std::string bad_xml = BuildXlsx({{"S", "<worksheet><sheetData><row><c><v>1</c></row>"}});
  EXPECT_THAT(MustFail(bad_xml, "a.xlsx").message(), HasSubstr("not well-formed XML"));
}

// ------------------------------------------------------ XLS, XLSB

std::string U16(uint32_t v) {
  return std::string{static_cast<char>(v & 0xFF), static_cast<char>(v >> 8)};
}
std::string U32(uint32_t v) { return U16(v & 0xFFFF) + U16(v >> 16); }
std::string Cell(uint16_t row, uint16_t col) { return U16(row) + U16(col) + U16(0); }
std::string Compressed(const std::string& s) {
  return U16(static_cast<uint32_t>(s.size())) + '\0' + s;
}
std::string F64(double d) {
  std::string s(8, '\0');
  std::memcpy(s.data(), &d, 8);
  return s;
}

TEST(XlsReaderTest, Biff8CellsOfEveryKindRImp1) {
  using testing::BiffRecord;
  std::string societe_utf16 = U16(7) + '\x01';
  for (char16_t c : std::u16string(u"Société")) societe_utf16 += U16(c);
  std::string formula =
      Cell(1, 4) + std::string("\x00\x00\x00\x00\x00\x00\xFF\xFF", 8) + U16(0) + U32(0) + U16(0);
  std::string cells = BiffRecord(0x0204, Cell(0, 0) + Compressed("nom")) +
                      BiffRecord(0x0204, Cell(0, 1) + Compressed("montant")) +
                      BiffRecord(0x0204, Cell(1, 0) + societe_utf16) +
                      BiffRecord(0x027E, Cell(1, 1) + U32((1500u << 2) | 2)) +
                      BiffRecord(0x0203, Cell(1, 2) + F64(12.5)) +
                      BiffRecord(0x0205, Cell(1, 3) + std::string("\x01\x00", 2)) +
                      BiffRecord(0x0006, formula) + BiffRecord(0x0207, Compressed("abc")) +
                      BiffRecord(0x0203, Cell(3, 0) + F64(7));
  Read r = MustRead(testing::BuildXls("Clients", cells), "clients.xls");
  EXPECT_EQ(r.format.format, FileFormat::kXls);
  EXPECT_EQ(r.format.sheet, "Clients");
  EXPECT_EQ(CellsOf(r),
            (Cells{{"nom", "montant"}, {"Société", "1500", "12.5", "TRUE", "abc"}, {"7"}}));
  EXPECT_THAT(LinesOf(r), ElementsAre(1, 2, 4));
}

TEST(XlsReaderTest, PasswordProtectedWorkbooksAreRefusedRImp1) {
  std::string xls =
      testing::BuildXls("S", "", testing::BiffRecord(0x002F, std::string(54, '\x01')));
  EXPECT_THAT(MustFail(xls, "a.xls").message(), HasSubstr("password-protected"));
  // An encrypted XLSX is an OLE container with EncryptionInfo.
  std::string ooxml = testing::BuildCompoundFile(
      {{"EncryptionInfo", std::string(100, 'x')}, {"EncryptedPackage", std::string(100, 'y')}});
  Error e = MustFail(ooxml, "a.xlsx");
  EXPECT_THAT(e.message(), HasSubstr("password-protected: remove the password in Excel"));
}

TEST(XlsReaderTest, ADamagedContainerIsAnErrorNotACrash) {
  std::string xls = testing::BuildXls("S", testing::BiffRecord(0x0203, Cell(0, 0) + F64(1)));
  std::string bad = xls;
  bad[0x30] = '\x7F';  // the directory starts far beyond the file
  EXPECT_THAT(MustFail(bad, "a.xls").message(), HasSubstr("damaged"));
  std::string loop = xls;
  loop[0x200] = '\x00';  // FAT entry 0 (a FAT sector) now chains to itself
  loop[0x201] = loop[0x202] = loop[0x203] = '\x00';
  auto r = ReadBuffer(loop, "a.xls");  // must end, with or without an error
  (void)r;
  EXPECT_THAT(MustFail(testing::BuildCompoundFile({{"WordDocument", "x"}}), "a.xls").message(),
              HasSubstr("a Word document"));
}

TEST(XlsbReaderTest, BinaryRecordsOfEveryKindRImp1) {
  using testing::Biff12Record;
  auto wide = [](const std::string& s) {
    std::string w = U32(static_cast<uint32_t>(s.size()));
    for (unsigned char c : s) w += U16(c);
    return w;
  };
  auto cell = [](uint32_t col) { return U32(col) + U32(0); };
  std::string sst = Biff12Record(159, U32(1) + U32(1)) +
                    Biff12Record(19, std::string(1, '\0') + wide("Code")) + Biff12Record(160, "");
  std::string rows =
      Biff12Record(0, U32(0) + std::string(8, '\0')) + Biff12Record(7, cell(0) + U32(0)) +
      Biff12Record(6, cell(1) + wide("00123")) + Biff12Record(0, U32(1) + std::string(8, '\0')) +
      Biff12Record(2, cell(0) + U32((42u << 2) | 2)) + Biff12Record(5, cell(1) + F64(1.5)) +
      Biff12Record(4, cell(2) + '\x01') + Biff12Record(3, cell(3) + '\x2A') +
      Biff12Record(8, cell(4) + wide("ab") + std::string(6, '\0')) +
      Biff12Record(0, U32(2) + std::string(8, '\0')) +
      Biff12Record(1, cell(0));  // a blank row is skipped
  Read r = MustRead(testing::BuildXlsb(rows, sst), "a.xlsb");
  EXPECT_EQ(r.format.format, FileFormat::kXlsb);
  EXPECT_EQ(CellsOf(r), (Cells{{"Code", "00123"}, {"42", "1.5", "TRUE", "#N/A", "ab"}}));
}

// ------------------------------------------------- refusals (R-IMP-1)

TEST(OpenReaderTest, AppleNumbersIsRefusedWithTheWayOutRImp1) {
  std::string numbers = BuildZip({{"Index/Document.iwa", "x"}, {"Metadata/Properties.plist", "y"}});
  Error e = MustFail(numbers, "clients.numbers");
  EXPECT_EQ(e.message(),
            "Apple Numbers files cannot be imported: export to XLSX from Numbers (File > Export "
            "To > Excel) and import the exported file");
  // Whatever its name.
  EXPECT_THAT(MustFail(numbers, "clients.xlsx").message(), HasSubstr("Apple Numbers"));
}

TEST(OpenReaderTest, AFileThatIsNotWhatItsNameSaysIsRefusedRImp1) {
  EXPECT_THAT(MustFail("%PDF-1.7\n...", "clients.xlsx").message(),
              HasSubstr("this file is a PDF document, not a spreadsheet: export your data as "
                        "CSV or XLSX"));
  EXPECT_THAT(MustFail("nom;ville\nA;B\n", "clients.xlsx").message(),
              HasSubstr("named .xlsx but it is not an Excel workbook"));
  EXPECT_THAT(MustFail("<html><table><tr><td>1</td></tr></table></html>", "export.xls").message(),
              HasSubstr("a web page (HTML), not a real Excel workbook"));
  EXPECT_THAT(MustFail(BuildZip({{"word/document.xml", "<w/>"}}), "clients.xlsx").message(),
              HasSubstr("a Word document"));
  EXPECT_THAT(MustFail(BuildZip({{"mimetype", "application/vnd.oasis.opendocument.spreadsheet"}}),
                       "clients.xlsx")
                  .message(),
              HasSubstr("OpenDocument spreadsheets (.ods) cannot be imported"));
  EXPECT_THAT(MustFail(BuildZip({{"photo.jpg", "x"}}), "clients.zip").message(),
              HasSubstr("a ZIP archive, not a spreadsheet"));
  EXPECT_THAT(MustFail("", "clients.csv").message(), HasSubstr("the file is empty"));
}

TEST(OpenReaderTest, ASpreadsheetUnderAnotherExtensionIsReadByItsContent) {
  std::string xlsx = BuildXlsx({{"S", SheetXml("<row><c t=\"inlineStr\"><is><t>nom</t></is></c>"
                                               "</row>")}});
  Read r = MustRead(xlsx, "clients.xls");
  EXPECT_EQ(r.format.format, FileFormat::kXlsx);
  EXPECT_EQ(r.format.note, "the file is named .xls but its content is XLSX; it was read as XLSX");
  EXPECT_EQ(CellsOf(r), (Cells{{"nom"}}));
  Read csv = MustRead("nom;ville\nA;B\n", "clients.txt");
  EXPECT_EQ(csv.format.format, FileFormat::kCsv);
  EXPECT_TRUE(csv.format.note.empty());
}

// ------------------------------------------------ header (R-IMP-3)

OwnedRow R(int64_t line, std::vector<std::string> cells) { return {line, std::move(cells), ""}; }

TEST(CheckHeaderRowTest, AcceptsAHeaderOnTheFirstRowRImp3) {
  std::vector<OwnedRow> rows = {R(1, {"nom", "ville"}), R(2, {"A", "B"})};
  EXPECT_TRUE(CheckHeaderRow(rows, FileFormat::kXlsx).ok());
  std::vector<OwnedRow> one_column = {R(1, {"email"}), R(2, {"a@b.fr"})};
  EXPECT_TRUE(CheckHeaderRow(one_column, FileFormat::kCsv).ok());
}

TEST(CheckHeaderRowTest, RefusesBlankRowsAboveTheHeaderRImp3) {
  std::vector<OwnedRow> rows = {R(4, {"nom", "ville"}), R(5, {"A", "B"})};
  auto r = CheckHeaderRow(rows, FileFormat::kXlsx);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "the header must be on the first row, but rows 1 to 3 are empty (a title, a logo or "
            "blank rows above the table?): delete them so that the column names are on row 1, "
            "then import again");
}

TEST(CheckHeaderRowTest, RefusesATitleAboveTheTableRImp3) {
  std::vector<OwnedRow> rows = {R(1, {"Liste des clients 2024"}), R(2, {"nom", "ville", "pays"}),
                                R(3, {"A", "B", "C"})};
  auto r = CheckHeaderRow(rows, FileFormat::kXlsx);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(),
              HasSubstr("the first row looks like a title (\"Liste des clients 2024\"), not the "
                        "header"));
}

TEST(CheckHeaderRowTest, RefusesAnEmptyFileRImp3) {
  auto r = CheckHeaderRow({}, FileFormat::kCsv);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("the file is empty"));
}

// ------------------------------------------------------ cell text

std::string General(double v) {
  std::string s;
  AppendGeneralNumber(v, &s);
  return s;
}

TEST(CellFormatTest, NumbersReadAsExcelsGeneralFormatShowsThem) {
  EXPECT_EQ(General(40), "40");
  EXPECT_EQ(General(-3), "-3");
  EXPECT_EQ(General(1.27), "1.27");
  EXPECT_EQ(General(0.1 + 0.2), "0.3");
  EXPECT_EQ(General(41800000.009999998), "41800000.01");
  EXPECT_EQ(General(0.52562500000000001), "0.525625");
  EXPECT_EQ(General(0.00001), "0.00001");
  EXPECT_EQ(General(123456789012345), "123456789012345");
  EXPECT_EQ(General(1e20), "1E+20");
  EXPECT_EQ(General(1e21), "1E+21");
  EXPECT_EQ(General(1.5e-12), "1.5E-12");
  EXPECT_EQ(General(-8086931554011838357.0), "-8.08693155401184E+18");
}

std::string Render(double v, NumberKind kind, bool date1904 = false) {
  std::string s;
  AppendNumber(v, NumberFormat{kind, 0}, date1904, &s);
  return s;
}

TEST(CellFormatTest, SerialDatesBecomeIsoDates) {
  EXPECT_EQ(Render(1, NumberKind::kDate), "1900-01-01");
  EXPECT_EQ(Render(59, NumberKind::kDate), "1900-02-28");
  EXPECT_EQ(Render(61, NumberKind::kDate), "1900-03-01");
  EXPECT_EQ(Render(44197, NumberKind::kDate), "2021-01-01");
  EXPECT_EQ(Render(0, NumberKind::kDate, true), "1904-01-01");
  EXPECT_EQ(Render(42735, NumberKind::kDate, true), "2021-01-01");
  EXPECT_EQ(Render(44197.42372685185, NumberKind::kDateTime), "2021-01-01T10:10:10");
  EXPECT_EQ(Render(0.5, NumberKind::kTime), "12:00:00");
  EXPECT_EQ(Render(10.632060185185185, NumberKind::kElapsed), "255:10:10");
  EXPECT_EQ(Render(-5, NumberKind::kDate), "-5");  // not a date: the number
}

TEST(CellFormatTest, DateFormatsAreRecognisedFromTheirCode) {
  EXPECT_EQ(ClassifyNumberFormat(14, "").kind, NumberKind::kDate);
  EXPECT_EQ(ClassifyNumberFormat(22, "").kind, NumberKind::kDateTime);
  EXPECT_EQ(ClassifyNumberFormat(46, "").kind, NumberKind::kElapsed);
  EXPECT_EQ(ClassifyNumberFormat(2, "").kind, NumberKind::kGeneral);
  EXPECT_EQ(ClassifyNumberFormat(164, "dd/mm/yyyy").kind, NumberKind::kDate);
  EXPECT_EQ(ClassifyNumberFormat(164, "[$-40C]d mmmm yyyy;@").kind, NumberKind::kDate);
  EXPECT_EQ(ClassifyNumberFormat(164, "hh:mm").kind, NumberKind::kTime);
  EXPECT_EQ(ClassifyNumberFormat(164, "[h]:mm:ss").kind, NumberKind::kElapsed);
  EXPECT_EQ(ClassifyNumberFormat(164, "[Red]0.00\" days\"").kind, NumberKind::kGeneral);
  EXPECT_EQ(ClassifyNumberFormat(164, "0.00E+00").kind, NumberKind::kGeneral);
  EXPECT_EQ(ClassifyNumberFormat(164, "General").kind, NumberKind::kGeneral);
  NumberFormat zip = ClassifyNumberFormat(164, "00000");
  EXPECT_EQ(zip.kind, NumberKind::kZeroPadded);
  EXPECT_EQ(zip.width, 5);
}

}  // namespace
}  // namespace relance::imports
