// libFuzzer target: the XLS reader. An OLE2 input is the whole file (the
// compound-file parser is fuzzed too); any other input becomes the
// "Workbook" stream (BIFF records) of a generated container.
#include "fuzz/fuzz_common.h"
#include "imports/test_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.substr(0, 4) == "\xD0\xCF\x11\xE0") {
    relance::imports::fuzz::ReadEverything(in, "input.xls");
    return 0;
  }
  if (size > 1 << 20) return 0;
  std::string xls = relance::imports::testing::BuildCompoundFile({{"Workbook", std::string(in)}});
  relance::imports::fuzz::ReadEverything(xls, "input.xls");
  return 0;
}
