// SameText(a, b): a == b for the short texts that rows and records hold,
// without a call: std::string_view's == calls memcmp, whose cost is most of
// the comparison of a name or a code.
#pragma once

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <cstdint>
#include <cstring>
#include <string_view>

namespace relance::domain {

// Texts of up to 64 bytes are compared by loads from both ends that overlap
// in the middle (16, 8, 4, 2 or 1 bytes at a time); longer ones by memcmp.
inline bool SameText(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  // Equal loads of `T` at offsets 0 and n - sizeof(T) of p and q.
  auto same_ends = [p, q, n](auto zero) {
    using T = decltype(zero);
    T x[4];
    std::memcpy(&x[0], p, sizeof(T));
    std::memcpy(&x[1], q, sizeof(T));
    std::memcpy(&x[2], p + n - sizeof(T), sizeof(T));
    std::memcpy(&x[3], q + n - sizeof(T), sizeof(T));
    return ((x[0] ^ x[1]) | (x[2] ^ x[3])) == 0;
  };
  if (n > 16) {
#if defined(__SSE2__)
    if (n <= 64) {
      auto same16 = [p, q](size_t at) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
        const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + at));
        return _mm_cmpeq_epi8(x, y);
      };
      __m128i same = same16(n - 16);
      for (size_t i = 0; i + 16 < n; i += 16) same = _mm_and_si128(same, same16(i));
      return _mm_movemask_epi8(same) == 0xFFFF;
    }
#endif
    return std::memcmp(p, q, n) == 0;
  }
  if (n >= 8) return same_ends(uint64_t{0});
  if (n >= 4) return same_ends(uint32_t{0});
  if (n >= 2) return same_ends(uint16_t{0});
  return n == 0 || p[0] == q[0];
}

}  // namespace relance::domain
