// The readers' SIMD kernels (imports/readers/simd_scan.h): every version this
// processor runs gives the answers of a byte-by-byte reference, and the CSV
// reader and the UTF-8 check read the same through each of them.
#include "imports/readers/simd_scan.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "imports/readers/row_reader.h"
#include "imports/readers/text_decoder.h"

namespace relance::imports {
namespace {

using simd::Level;

std::vector<Level> SupportedLevels() {
  std::vector<Level> levels;
  for (Level level : {Level::kSse2, Level::kAvx2}) {
    if (simd::Supports(level)) levels.push_back(level);
  }
  return levels;
}

const char* NameOf(Level level) { return level == Level::kAvx2 ? "AVX2" : "SSE2"; }

// Restores the widest kernels when a test that chose others ends.
class SimdScanTest : public ::testing::Test {
 protected:
  void TearDown() override {
    simd::UseKernelsForTesting(simd::Supports(Level::kAvx2) ? Level::kAvx2 : Level::kSse2);
  }
};

// Random text over `alphabet`.
std::string RandomText(std::mt19937& rng, size_t size, std::string_view alphabet) {
  std::string s(size, '\0');
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  for (char& c : s) c = alphabet[pick(rng)];
  return s;
}

TEST_F(SimdScanTest, BlockMasksOfEveryLevelAreTheBytesSeparatorsLineBreaksAndQuotes) {
  std::mt19937 rng(1);
  const std::string alphabet = std::string("ab;,|\t\n\r\"\x80\xC3\xFF", 12) + '\0';
  for (Level level : SupportedLevels()) {
    for (char sep : {';', ',', '|', '\t'}) {
      for (size_t blocks : {1u, 3u, 16u}) {
        const std::string text = RandomText(rng, 64 * blocks, alphabet);
        std::vector<simd::BlockMasks> masks(blocks);
        simd::KernelsOf(level).block_masks(text.data(), blocks, sep, masks.data());
        for (size_t b = 0; b < blocks; ++b) {
          simd::BlockMasks want;
          for (size_t i = 0; i < 64; ++i) {
            const char c = text[64 * b + i];
            const bool line = c == '\n' || c == '\r';
            want.lines |= uint64_t{line} << i;
            want.ends |= uint64_t{line || c == sep} << i;
            want.quotes |= uint64_t{c == '"'} << i;
          }
          EXPECT_EQ(masks[b].ends, want.ends) << NameOf(level) << " block " << b;
          EXPECT_EQ(masks[b].lines, want.lines) << NameOf(level) << " block " << b;
          EXPECT_EQ(masks[b].quotes, want.quotes) << NameOf(level) << " block " << b;
        }
      }
    }
  }
}

// Whether `s` is ASCII and valid two-byte UTF-8 sequences only.
bool AsciiAndPairsOnly(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) continue;
    if (c < 0xC2 || c > 0xDF || i + 1 >= s.size()) return false;
    const auto next = static_cast<unsigned char>(s[++i]);
    if (next < 0x80 || next > 0xBF) return false;
  }
  return true;
}

TEST_F(SimdScanTest, SkipStopsOnlyAtAByteThatIsNeitherAsciiNorAPair) {
  std::mt19937 rng(2);
  // Mostly ASCII and "é", with a lone lead, a lone continuation, a
  // three-byte sequence's lead, and invalid bytes now and then.
  const std::string alphabet = "abcdefghij;\n\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xE2\x80\xFF";
  for (Level level : SupportedLevels()) {
    for (int round = 0; round < 3000; ++round) {
      std::uniform_int_distribution<size_t> size(0, 200);
      const std::string text = RandomText(rng, size(rng), alphabet);
      const auto* p = reinterpret_cast<const unsigned char*>(text.data());
      const size_t from = text.empty() ? 0 : size(rng) % text.size();
      bool pairs = false;
      const size_t stop = simd::KernelsOf(level).skip_ascii_and_pairs(p, from, text.size(), &pairs);
      ASSERT_GE(stop, from);
      ASSERT_LE(stop, text.size());
      const std::string_view skipped = std::string_view(text).substr(from, stop - from);
      EXPECT_TRUE(AsciiAndPairsOnly(skipped)) << NameOf(level) << " round " << round;
      EXPECT_TRUE(stop == text.size() || p[stop] >= 0x80) << NameOf(level) << " round " << round;
    }
  }
}

