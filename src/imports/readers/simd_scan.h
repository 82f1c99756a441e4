// The readers' byte scans that run over every byte of a CSV file: the
// block masks of the CSV parser and the UTF-8 check of its decoder. Each has
// an SSE2 version (every x86-64 processor) and an AVX2 one, twice as wide;
// the AVX2 ones are compiled for that instruction set alone (a `target`
// attribute, not a build flag) and chosen at run time, only on a processor
// that has it, so one binary runs everywhere.
//
// Thread-safe; UseKernelsForTesting is for tests only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace relance::imports::simd {

// For the 64 bytes of one block, bit i set when byte i is: the separator,
// LF or CR (ends); LF or CR (lines); '"' (quotes).
struct BlockMasks {
  uint64_t ends = 0;
  uint64_t lines = 0;
  uint64_t quotes = 0;
};

struct Kernels {
  // The masks of the `blocks` blocks of 64 bytes from `p` into out[0..blocks).
  void (*block_masks)(const char* p, size_t blocks, char sep, BlockMasks* out);
  // Index of the first byte at or after i that is neither ASCII nor part of
  // a valid two-byte UTF-8 sequence (n if none); it may stop earlier, at any
  // byte that is not ASCII. What it stops at starts a sequence for the
  // caller's byte-by-byte check. Sets *pairs when it skipped a sequence.
  size_t (*skip_ascii_and_pairs)(const unsigned char* p, size_t i, size_t n, bool* pairs);
};

enum class Level { kSse2, kAvx2 };

// Whether this processor runs `level`'s kernels.
bool Supports(Level level);
// The kernels of `level` (which the processor must support).
const Kernels& KernelsOf(Level level);
// The kernels of the widest level this processor supports.
const Kernels& ActiveKernels();
// Makes ActiveKernels() return `level`'s from now on, so tests can run the
// readers through each version. Not for production code.
void UseKernelsForTesting(Level level);

}  // namespace relance::imports::simd
