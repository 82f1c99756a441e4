// ReadAhead<T>: runs a producer on a thread of its own, up to `depth` items
// ahead of the consumer, so that reading the next batch (a database round
// trip, the server's scan, decoding rows) overlaps with working on this one.
//
// The producer returns the next item, std::nullopt at the end, or an error;
// either of the last two ends it. Next() hands items over in order and, after
// the end or the error, returns it again. Destroying the ReadAhead stops the
// producer after the item it is making and waits for it, so whatever the
// producer borrows (a connection) must outlive the ReadAhead.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "core/result.h"

namespace relance {

template <typename T>
class ReadAhead {
 public:
  using Item = Result<std::optional<T>>;
  using Producer = std::function<Item()>;

  explicit ReadAhead(Producer produce, size_t depth = 1)
      : produce_(std::move(produce)), depth_(depth < 1 ? 1 : depth), thread_([this] { Run(); }) {}

  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  ~ReadAhead() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  Item Next() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return !ready_.empty() || last_.has_value(); });
    if (ready_.empty()) return *last_;
    Item item = std::move(ready_.front());
    ready_.pop_front();
    changed_.notify_all();
    return item;
  }

 private:
  void Run() {
    for (;;) {
      {
        std::unique_lock lock(mu_);
        changed_.wait(lock, [&] { return stopping_ || ready_.size() < depth_; });
        if (stopping_) return;
      }
      Item item = produce_();
      std::lock_guard lock(mu_);
      if (!item.ok() || !item->has_value()) {
        // Kept as the answer to every later Next(): an end stays an end.
        last_ = item.ok() ? Item(std::optional<T>()) : Item(item.error());
        ready_.push_back(std::move(item));
        changed_.notify_all();
        return;
      }
      ready_.push_back(std::move(item));
      changed_.notify_all();
    }
  }

  Producer produce_;
  const size_t depth_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Item> ready_;
  std::optional<Item> last_;  // the end or the error, once produced
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above is set up
};

}  // namespace relance
