// The connection pool both backends share (store/connection_pool.h): it
// opens lazily up to its size and serves waiting callers in the order they
// came, so that no request starves under load.
#include "store/connection_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace relance::store {
namespace {

// The pool never runs a statement: a connection that knows its number is
// enough to tell which one a caller got.
class NumberedConnection : public Connection {
 public:
  explicit NumberedConnection(int n) : n_(n) {}
  int n() const { return n_; }
  Dialect dialect() const override { return Dialect::kSqlite; }
  Result<int64_t> Exec(std::string_view, std::span<const SqlValue>) override { return 0; }
  Result<std::vector<SqlRow>> Query(std::string_view, std::span<const SqlValue>) override {
    return std::vector<SqlRow>{};
  }
  Result<void> ExecScript(std::string_view) override { return Ok(); }
  Result<void> Begin() override { return Ok(); }
  Result<void> Commit() override { return Ok(); }
  Result<void> Rollback() override { return Ok(); }
  Result<void> BulkInsert(std::string_view, std::span<const std::string>,
                          std::span<const std::vector<SqlValue>>) override {
    return Ok();
  }

 private:
  int n_;
};

int NumberOf(const PooledConnection& c) { return static_cast<NumberedConnection&>(*c).n(); }

// One connection, numbered 1: every caller after the first waits.
ConnectionPool PoolOfOne() {
  return ConnectionPool(1, []() -> Result<std::unique_ptr<Connection>> {
    return std::unique_ptr<Connection>(std::make_unique<NumberedConnection>(1));
  });
}

void WaitUntilWaiting(const ConnectionPool& pool, size_t n) {
  while (pool.waiting() < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

TEST(ConnectionPoolTest, OpensLazilyUpToItsSizeThenReuses) {
  int opened = 0;
  ConnectionPool pool(2, [&]() -> Result<std::unique_ptr<Connection>> {
    return std::unique_ptr<Connection>(std::make_unique<NumberedConnection>(++opened));
  });
  EXPECT_EQ(opened, 0);
  {
    auto a = pool.Acquire();
    auto b = pool.Acquire();
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(opened, 2);
  }
  auto c = pool.Acquire();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(opened, 2);  // one of the two, not a third
}

TEST(ConnectionPoolTest, WaitersAreServedInTheOrderTheyCame) {
  ConnectionPool pool = PoolOfOne();
  auto held = pool.Acquire();
  ASSERT_TRUE(held.ok());
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto c = pool.Acquire();
      ASSERT_TRUE(c.ok());
      std::lock_guard lock(mu);
      order.push_back(i);
    });
    WaitUntilWaiting(pool, static_cast<size_t>(i) + 1);
  }
  held->reset();
  for (auto& t : threads) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

TEST(ConnectionPoolTest, AReleasingCallerDoesNotPassTheOnesWaiting) {
  ConnectionPool pool = PoolOfOne();
  auto held = pool.Acquire();
  ASSERT_TRUE(held.ok());
  std::mutex mu;
  std::vector<std::string> order;
  std::thread waiter([&] {
    auto c = pool.Acquire();
    ASSERT_TRUE(c.ok());
    std::lock_guard lock(mu);
    order.push_back("waiter");
  });
  WaitUntilWaiting(pool, 1);
  held->reset();  // released, then at once asked for again
  auto again = pool.Acquire();
  ASSERT_TRUE(again.ok());
  {
    std::lock_guard lock(mu);
    order.push_back("releaser");
  }
  waiter.join();
  EXPECT_EQ(order, (std::vector<std::string>{"waiter", "releaser"}));
}

TEST(ConnectionPoolTest, AFailedOpenIsReturnedAndFreesItsPlaceForTheNextWaiter) {
  std::mutex gate;
  gate.lock();  // the first open waits here, then fails
  std::atomic<int> attempts = 0;
  ConnectionPool pool(1, [&]() -> Result<std::unique_ptr<Connection>> {
    if (++attempts == 1) {
      std::lock_guard wait(gate);
      return Unavailable("database is down");
    }
    return std::unique_ptr<Connection>(std::make_unique<NumberedConnection>(attempts.load()));
  });
  Result<PooledConnection> first = Unavailable("not run");
  std::thread opener([&] { first = pool.Acquire(); });
  while (attempts == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  Result<PooledConnection> second = Unavailable("not run");
  std::thread waiter([&] { second = pool.Acquire(); });
  WaitUntilWaiting(pool, 1);
  gate.unlock();
  opener.join();
  waiter.join();
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().message(), "database is down");
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_EQ(NumberOf(*second), 2);
}

}  // namespace
}  // namespace relance::store
