// Finding the few bytes a text format must escape, many bytes at a time.
// The writers of COPY rows and JSON strings go over every byte the sync and
// the API write; most texts hold none of those bytes, and a test per byte
// was the largest part of writing them. On x86-64 (SSE2, always there),
// sixteen bytes are compared at once and the mask of matches gives the
// position; the tail of a text is searched with one more 16-byte block that
// overlaps what was searched. Texts shorter than a block, and every text
// elsewhere, go by 8-byte words tested with the classic "has a zero byte"
// arithmetic, which is exact as a yes/no for the whole word; only a word
// that says yes is looked at byte by byte. (A short text copied into a
// padded block was slower: the block's load waited for the copy's stores.)
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

#if defined(__SSE2__)
inline __m128i Load16(const char* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
inline __m128i Splat(unsigned char b) { return _mm_set1_epi8(static_cast<char>(b)); }
// 0xFF where a byte of `v` is at most / at least `b` (unsigned).
inline __m128i AtMost(__m128i v, unsigned char b) { return _mm_cmpeq_epi8(_mm_min_epu8(v, Splat(b)), v); }
inline __m128i AtLeast(__m128i v, unsigned char b) { return _mm_cmpeq_epi8(_mm_max_epu8(v, Splat(b)), v); }
inline __m128i Equal(__m128i v, unsigned char b) { return _mm_cmpeq_epi8(v, Splat(b)); }

// The first position at or after `from` of a byte `matches(block)` marks
// (0xFF in its byte of the block), or npos. The text from `from` on must
// be at least 16 bytes long.
template <typename BlockTest>
size_t FindFirst16(std::string_view s, size_t from, BlockTest matches) {
  const char* p = s.data();
  const size_t n = s.size();
  auto first = [&](__m128i block, size_t skip) -> unsigned {
    return static_cast<unsigned>(_mm_movemask_epi8(matches(block))) >> skip;
  };
  size_t i = from;
  for (; i + 16 <= n; i += 16) {
    if (unsigned m = first(Load16(p + i), 0)) return i + std::countr_zero(m);
  }
  if (i == n) return std::string_view::npos;
  // The last 16 bytes, the ones before i (already searched) shifted out.
  const unsigned m = first(Load16(p + n - 16), i - (n - 16));
  return m ? i + std::countr_zero(m) : std::string_view::npos;
}
#endif

}  // namespace byte_scan

// The word-at-a-time searches, for machines without SSE2 (and tested on
// every machine against the ones below).
namespace byte_scan::portable {

inline size_t FindCopySpecial(std::string_view s, size_t from) {
  return FindFirst(
      s, from,
      [](uint64_t w) { return Has(w, '\\') || Has(w, '\t') || Has(w, '\n') || Has(w, '\r'); },
      [](unsigned char c) { return c == '\\' || c == '\t' || c == '\n' || c == '\r'; });
}
inline size_t FindJsonSpecial(std::string_view s, size_t from) {
  return FindFirst(
      s, from, [](uint64_t w) { return HasBelow(w, 0x20) || Has(w, '"') || Has(w, '\\'); },
      [](unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; });
}
inline bool IsPlainJsonAscii(std::string_view s) {
  return FindFirst(
             s, 0,
             [](uint64_t w) {
               return (w & kHighs) != 0 || HasBelow(w, 0x20) || Has(w, 0x7f) || Has(w, '"') ||
                      Has(w, '\\');
             },
             [](unsigned char c) { return c < 0x20 || c >= 0x7f || c == '"' || c == '\\'; }) ==
         std::string_view::npos;
}

}  // namespace byte_scan::portable

// A byte PostgreSQL's COPY text format escapes in a value: \ tab LF CR.
inline size_t FindCopySpecial(std::string_view s, size_t from) {
#if defined(__SSE2__)
  using namespace byte_scan;
  if (from >= s.size() || s.size() - from < 16) return portable::FindCopySpecial(s, from);
  return FindFirst16(s, from, [](__m128i v) {
    return _mm_or_si128(_mm_or_si128(Equal(v, '\\'), Equal(v, '\t')),
                        _mm_or_si128(Equal(v, '\n'), Equal(v, '\r')));
  });
#else
  return byte_scan::portable::FindCopySpecial(s, from);
#endif
}

// A byte a JSON string escapes: a control character, " or \.
inline size_t FindJsonSpecial(std::string_view s, size_t from) {
#if defined(__SSE2__)
  using namespace byte_scan;
  if (from >= s.size() || s.size() - from < 16) return portable::FindJsonSpecial(s, from);
  return FindFirst16(s, from, [](__m128i v) {
    return _mm_or_si128(AtMost(v, 0x1f), _mm_or_si128(Equal(v, '"'), Equal(v, '\\')));
  });
#else
  return byte_scan::portable::FindJsonSpecial(s, from);
#endif
}

// Whether every byte of `s` is printable ASCII other than " and \: a text a
// JSON string holds as it is, whatever the writer's escaping of the rest.
inline bool IsPlainJsonAscii(std::string_view s) {
#if defined(__SSE2__)
  using namespace byte_scan;
  if (s.size() < 16) return portable::IsPlainJsonAscii(s);
  return FindFirst16(s, 0, [](__m128i v) {
           return _mm_or_si128(_mm_or_si128(AtMost(v, 0x1f), AtLeast(v, 0x7f)),
                               _mm_or_si128(Equal(v, '"'), Equal(v, '\\')));
         }) == std::string_view::npos;
#else
  return byte_scan::portable::IsPlainJsonAscii(s);
#endif
}

}  // namespace relance
