// The readers on input no one here wrote: every CSV and spreadsheet of the
// third-party corpus (csv-spectrum, DuckDB's and csvkit's CSV cases,
// calamine's and csvkit's workbooks) against the expectations stored beside
// them (shared/corpus/*/expected.json, csv-spectrum's json/ answers).
// R-IMP-1 (formats), R-IMP-2 (CSV dialects, wrong field counts by line),
// R-IMP-3 (header on the first row, refusals).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "imports/readers/row_reader.h"
#include "imports/test_files.h"

namespace relance::imports {
namespace {

using ::testing::HasSubstr;
using Grid = std::vector<std::vector<std::string>>;
using Json = nlohmann::ordered_json;

Json LoadJson(const std::string& path) {
  std::ifstream f(path);
  if (!f) return Json();
  return Json::parse(f);
}

struct CorpusCase {
  std::string folder;  // csv-spectrum, duckdb-csv, csvkit, calamine
  std::string file;    // path inside the folder
};

std::vector<CorpusCase> AllCases() {
  std::vector<CorpusCase> cases;
  const std::string dir = testing::CorpusDir();
  for (const char* folder : {"duckdb-csv", "csvkit", "calamine"}) {
    Json expected = LoadJson(dir + "/" + folder + "/expected.json");
    if (!expected.is_object()) continue;
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      cases.push_back({folder, it.key()});
    }
  }
  std::error_code ec;
  std::vector<std::string> spectrum;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/csv-spectrum/csvs", ec)) {
    std::string name = e.path().stem().string();
    if (std::filesystem::exists(dir + "/csv-spectrum/json/" + name + ".json")) {
      spectrum.push_back("csvs/" + e.path().filename().string());
    }
  }
  std::sort(spectrum.begin(), spectrum.end());
  for (auto& f : spectrum) cases.push_back({"csv-spectrum", f});
  return cases;
}

void PrintTo(const CorpusCase& c, std::ostream* os) { *os << c.folder << "/" << c.file; }

std::string CaseName(const ::testing::TestParamInfo<CorpusCase>& info) {
  std::string n = info.param.folder + "_" + info.param.file;
  for (char& c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return n;
}

std::string Path(const CorpusCase& c) {
  return testing::CorpusDir() + "/" + c.folder + "/" + c.file;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The text a reader must give for an expected value: null -> "", booleans
// as Excel shows them, numbers as General, annotated dates
// ("2021-01-01 (date; serial 44197)") as ISO 8601, durations as h:mm:ss.
std::string ExpectedText(const Json& v) {
  if (v.is_null()) return "";
  if (v.is_boolean()) return v.get<bool>() ? "TRUE" : "FALSE";
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) {
    double d = v.get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d)))
      return std::to_string(static_cast<int64_t>(d));
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, r.ptr);
  }
  std::string s = v.get<std::string>();
  static const std::regex duration(R"(^duration .* = (\d+:\d\d:\d\d).*$)");
  static const std::regex annotated(R"(^([0-9T:\- ]+?) \(.*\)$)");
  static const std::regex spaced(R"(^(\d{4}-\d\d-\d\d) (\d\d:\d\d)(:\d\d)?$)");
  std::smatch m;
  if (std::regex_match(s, m, duration)) return m[1];
  if (std::regex_match(s, m, annotated)) s = m[1];
  if (std::regex_match(s, m, spaced)) {
    return m[1].str() + "T" + m[2].str() + (m[3].matched ? m[3].str() : ":00");
  }
  return s;
}

void TrimGrid(Grid* g) {
  for (auto& row : *g) {
    while (!row.empty() && row.back().empty()) row.pop_back();
  }
  while (!g->empty() && g->back().empty()) g->pop_back();
}

Grid ExpectedGrid(const Json& rows) {
  Grid g;
  for (const auto& row : rows) {
    std::vector<std::string> r;
    for (const auto& v : row) r.push_back(ExpectedText(v));
    g.push_back(std::move(r));
  }
  TrimGrid(&g);
  return g;
}

std::unique_ptr<RowReader> Open(const std::string& path, const std::string& sheet = "") {
  ReaderOptions options;
  options.sheet = sheet;
  auto r = OpenReader(path, options);
  EXPECT_TRUE(r.ok()) << path << ": " << (r.ok() ? "" : r.error().ToString());
  if (!r.ok()) return nullptr;
  return std::move(r).value();
}

