// Rendered list pages, kept under the change stamp of the table they were
// read from (store/change_stamps.h). A list request reads the stamp first
// (one indexed row), then either answers the page stored at that stamp or
// reads, renders and stores it. Every write to the table moves the stamp in
// its own transaction, whichever process makes it, so a stored page is never
// answered once its rows changed; a page read after the stamp can only be
// newer than the stamp says, never older.
//
// Bounded by bytes, least recently used out first. Thread-safe. Internal to
// src/http.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace relance::http {

class ListPageCache {
 public:
  explicit ListPageCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  // The body stored under `key` at `stamp`; null when there is none, or
  // when it was stored at another stamp (it is dropped then).
  std::shared_ptr<const std::string> Find(const std::string& key, int64_t stamp);
  // Keeps `body` under `key` at `stamp` (replacing what was there), unless
  // it alone is larger than a quarter of the budget.
  void Store(const std::string& key, int64_t stamp, std::shared_ptr<const std::string> body);

  bool enabled() const { return max_bytes_ > 0; }
  size_t bytes() const;
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::string key;
    int64_t stamp;
    std::shared_ptr<const std::string> body;
  };
  using Order = std::list<Entry>;  // most recently used first

  void EraseLocked(Order::iterator it);

  const size_t max_bytes_;
  mutable std::mutex mu_;
  Order order_;
  std::unordered_map<std::string, Order::iterator> index_;
  size_t bytes_ = 0;
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
};

}  // namespace relance::http
