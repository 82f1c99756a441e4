// libFuzzer target: the XLSB reader. A ZIP input is the whole file; any
// other input becomes the records of the single sheet of a small package.
#include "fuzz/fuzz_common.h"
#include "imports/test_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.substr(0, 2) == "PK") {
    relance::imports::fuzz::ReadEverything(in, "input.xlsb");
    return 0;
  }
  std::string xlsb = relance::imports::testing::BuildXlsb(
      std::string(in),
      relance::imports::testing::Biff12Record(19, std::string("\0\1\0\0\0a\0", 7)));
  relance::imports::fuzz::ReadEverything(xlsb, "input.xlsb");
  return 0;
}