std::vector<OwnedRow> ReadAll(RowReader& reader) {
  auto rows = ReadRows(reader, 10'000'000);
  EXPECT_TRUE(rows.ok()) << (rows.ok() ? "" : rows.error().ToString());
  return rows.ok() ? *rows : std::vector<OwnedRow>{};
}

// The sheet as a grid: row n of the sheet at index n-1.
Grid ReadGrid(const std::string& path, const std::string& sheet) {
  auto reader = Open(path, sheet);
  Grid g;
  if (!reader) return g;
  for (const auto& row : ReadAll(*reader)) {
    if (row.line > static_cast<int64_t>(g.size())) g.resize(static_cast<size_t>(row.line));
    g[static_cast<size_t>(row.line - 1)] = row.cells;
  }
  TrimGrid(&g);
  return g;
}

// R-IMP-3: the file is refused, at opening or by the header check.
std::string RefusalMessage(const std::string& path, const std::string& sheet = "") {
  ReaderOptions options;
  options.sheet = sheet;
  auto r = OpenReader(path, options);
  if (!r.ok()) return r.error().message();
  auto rows = ReadRows(**r, 10);
  if (!rows.ok()) return rows.error().message();
  auto check = CheckHeaderRow(*rows, (*r)->format().format);
  if (!check.ok()) return check.error().message();
  return "";
}

std::vector<std::vector<std::string>> Records(const Json& records) {
  std::vector<std::vector<std::string>> out;
  for (const auto& rec : records) {
    std::vector<std::string> cells;
    bool any = false;
    for (const auto& v : rec) {
      cells.push_back(v.get<std::string>());
      any = any || !cells.back().empty();
    }
    if (any) out.push_back(std::move(cells));  // readers skip rows with no text
  }
  return out;
}

std::vector<std::vector<std::string>> Cells(const std::vector<OwnedRow>& rows) {
  std::vector<std::vector<std::string>> out;
  for (const auto& r : rows) out.push_back(r.cells);
  return out;
}

class CorpusTest : public ::testing::TestWithParam<CorpusCase> {
 protected:
  Json Expected() const {
    Json all = LoadJson(testing::CorpusDir() + "/" + GetParam().folder + "/expected.json");
    return all[GetParam().file];
  }
  void RunCsv(const Json& e);
  void RunSpectrum();
  void RunSpreadsheet(const Json& e);
};

void CorpusTest::RunSpectrum() {
  // R-IMP-2: RFC 4180 acid tests.
  const std::string path = Path(GetParam());
  std::string stem = std::filesystem::path(path).stem().string();
  Json answer = LoadJson(testing::CorpusDir() + "/csv-spectrum/json/" + stem + ".json");
  ASSERT_TRUE(answer.is_array() && !answer.empty());
  std::vector<std::vector<std::string>> expected;
  std::vector<std::string> header;
  for (auto it = answer[0].begin(); it != answer[0].end(); ++it) header.push_back(it.key());
  expected.push_back(header);
  for (const auto& obj : answer) {
    std::vector<std::string> row;
    for (const auto& h : header) row.push_back(obj[h].get<std::string>());
    expected.push_back(row);
  }
  auto reader = Open(path);
  ASSERT_TRUE(reader);
  auto rows = ReadAll(*reader);
  EXPECT_EQ(Cells(rows), expected);
  EXPECT_EQ(reader->issue_count(), 0u);
  EXPECT_TRUE(CheckHeaderRow(rows, FileFormat::kCsv).ok());
}

