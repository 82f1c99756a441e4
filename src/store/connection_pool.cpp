#include "store/connection_pool.h"

namespace relance::store {

Result<PooledConnection> ConnectionPool::Acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !idle_.empty() || open_count_ < size_; });
  std::unique_ptr<Connection> conn;
  if (!idle_.empty()) {
    conn = std::move(idle_.back());
    idle_.pop_back();
  } else {
    ++open_count_;
    lock.unlock();
    auto opened = open_();
    if (!opened.ok()) {
      lock.lock();
      --open_count_;
      cv_.notify_one();
      return std::move(opened).take_error();
    }
    conn = std::move(opened).value();
  }
  return PooledConnection(conn.release(), [this](Connection* c) { Release(c); });
}

void ConnectionPool::Release(Connection* c) {
  std::lock_guard lock(mu_);
  idle_.emplace_back(c);
  cv_.notify_one();
}

}  // namespace relance::store
