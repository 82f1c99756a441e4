#include "http/list_page_cache.h"

namespace relance::http {
namespace {

// What an entry costs beyond its body: the key twice (list and index) and
// the nodes, roughly.
size_t Cost(const std::string& key, const std::string& body) {
  return body.size() + 2 * key.size() + 128;
}

}  // namespace

std::shared_ptr<const std::string> ListPageCache::Find(const std::string& key, int64_t stamp) {
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  if (it->second->stamp != stamp) {
    EraseLocked(it->second);
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  order_.splice(order_.begin(), order_, it->second);
  hits_.fetch_add(1, std::memory_order_relaxed);
  return it->second->body;
}

void ListPageCache::Store(const std::string& key, int64_t stamp,
                          std::shared_ptr<const std::string> body) {
  const size_t cost = Cost(key, *body);
  if (cost > max_bytes_ / 4) return;
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    // Two requests raced on a miss: keep the page of the newer stamp.
    if (it->second->stamp > stamp) return;
    EraseLocked(it->second);
  }
  while (!order_.empty() && bytes_ + cost > max_bytes_) EraseLocked(std::prev(order_.end()));
  order_.push_front(Entry{key, stamp, std::move(body)});
  index_.emplace(key, order_.begin());
  bytes_ += cost;
}

size_t ListPageCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

void ListPageCache::EraseLocked(Order::iterator it) {
  bytes_ -= Cost(it->key, *it->body);
  index_.erase(it->key);
  order_.erase(it);
}

}  // namespace relance::http