void CorpusTest::RunCsv(const Json& e) {
  const std::string path = Path(GetParam());
  const std::string file = GetParam().file;
  const std::string expectation = e.value("expected", "");

  if (!e.contains("records") && !e.contains("records_rfc4180") &&
      expectation.find("refuse") != std::string::npos) {
    // Empty files (R-IMP-3): refused with a message saying so.
    EXPECT_THAT(RefusalMessage(path), HasSubstr("empty"));
    return;
  }
  if (EndsWith(file, "test/invalid_utf.csv")) {
    // Not UTF-8: read as Windows-1252, as the expectation allows.
    auto reader = Open(path);
    ASSERT_TRUE(reader);
    EXPECT_EQ(Cells(ReadAll(*reader)),
              (std::vector<std::vector<std::string>>{{"042", "42", "\u00e2\u201a("}}));
    EXPECT_EQ(reader->format().encoding, "Windows-1252");
    return;
  }
  if (EndsWith(file, "unescaped_quotes/unescaped_quote.csv")) {
    // Lenient read as DuckDB does, and every row flagged with its line.
    auto reader = Open(path);
    ASSERT_TRUE(reader);
    auto rows = ReadAll(*reader);
    ASSERT_EQ(rows.size(), 6u);
    for (size_t i = 0; i < rows.size(); ++i) {
      std::string name = i == 2 ? "pedro \"pdet\" ho;landa" : "pedro \"pdet\" holanda";
      EXPECT_EQ(rows[i].cells, (std::vector<std::string>{std::to_string(i + 1), name}));
      EXPECT_EQ(rows[i].line, static_cast<int64_t>(i + 1));
      EXPECT_THAT(rows[i].problem, HasSubstr("line " + std::to_string(i + 1)));
    }
    return;
  }

  auto reader = Open(path);
  ASSERT_TRUE(reader);
  if (e.contains("delimiter")) {
    EXPECT_EQ(std::string(1, reader->format().separator), e["delimiter"].get<std::string>());
  }
  auto rows = ReadAll(*reader);
  if (e.contains("records")) {
    EXPECT_EQ(Cells(rows), Records(e["records"]));
    EXPECT_EQ(reader->issue_count(), 0u) << reader->issues().front().message;
    return;
  }
  ASSERT_TRUE(e.contains("records_rfc4180"));
  EXPECT_EQ(Cells(rows), Records(e["records_rfc4180"]));
  // R-IMP-2: every line whose field count differs from the header's is
  // reported, by line number (no record of these files spans lines).
  const auto& counts = e["fields_per_record"];
  int header = 0;
  std::set<int64_t> expected_lines;
  for (size_t i = 0; i < counts.size(); ++i) {
    int n = counts[i].get<int>();
    if (n == 0) continue;  // a blank line
    if (header == 0) {
      header = n;
      continue;
    }
    bool all_empty = true;
    for (const auto& v : e["records_rfc4180"][i])
      all_empty = all_empty && v.get<std::string>().empty();
    if (n != header && !all_empty) expected_lines.insert(static_cast<int64_t>(i + 1));
  }
  std::set<int64_t> reported;
  for (const auto& r : rows) {
    if (!r.problem.empty()) {
      reported.insert(r.line);
      EXPECT_THAT(r.problem, HasSubstr("line " + std::to_string(r.line)));
    }
  }
  EXPECT_EQ(reported, expected_lines);
  EXPECT_EQ(reader->issue_count(), expected_lines.size());
  if (expectation.rfind("refuse", 0) == 0) {
    // A title line above the header (R-IMP-3's CSV analogue).
    EXPECT_THAT(RefusalMessage(path), HasSubstr("title"));
  }
  if (EndsWith(file, "skip_row.csv")) {
    EXPECT_THAT(RefusalMessage(path), HasSubstr("title"));
  }
  if (EndsWith(file, "test_skip_lines.csv")) {
    EXPECT_THAT(RefusalMessage(path), HasSubstr("lines 1 to 3 are empty"));
  }
}

