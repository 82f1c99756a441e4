#include "store/connection_pool.h"

namespace relance::store {

Result<PooledConnection> ConnectionPool::Acquire() {
  std::unique_lock lock(mu_);
  if (waiters_.empty()) {
    if (!idle_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      return Wrap(std::move(conn));
    }
    if (open_count_ < size_) return OpenOne(lock);
  }
  Waiter me;
  waiters_.push_back(&me);
  me.cv.wait(lock, [&] { return me.conn != nullptr || me.may_open; });
  // Whoever served this waiter took it off the queue.
  if (me.conn) return Wrap(std::move(me.conn));
  return OpenOne(lock);
}

Result<PooledConnection> ConnectionPool::OpenOne(std::unique_lock<std::mutex>& lock) {
  ++open_count_;
  lock.unlock();
  auto opened = open_();
  if (opened.ok()) return Wrap(std::move(opened).value());
  lock.lock();
  --open_count_;
  // The place is free again: the oldest waiter may try in its turn.
  if (!waiters_.empty()) {
    Waiter* next = waiters_.front();
    waiters_.pop_front();
    next->may_open = true;
    next->cv.notify_one();
  }
  return std::move(opened).take_error();
}

size_t ConnectionPool::waiting() const {
  std::lock_guard lock(mu_);
  return waiters_.size();
}

PooledConnection ConnectionPool::Wrap(std::unique_ptr<Connection> conn) {
  return PooledConnection(conn.release(), [this](Connection* c) { Release(c); });
}

void ConnectionPool::Release(Connection* c) {
  std::lock_guard lock(mu_);
  if (waiters_.empty()) {
    idle_.emplace_back(c);
    return;
  }
  Waiter* next = waiters_.front();
  waiters_.pop_front();
  next->conn.reset(c);
  next->cv.notify_one();
}

}  // namespace relance::store
