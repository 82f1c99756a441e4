// SplitMix64: a tiny deterministic generator for demo and benchmark data.
// Unlike the standard distributions it gives the same sequence with every
// standard library, so seeded data is the same everywhere. Not for secrets
// (core/ids.h uses libsodium for those). Not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace relance {

class Prng {
 public:
  explicit Prng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform enough in [lo, hi] for generated data (the modulo bias is ~2^-50).
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  // True with probability percent / 100.
  bool Percent(int percent) { return Between(0, 99) < percent; }
  template <typename T, size_t N>
  const T& Pick(const std::array<T, N>& choices) {
    return choices[Next() % N];
  }

 private:
  uint64_t state_;
};

}  // namespace relance
