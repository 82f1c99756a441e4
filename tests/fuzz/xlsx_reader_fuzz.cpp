// libFuzzer target: the XLSX reader. An input that is a ZIP is read as the
// whole file; any other input becomes the worksheet XML of a small package
// (so the XML and cell code is reached without a valid ZIP each time).
#include "fuzz/fuzz_common.h"
#include "imports/test_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.substr(0, 2) == "PK") {
    relance::imports::fuzz::ReadEverything(in, "input.xlsx");
    return 0;
  }
  static const std::string sst =
      "<sst><si><t>a</t></si><si><r><t>b</t></r><rPh><t>c</t></rPh></si></sst>";
  static const std::string styles =
      "<styleSheet><numFmts><numFmt numFmtId=\"164\" formatCode=\"00000\"/></numFmts>"
      "<cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/><xf numFmtId=\"164\"/>"
      "<xf numFmtId=\"46\"/></cellXfs></styleSheet>";
  std::string xlsx = relance::imports::testing::BuildXlsx({{"S", std::string(in)}}, sst, styles);
  relance::imports::fuzz::ReadEverything(xlsx, "input.xlsx");
  return 0;
}