// The reference: each sequence checked byte by byte (RFC 3629).
bool ReferenceUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = 1;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return false;
    }
    i += len;
  }
  return true;
}

TEST_F(SimdScanTest, Utf8CheckAgreesWithTheReferenceThroughEveryLevel) {
  std::mt19937 rng(3);
  // Whole characters of one to four bytes, and now and then a piece that is
  // not one: a lone lead or continuation, an overlong form, a surrogate.
  const std::vector<std::string> valid = {
      "a", "b", " ", ";", "\xC3\xA9", "\xC3\xA8", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"};
  const std::vector<std::string> broken = {"\xC3",         "\xA9", "\xC0\x80",
                                           "\xED\xA0\x80", "\xFF", "\xF4\x90\x80\x80"};
  for (Level level : SupportedLevels()) {
    simd::UseKernelsForTesting(level);
    int accepted = 0;
    for (int round = 0; round < 5000; ++round) {
      std::string text;
      const size_t pieces = rng() % 60;
      for (size_t i = 0; i < pieces; ++i) {
        text += rng() % 50 == 0 ? broken[rng() % broken.size()] : valid[rng() % valid.size()];
      }
      ASSERT_EQ(IsValidUtf8(text), ReferenceUtf8(text)) << NameOf(level) << " round " << round;
      accepted += ReferenceUtf8(text);
    }
    EXPECT_GT(accepted, 1000);  // both answers are tested
    EXPECT_LT(accepted, 4000);
  }
}

// A CSV file with what the masks and the UTF-8 check look for at every
// offset: separators, quotes, quoted line breaks, accents, an invalid byte.
std::string MixedCsv() {
  std::string s = "Nom;Ville;Note\r\n";
  std::mt19937 rng(4);
  const std::string alphabet = "abcdefgh \xC3\xA9\xC3\xA8;;\"\n,|\t";
  for (int n = 0; n < 3000; ++n) {
    for (int k = 0; k < 3; ++k) {
      std::string value = RandomText(rng, rng() % 40, alphabet);
      if (value.find_first_of(";\"\n") != std::string::npos) {
        std::string quoted = "\"";
        for (char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        value = quoted + "\"";
      }
      if (n % 997 == 5 && k == 1) value += '\xFF';
      s += value + (k < 2 ? ";" : (n % 2 ? "\n" : "\r\n"));
    }
  }
  return s;
}

struct ReadBack {
  std::vector<OwnedRow> rows;
  std::vector<ReadIssue> issues;
};

ReadBack ReadCsv(const std::string& data) {
  ReadBack out;
  auto reader = OpenReaderFromBuffer(data, "mixed.csv", {});
  EXPECT_TRUE(reader.ok());
  if (!reader.ok()) return out;
  auto rows = ReadRows(**reader, 1'000'000);
  EXPECT_TRUE(rows.ok());
  if (rows.ok()) out.rows = std::move(*rows);
  out.issues = (*reader)->issues();
  return out;
}

TEST_F(SimdScanTest, TheCsvReaderReadsTheSameThroughEveryLevel) {
  const std::string csv = MixedCsv();
  simd::UseKernelsForTesting(Level::kSse2);
  const ReadBack want = ReadCsv(csv);
  ASSERT_GT(want.rows.size(), 2000u);
  ASSERT_FALSE(want.issues.empty());  // the invalid bytes
  for (Level level : SupportedLevels()) {
    simd::UseKernelsForTesting(level);
    const ReadBack got = ReadCsv(csv);
    ASSERT_EQ(got.rows.size(), want.rows.size()) << NameOf(level);
    for (size_t i = 0; i < want.rows.size(); ++i) {
      EXPECT_EQ(got.rows[i].line, want.rows[i].line) << NameOf(level) << " row " << i;
      EXPECT_EQ(got.rows[i].cells, want.rows[i].cells) << NameOf(level) << " row " << i;
      EXPECT_EQ(got.rows[i].problem, want.rows[i].problem) << NameOf(level) << " row " << i;
    }
    ASSERT_EQ(got.issues.size(), want.issues.size()) << NameOf(level);
    for (size_t i = 0; i < want.issues.size(); ++i) {
      EXPECT_EQ(got.issues[i].line, want.issues[i].line) << NameOf(level);
      EXPECT_EQ(got.issues[i].message, want.issues[i].message) << NameOf(level);
    }
  }
}

}  // namespace
}  // namespace relance::imports
