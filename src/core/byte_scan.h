// Finding the few bytes a text format must escape, eight bytes at a time.
// The writers of COPY rows and JSON strings go over every byte the sync and
// the API write; most texts hold none of those bytes, and a test per byte
// was the largest part of writing them. Portable (no intrinsics): each
// 8-byte word is tested with the classic "has a zero byte" arithmetic,
// which is exact as a yes/no for the whole word, and only a word that says
// yes is looked at byte by byte.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace relance {
namespace byte_scan {

inline constexpr uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr uint64_t kHighs = 0x8080808080808080ULL;

inline uint64_t Load(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}
// Whether a byte of `w` is zero.
inline bool HasZero(uint64_t w) { return ((w - kOnes) & ~w & kHighs) != 0; }
// Whether a byte of `w` equals `b`.
inline bool Has(uint64_t w, unsigned char b) { return HasZero(w ^ (kOnes * b)); }
// Whether a byte of `w` is below `n` (n <= 128).
inline bool HasBelow(uint64_t w, unsigned char n) { return ((w - kOnes * n) & ~w & kHighs) != 0; }

// The first position at or after `from` whose byte `is_special` accepts, or
// npos. `word_may_hold(w)` must be true for every word holding such a byte.
template <typename WordTest, typename ByteTest>
size_t FindFirst(std::string_view s, size_t from, WordTest word_may_hold, ByteTest is_special) {
  const char* p = s.data();
  const size_t n = s.size();
  size_t i = from;
  while (i + 8 <= n) {
    if (!word_may_hold(Load(p + i))) {
      i += 8;
      continue;
    }
    for (const size_t end = i + 8; i < end; ++i) {
      if (is_special(static_cast<unsigned char>(p[i]))) return i;
    }
  }
  for (; i < n; ++i) {
    if (is_special(static_cast<unsigned char>(p[i]))) return i;
  }
  return std::string_view::npos;
}

}  // namespace byte_scan

// A byte PostgreSQL's COPY text format escapes in a value: \ tab LF CR.
inline size_t FindCopySpecial(std::string_view s, size_t from) {
  using namespace byte_scan;
  return FindFirst(
      s, from,
      [](uint64_t w) { return Has(w, '\\') || Has(w, '\t') || Has(w, '\n') || Has(w, '\r'); },
      [](unsigned char c) { return c == '\\' || c == '\t' || c == '\n' || c == '\r'; });
}

// A byte a JSON string escapes: a control character, " or \.
inline size_t FindJsonSpecial(std::string_view s, size_t from) {
  using namespace byte_scan;
  return FindFirst(
      s, from, [](uint64_t w) { return HasBelow(w, 0x20) || Has(w, '"') || Has(w, '\\'); },
      [](unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; });
}

// Whether every byte of `s` is printable ASCII other than " and \: a text a
// JSON string holds as it is, whatever the writer's escaping of the rest.
inline bool IsPlainJsonAscii(std::string_view s) {
  using namespace byte_scan;
  return FindFirst(
             s, 0,
             [](uint64_t w) {
               return (w & kHighs) != 0 || HasBelow(w, 0x20) || Has(w, 0x7f) || Has(w, '"') ||
                      Has(w, '\\');
             },
             [](unsigned char c) { return c < 0x20 || c >= 0x7f || c == '"' || c == '\\'; }) ==
         std::string_view::npos;
}

}  // namespace relance
