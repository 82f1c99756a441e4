// libFuzzer target: the CSV reader (encodings, separators, quotes).
#include "fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  relance::imports::fuzz::ReadEverything(
      std::string_view(reinterpret_cast<const char*>(data), size), "input.csv");
  return 0;
}
