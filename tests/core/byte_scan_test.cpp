// core/byte_scan.h: the searches (16 bytes at a time on x86-64, and the
// portable word-at-a-time ones) find the same byte as a byte-by-byte search,
// whatever the bytes, the alignment and the length.
#include "core/byte_scan.h"

#include <gtest/gtest.h>

#include <string>

#include "core/prng.h"

namespace relance {
namespace {

template <typename Special>
size_t Naive(std::string_view s, size_t from, Special is_special) {
  for (size_t i = from; i < s.size(); ++i) {
    if (is_special(static_cast<unsigned char>(s[i]))) return i;
  }
  return std::string_view::npos;
}

bool CopySpecial(unsigned char c) { return c == '\\' || c == '\t' || c == '\n' || c == '\r'; }
bool JsonSpecial(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }
bool NotPlain(unsigned char c) { return c < 0x20 || c >= 0x7f || c == '"' || c == '\\'; }

// Every byte value alone at every position of texts up to 24 bytes long,
// the rest filled with every other byte value in turn: the word tests have
// no blind spot (borrows between bytes, bytes above 0x7F).
TEST(ByteScan, EachByteIsFoundAtEveryPositionAmongEveryOtherByte) {
  for (int special = 0; special < 256; ++special) {
    for (int filler = 0; filler < 256; ++filler) {
      for (size_t len : {1u, 7u, 8u, 9u, 15u, 16u, 17u, 24u, 31u, 32u, 33u}) {
        for (size_t at = 0; at < len; at += (len > 9 ? 5 : 1)) {
          std::string s(len, static_cast<char>(filler));
          s[at] = static_cast<char>(special);
          ASSERT_EQ(FindCopySpecial(s, 0), Naive(s, 0, CopySpecial))
              << "byte " << special << " among " << filler << " at " << at << " of " << len;
          ASSERT_EQ(FindJsonSpecial(s, 0), Naive(s, 0, JsonSpecial))
              << "byte " << special << " among " << filler << " at " << at << " of " << len;
          ASSERT_EQ(IsPlainJsonAscii(s), Naive(s, 0, NotPlain) == std::string_view::npos)
              << "byte " << special << " among " << filler << " at " << at << " of " << len;
          ASSERT_EQ(byte_scan::portable::FindCopySpecial(s, 0), Naive(s, 0, CopySpecial));
          ASSERT_EQ(byte_scan::portable::FindJsonSpecial(s, 0), Naive(s, 0, JsonSpecial));
          ASSERT_EQ(byte_scan::portable::IsPlainJsonAscii(s),
                    Naive(s, 0, NotPlain) == std::string_view::npos);
        }
      }
    }
  }
}

// Random texts, mostly plain with a few specials, searched from every
// starting offset as the writers do after each escape.
TEST(ByteScan, RandomTextsFromEveryOffset) {
  Prng prng(20261205);
  for (int round = 0; round < 2000; ++round) {
    std::string s(static_cast<size_t>(prng.Between(0, 70)), ' ');
    for (char& c : s) {
      c = prng.Percent(5) ? static_cast<char>(prng.Between(0, 255))
                          : static_cast<char>(prng.Between(0x20, 0x7E));
    }
    for (size_t from = 0; from <= s.size(); ++from) {
      ASSERT_EQ(FindCopySpecial(s, from), Naive(s, from, CopySpecial)) << round << " " << from;
      ASSERT_EQ(FindJsonSpecial(s, from), Naive(s, from, JsonSpecial)) << round << " " << from;
      ASSERT_EQ(IsPlainJsonAscii(s.substr(from)), Naive(s, from, NotPlain) == std::string_view::npos)
          << round << " " << from;
      ASSERT_EQ(byte_scan::portable::FindCopySpecial(s, from), Naive(s, from, CopySpecial));
      ASSERT_EQ(byte_scan::portable::FindJsonSpecial(s, from), Naive(s, from, JsonSpecial));
    }
  }
}

}  // namespace
}  // namespace relance
