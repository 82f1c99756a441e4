// A set of e-mail addresses seen during one import, kept as 64-bit hashes
// in an open-addressing table (8 bytes an address instead of ~80 for a set
// of strings), so a million contacts cost 16 MB. A hash says "maybe seen":
// the import then looks the contact up in the database, which is exact, so
// a collision costs one query, never a wrong write.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "imports/compact_strings.h"

namespace relance::imports {

class EmailHashSet {
 public:
  // True when the address was not in the set (it is now).
  bool Insert(std::string_view email) {
    uint64_t h = Hash(email);
    if ((size_ + 1) * 2 > table_.size()) Grow(table_.empty() ? 1024 : table_.size() * 2);
    size_t mask = table_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      if (table_[i] == h) return false;
      if (table_[i] == kEmpty) {
        table_[i] = h;
        ++size_;
        return true;
      }
    }
  }
  size_t size() const { return size_; }
  // Makes room for `n` addresses at once: no table of half the size is
  // copied and dropped on the way (8 bytes an address of peak memory).
  void Reserve(size_t n) {
    size_t want = 1024;
    while (want < n * 2) want *= 2;
    if (want > table_.size()) Grow(want);
  }

 private:
  static constexpr uint64_t kEmpty = 0;

  static uint64_t Hash(std::string_view s) {
    uint64_t h = HashKey(s);
    return h == kEmpty ? 1 : h;
  }
  void Grow(size_t capacity) {
    std::vector<uint64_t> old = std::move(table_);
    table_.assign(capacity, kEmpty);
    size_ = 0;
    size_t mask = table_.size() - 1;
    for (uint64_t h : old) {
      if (h == kEmpty) continue;
      size_t i = h & mask;
      while (table_[i] != kEmpty) i = (i + 1) & mask;
      table_[i] = h;
      ++size_;
    }
  }

  std::vector<uint64_t> table_;
  size_t size_ = 0;
};

}  // namespace relance::imports