void CorpusTest::RunSpreadsheet(const Json& e) {
  const std::string path = Path(GetParam());
  const std::string file = GetParam().file;
  const std::string expectation = e.value("expected_import", "");

  if (expectation.find("refuse") != std::string::npos || expectation.find("R-IMP-3") == 0) {
    std::string message = RefusalMessage(path);
    if (expectation.find("password") != std::string::npos) {
      EXPECT_THAT(message, HasSubstr("password-protected"));
      EXPECT_THAT(message, HasSubstr("remove the password"));
    } else if (expectation.find("R-IMP-3") != std::string::npos) {
      EXPECT_THAT(message, HasSubstr("the header must be on the first row"));
      EXPECT_THAT(message, HasSubstr("are empty"));
    } else if (expectation.find("no data") != std::string::npos) {
      EXPECT_THAT(message, HasSubstr("empty"));
    } else {
      EXPECT_THAT(message, HasSubstr("not an Excel workbook"));
    }
    if (!e.contains("cells") && !e.contains("sheets")) return;
  }

  std::unique_ptr<RowReader> reader = Open(path);
  ASSERT_TRUE(reader);
  const auto& sheets = reader->format().sheets;
  auto names = [&] {
    std::vector<std::string> n;
    for (const auto& s : sheets) n.push_back(s.name);
    return n;
  };
  if (e.contains("sheets_in_order")) {
    EXPECT_EQ(names(), e["sheets_in_order"].get<std::vector<std::string>>());
  }
  if (e.contains("sheets")) {
    std::vector<std::string> expected_names;
    for (const auto& s : e["sheets"]) expected_names.push_back(s["name"].get<std::string>());
    ASSERT_EQ(names(), expected_names);
    for (size_t i = 0; i < sheets.size(); ++i) {
      const Json& s = e["sheets"][i];
      SCOPED_TRACE(sheets[i].name);
      std::string state = s["state"].get<std::string>();
      EXPECT_EQ(sheets[i].state, state == "hidden"       ? SheetState::kHidden
                                 : state == "veryHidden" ? SheetState::kVeryHidden
                                                         : SheetState::kVisible);
      if (s.contains("type")) {
        EXPECT_EQ(sheets[i].kind, SheetKind::kChartsheet);
        ReaderOptions o;
        o.sheet = sheets[i].name;
        auto r = OpenReader(path, o);
        ASSERT_FALSE(r.ok());
        EXPECT_THAT(r.error().message(), HasSubstr("chart"));
        continue;
      }
      EXPECT_EQ(ReadGrid(path, sheets[i].name), ExpectedGrid(s["rows"]));
    }
    // Hidden sheets are never picked silently: the default is the first
    // visible worksheet.
    EXPECT_EQ(reader->format().sheet, "Visible");
  }

  if (file == "tests/merged_range.xls") {
    Json twin =
        LoadJson(testing::CorpusDir() + "/calamine/expected.json")["tests/merged_range.xlsx"];
    for (auto it = twin["cells"].begin(); it != twin["cells"].end(); ++it) {
      EXPECT_EQ(ReadGrid(path, it.key()), ExpectedGrid(it.value())) << it.key();
    }
    return;
  }
  if (file == "tests/capitalized_wbook_stream.xls" || file == "tests/issue127.xls" ||
      file == "tests/issue127.xlsb" || file == "tests/issue127.xlsx") {
    // Empty sheets open; the first being empty, the reader asks which one.
    auto row = reader->Next();
    if (sheets.size() == 1) {
      ASSERT_TRUE(row.ok());
      EXPECT_FALSE(*row);
    } else {
      ASSERT_FALSE(row.ok());
      EXPECT_THAT(row.error().message(), HasSubstr("choose the sheet"));
    }
    return;
  }
  if (file == "tests/minimal_package.xlsx") {
    EXPECT_EQ(ReadGrid(path, "Sheet1").at(2).at(0), "BKG_NUM");
    return;
  }
  if (file == "tests/sst_continue.xls") {
    Grid g = ReadGrid(path, "");
    ASSERT_EQ(g.size(), 136u);
    EXPECT_EQ(g[0], std::vector<std::string>{
                        "This is a long string with a serial number at the end 0001"});
    EXPECT_EQ(g[135], std::vector<std::string>{"New CONTINUE block"});
    return;
  }
  if (file == "tests/strict_iso_paths.xlsx") {
    Grid g = ReadGrid(path, "");
    ASSERT_GE(g.size(), 2u);
    EXPECT_EQ(g[0].size(), 18u);
    EXPECT_EQ(g[0][0], "Item");
    EXPECT_EQ(g[0][17], "GoldenRun");
    EXPECT_EQ(g[1][0], "150-031260-001_B");
    EXPECT_EQ(g[1][1], "1.5");
    return;
  }
  if (file == "tests/temperature-in-middle.xlsx") {
    Grid g = ReadGrid(path, "");
    Grid expected = {
        {}, {}, {}, {"", "label", "value"}, {"", "celsius", "22.2222"}, {"", "fahrenheit", "72"}};
    EXPECT_EQ(g, expected);
    return;
  }
  if (file == "tests/encoded_entities.xlsx") {
    // A2 is a lone newline (&#xA;): kept as stored, blank once trimmed.
    Grid g = ReadGrid(path, "");
    ASSERT_EQ(g.size(), 2u);
    EXPECT_EQ(g[0], std::vector<std::string>{"&"});
    EXPECT_EQ(g[1], std::vector<std::string>{"\n"});
    return;
  }
  if (file == "tests/whitespace_trim.xlsx") {
    // Text is kept as stored; the import trims. These are the values once
    // trimmed, as the expectation states.
    auto trim = [](std::string s) {
      size_t b = s.find_first_not_of(" \t\r\n");
      if (b == std::string::npos) return std::string();
      return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
    };
    Grid g = ReadGrid(path, "inlineStr");
    ASSERT_GE(g.size(), 3u);
    EXPECT_EQ(trim(g[0][0]), "trimmed value");
    EXPECT_EQ(trim(g[0][1]), "value with tabs");
    EXPECT_EQ(trim(g[0][3]), "clean text");
    EXPECT_EQ(trim(g[1][0]), "line1\nline2");
    EXPECT_EQ(g[1][1], "  line1\nline2  ");
    EXPECT_EQ(g[2][0], "日期 时间");
    Grid s = ReadGrid(path, "SharedStrings");
    ASSERT_GE(s.size(), 1u);
    EXPECT_EQ(trim(s[0][0]), "trimmed value");
    EXPECT_EQ(s[0][1], "  preserved value  ");
    EXPECT_EQ(s[0][3], "clean text");
    return;
  }
  if (file == "examples/sheets.xls" || file == "examples/sheets.xlsx") {
    // The first sheet is empty: the import must not silently import nothing.
    auto row = reader->Next();
    ASSERT_FALSE(row.ok());
    EXPECT_THAT(row.error().message(), HasSubstr("\"not this one\", is empty"));
    EXPECT_THAT(row.error().message(), HasSubstr("\"data\""));
    Json csvkit = LoadJson(testing::CorpusDir() + "/csvkit/expected.json");
    EXPECT_EQ(ReadGrid(path, "data"), ExpectedGrid(csvkit["examples/test.xls"]["cells"]));
    EXPECT_EQ(ReadGrid(path, "ʤ"), ExpectedGrid(csvkit["examples/dummy.xls"]["cells"]));
    return;
  }
  if (file == "tests/issue_530.xlsx") {
    EXPECT_FALSE(ReadGrid(path, "").empty());
    return;
  }

  if (e.contains("cells")) {
    const Json& cells = e["cells"];
    if (cells.is_array()) {
      EXPECT_EQ(ReadGrid(path, ""), ExpectedGrid(cells));
    } else {
      ASSERT_TRUE(cells.is_object()) << "unhandled expectation: " << cells.dump();
      for (auto it = cells.begin(); it != cells.end(); ++it) {
        ASSERT_TRUE(it.value().is_array()) << "unhandled expectation: " << it.value().dump();
        Grid actual = ReadGrid(path, it.key());
        Grid expected = ExpectedGrid(it.value());
        if (file == "tests/date_iso.xlsx" && actual.size() > expected.size()) {
          actual.resize(expected.size());  // the expectation lists the first rows only
        }
        EXPECT_EQ(actual, expected) << "sheet " << it.key();
      }
    }
  }
}

TEST_P(CorpusTest, MatchesExpectation) {
  const CorpusCase& c = GetParam();
  ASSERT_TRUE(std::filesystem::exists(Path(c))) << Path(c);
  if (c.folder == "csv-spectrum") return RunSpectrum();
  Json e = Expected();
  if (EndsWith(c.file, ".csv")) return RunCsv(e);
  RunSpreadsheet(e);
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusTest, ::testing::ValuesIn(AllCases()), CaseName);

// The corpus must be there: a missing folder would silently test nothing.
TEST(CorpusCoverage, EveryImportFileOfTheCorpusIsTested) {
  auto cases = AllCases();
  size_t csv = 0, sheets = 0;
  for (const auto& c : cases) (EndsWith(c.file, ".csv") ? csv : sheets)++;
  EXPECT_EQ(csv, 11u + 49u + 20u);  // csv-spectrum, duckdb-csv, csvkit CSVs
  EXPECT_EQ(sheets, 56u + 8u);      // calamine, csvkit workbooks
}

}  // namespace
}  // namespace relance::imports
