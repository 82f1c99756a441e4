#include "imports/readers/simd_scan.h"

#include <immintrin.h>

#include <atomic>

namespace relance::imports::simd {
namespace {

void BlockMasksSse2(const char* p, size_t blocks, char sep, BlockMasks* out) {
  const __m128i vsep = _mm_set1_epi8(sep);
  const __m128i vlf = _mm_set1_epi8('\n');
  const __m128i vcr = _mm_set1_epi8('\r');
  const __m128i vquote = _mm_set1_epi8('"');
  for (size_t b = 0; b < blocks; ++b, p += 64) {
    uint64_t lines = 0, seps = 0, quotes = 0;
    for (int k = 0; k < 4; ++k) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
      const __m128i line = _mm_or_si128(_mm_cmpeq_epi8(v, vlf), _mm_cmpeq_epi8(v, vcr));
      const int shift = 16 * k;
      lines |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(line))} << shift;
      seps |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, vsep)))} << shift;
      quotes |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, vquote)))}
                << shift;
    }
    out[b] = {lines | seps, lines, quotes};
  }
}

// The mask of a comparison of 32 bytes, as the low or high half of 64 bits.
[[gnu::target("avx2")]] inline uint64_t Bits(__m256i match) {
  return uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(match))};
}

[[gnu::target("avx2")]] void BlockMasksAvx2(const char* p, size_t blocks, char sep,
                                            BlockMasks* out) {
  const __m256i vsep = _mm256_set1_epi8(sep);
  const __m256i vlf = _mm256_set1_epi8('\n');
  const __m256i vcr = _mm256_set1_epi8('\r');
  const __m256i vquote = _mm256_set1_epi8('"');
  for (size_t b = 0; b < blocks; ++b, p += 64) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
    const uint64_t lines =
        Bits(_mm256_or_si256(_mm256_cmpeq_epi8(lo, vlf), _mm256_cmpeq_epi8(lo, vcr))) |
        Bits(_mm256_or_si256(_mm256_cmpeq_epi8(hi, vlf), _mm256_cmpeq_epi8(hi, vcr))) << 32;
    const uint64_t seps = Bits(_mm256_cmpeq_epi8(lo, vsep)) | Bits(_mm256_cmpeq_epi8(hi, vsep))
                                                                  << 32;
    const uint64_t quotes =
        Bits(_mm256_cmpeq_epi8(lo, vquote)) | Bits(_mm256_cmpeq_epi8(hi, vquote)) << 32;
    out[b] = {lines | seps, lines, quotes};
  }
}

// Two-byte sequences are accented Latin letters, most of the non-ASCII text
// of a European file: they are skipped 16 or 32 bytes at a time with the
// ASCII, rather than one sequence per call of the byte-by-byte check.
// As signed bytes, continuations 0x80..0xBF are -128..-65 and the leads of
// two-byte sequences 0xC2..0xDF are -62..-33. A chunk is skipped whole when
// each of its high bytes is a lead followed by one continuation; a lead in
// its last byte is read again as the next chunk's first.
size_t SkipAsciiAndPairsSse2(const unsigned char* p, size_t i, size_t n, bool* pairs) {
  const __m128i above_cont = _mm_set1_epi8(-64);
  const __m128i below_lead = _mm_set1_epi8(-63);
  const __m128i above_lead = _mm_set1_epi8(-32);
  while (i + 16 <= n) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const auto high = static_cast<unsigned>(_mm_movemask_epi8(v));
    if (high == 0) {
      i += 16;
      continue;
    }
    const auto cont = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmplt_epi8(v, above_cont)));
    const auto lead = static_cast<unsigned>(_mm_movemask_epi8(
        _mm_and_si128(_mm_cmpgt_epi8(v, below_lead), _mm_cmplt_epi8(v, above_lead))));
    if ((lead | cont) != high || ((lead << 1) & 0xFFFF) != cont) {
      return i + static_cast<size_t>(__builtin_ctz(high));
    }
    *pairs = true;
    i += (lead & 0x8000) != 0 ? 15 : 16;
  }
  while (i < n && p[i] < 0x80) ++i;
  return i;
}

[[gnu::target("avx2")]] size_t SkipAsciiAndPairsAvx2(const unsigned char* p, size_t i, size_t n,
                                                     bool* pairs) {
  const __m256i above_cont = _mm256_set1_epi8(-64);
  const __m256i below_lead = _mm256_set1_epi8(-63);
  const __m256i above_lead = _mm256_set1_epi8(-32);
  while (i + 32 <= n) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    const auto high = static_cast<uint32_t>(_mm256_movemask_epi8(v));
    if (high == 0) {
      i += 32;
      continue;
    }
    const auto cont = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpgt_epi8(above_cont, v)));
    const auto lead = static_cast<uint32_t>(_mm256_movemask_epi8(
        _mm256_and_si256(_mm256_cmpgt_epi8(v, below_lead), _mm256_cmpgt_epi8(above_lead, v))));
    if ((lead | cont) != high || static_cast<uint32_t>(lead << 1) != cont) {
      return i + static_cast<size_t>(__builtin_ctz(high));
    }
    *pairs = true;
    i += (lead & 0x80000000u) != 0 ? 31 : 32;
  }
  // The last 16 to 31 bytes.
  return SkipAsciiAndPairsSse2(p, i, n, pairs);
}

constexpr Kernels kSse2{BlockMasksSse2, SkipAsciiAndPairsSse2};
constexpr Kernels kAvx2{BlockMasksAvx2, SkipAsciiAndPairsAvx2};

const Kernels* Widest() { return Supports(Level::kAvx2) ? &kAvx2 : &kSse2; }

// Set on first use; a relaxed load costs a plain read.
std::atomic<const Kernels*> active{nullptr};

}  // namespace

bool Supports(Level level) {
  switch (level) {
    case Level::kSse2:
      return true;  // part of x86-64
    case Level::kAvx2:
      return __builtin_cpu_supports("avx2");
  }
  return false;
}

const Kernels& KernelsOf(Level level) { return level == Level::kAvx2 ? kAvx2 : kSse2; }

const Kernels& ActiveKernels() {
  const Kernels* k = active.load(std::memory_order_relaxed);
  if (k == nullptr) {
    k = Widest();
    active.store(k, std::memory_order_relaxed);
  }
  return *k;
}

void UseKernelsForTesting(Level level) {
  active.store(&KernelsOf(level), std::memory_order_relaxed);
}

}  // namespace relance::imports::simd
