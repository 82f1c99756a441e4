// A fixed-size pool of connections shared by both backends. Thread-safe.
// Connections are opened lazily by `open` and reused; a connection that saw
// a broken-link error may be dropped by the backend instead of returned.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "store/db.h"

namespace relance::store {

class ConnectionPool {
 public:
  using Opener = std::function<Result<std::unique_ptr<Connection>>()>;
  ConnectionPool(int size, Opener open) : size_(size), open_(std::move(open)) {}

  Result<PooledConnection> Acquire();
  int size() const { return size_; }

 private:
  void Release(Connection* c);

  const int size_;
  Opener open_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_count_ = 0;
};

}  // namespace relance::store
