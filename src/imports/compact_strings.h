// Compact string storage for the import's per-customer bookkeeping, where a
// std::string per key (32 bytes, plus a heap block of 32+ bytes for anything
// over 15 characters) and a node-based hash map per index cost several
// hundred bytes a customer:
//  - StringArena: strings appended one after the other into 1 MiB blocks
//    (never moved, never freed one by one), each preceded by its length as a
//    varint; a StringArena::Ref is 8 bytes. A string that changes is appended
//    again (the old bytes stay: the arena only grows, by what changes).
//  - SlotKeyIndex: a hash set of slot numbers keyed by a string the caller
//    reads from its slot (open addressing, 8 bytes an entry: the slot and 32
//    bits of the key's hash, so a probe rarely has to read a string). A key
//    must not change while its slot is in the index.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace relance::imports {

// 64 bits of a string: FNV-1a, then a finalizer to spread the bits.
inline uint64_t HashKey(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

class StringArena {
 public:
  // An empty Ref reads as "". Refs stay valid as long as the arena.
  struct Ref {
    uint32_t block = 0;
    uint32_t offset = kEmptyOffset;
    bool empty() const { return offset == kEmptyOffset; }
  };

  Ref Add(std::string_view s) {
    if (s.empty()) return Ref{};
    char len[10];
    size_t n = 0;
    for (uint64_t v = s.size(); ; v >>= 7) {
      len[n++] = static_cast<char>((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
      if (v < 0x80) break;
    }
    const size_t need = n + s.size();
    char* at;
    Ref r;
    if (need > kBlock / 4) {
      // A long string gets a block of its own; the current one goes on.
      blocks_.push_back(std::make_unique<char[]>(need));
      bytes_ += need;
      at = blocks_.back().get();
      r = Ref{static_cast<uint32_t>(blocks_.size() - 1), 0};
    } else {
      if (current_ == kNoBlock || used_ + need > kBlock) {
        blocks_.push_back(std::make_unique<char[]>(kBlock));
        bytes_ += kBlock;
        current_ = blocks_.size() - 1;
        used_ = 0;
      }
      at = blocks_[current_].get() + used_;
      r = Ref{static_cast<uint32_t>(current_), static_cast<uint32_t>(used_)};
      used_ += need;
    }
    std::memcpy(at, len, n);
    std::memcpy(at + n, s.data(), s.size());
    return r;
  }

  std::string_view Get(Ref r) const {
    if (r.empty()) return {};
    const char* p = blocks_[r.block].get() + r.offset;
    uint64_t size = 0;
    for (int shift = 0;; shift += 7) {
      const auto byte = static_cast<unsigned char>(*p++);
      size |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    return {p, static_cast<size_t>(size)};
  }

  // Memory held by the blocks.
  size_t bytes() const { return bytes_; }

 private:
  static constexpr uint32_t kEmptyOffset = UINT32_MAX;
  static constexpr size_t kBlock = 1 << 20;

  static constexpr size_t kNoBlock = SIZE_MAX;

  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t current_ = kNoBlock;  // the block being filled
  size_t used_ = 0;            // bytes of it used
  size_t bytes_ = 0;
};

// A set of slot numbers (int32 >= 0) found by a string key that `KeyOf(slot)`
// returns.
template <typename KeyOf>
class SlotKeyIndex {
 public:
  static constexpr int32_t kNone = -1;

  explicit SlotKeyIndex(KeyOf key_of) : key_of_(std::move(key_of)) {}

  int32_t Find(std::string_view key) const {
    if (table_.empty()) return kNone;
    const uint64_t h = HashKey(key);
    const size_t mask = table_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Entry& e = table_[i];
      if (e.slot == kNone) return kNone;
      if (e.tag == static_cast<uint32_t>(h >> 32) && key_of_(e.slot) == key) return e.slot;
    }
  }

  // Adds `slot` under its current key; a slot of the same key already there
  // is kept, and returned (kNone when `slot` went in).
  int32_t Insert(int32_t slot) {
    if ((size_ + 1) * 2 > table_.size()) Grow();
    return Place(slot, HashKey(key_of_(slot)));
  }

  size_t size() const { return size_; }

  // Calls fn(slot) for every slot in the index, in no particular order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Entry& e : table_) {
      if (e.slot != kNone) fn(e.slot);
    }
  }

 private:
  struct Entry {
    int32_t slot = kNone;
    uint32_t tag = 0;  // the hash's high 32 bits
  };

  int32_t Place(int32_t slot, uint64_t h) {
    const size_t mask = table_.size() - 1;
    const auto tag = static_cast<uint32_t>(h >> 32);
    const std::string_view key = key_of_(slot);
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Entry& e = table_[i];
      if (e.slot == kNone) {
        e = {slot, tag};
        ++size_;
        return kNone;
      }
      if (e.tag == tag && key_of_(e.slot) == key) return e.slot;
    }
  }

  void Grow() {
    std::vector<Entry> old = std::move(table_);
    table_.assign(old.empty() ? 1024 : old.size() * 2, Entry{});
    size_ = 0;
    for (const Entry& e : old) {
      if (e.slot != kNone) Place(e.slot, HashKey(key_of_(e.slot)));
    }
  }

  KeyOf key_of_;
  std::vector<Entry> table_;
  size_t size_ = 0;
};

}  // namespace relance::imports
