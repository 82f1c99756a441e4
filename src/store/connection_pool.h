// A fixed-size pool of connections shared by both backends. Thread-safe.
// Connections are opened lazily by `open` and reused; a connection that saw
// a broken-link error may be dropped by the backend instead of returned.
//
// Fair: when every connection is out, callers are served in the order they
// came. A released connection goes straight to the oldest waiter, so a
// thread that releases and acquires again (a request's token lookup, then
// its query) cannot pass threads that were already waiting; with a plain
// condition variable, some waited hundreds of milliseconds under load.
#pragma once

#include <condition_variable>
#include <deque>
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
  // Callers waiting for a connection now.
  size_t waiting() const;

 private:
  // A caller waiting for its turn: handed a connection, or the right to
  // open one (after an open failed and freed a place).
  struct Waiter {
    std::unique_ptr<Connection> conn;
    bool may_open = false;
    std::condition_variable cv;
  };

  void Release(Connection* c);
  Result<PooledConnection> OpenOne(std::unique_lock<std::mutex>& lock);
  PooledConnection Wrap(std::unique_ptr<Connection> conn);

  const int size_;
  Opener open_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::deque<Waiter*> waiters_;  // oldest first
  int open_count_ = 0;
};

}  // namespace relance::store
