// ReadAhead: the planner reads its next batch while it plans this one. The
// items must come in order, an end or an error must end it for good, and
// dropping it early must stop the producer and wait for it.
#include "core/read_ahead.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace relance {
namespace {

TEST(ReadAhead, HandsOverEveryItemInOrderThenTheEnd) {
  int next = 0;
  ReadAhead<int> items([&]() -> Result<std::optional<int>> {
    if (next == 100) return std::optional<int>();
    return std::optional<int>(next++);
  }, 3);
  std::vector<int> seen;
  for (;;) {
    auto item = items.Next();
    ASSERT_TRUE(item.ok());
    if (!*item) break;
    seen.push_back(**item);
  }
  ASSERT_EQ(seen.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[i], i);
  // The end stays the end; the producer is not asked again.
  auto again = items.Next();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  EXPECT_EQ(next, 100);
}

TEST(ReadAhead, AnErrorEndsItAndIsReturnedAgain) {
  int calls = 0;
  ReadAhead<int> items([&]() -> Result<std::optional<int>> {
    if (++calls == 3) return Unavailable("the database went away");
    return std::optional<int>(calls);
  });
  EXPECT_EQ(**items.Next(), 1);
  EXPECT_EQ(**items.Next(), 2);
  for (int i = 0; i < 2; ++i) {
    auto item = items.Next();
    ASSERT_FALSE(item.ok());
    EXPECT_EQ(item.error().message(), "the database went away");
  }
  EXPECT_EQ(calls, 3);
}

TEST(ReadAhead, StaysAtMostDepthItemsAhead) {
  std::atomic<int> made{0};
  ReadAhead<int> items([&]() -> Result<std::optional<int>> {
    return std::optional<int>(made++);
  }, 2);
  // Without a consumer the producer stops after `depth` items.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(made.load(), 2);
  EXPECT_EQ(**items.Next(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(made.load(), 3);
}

TEST(ReadAhead, DroppedEarlyStopsAndWaitsForTheProducer) {
  std::atomic<bool> inside{false};
  std::atomic<int> made{0};
  {
    ReadAhead<int> items([&]() -> Result<std::optional<int>> {
      inside = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      inside = false;
      return std::optional<int>(made++);
    });
    EXPECT_EQ(**items.Next(), 0);
  }
  // Destroyed: the producer finished the item it was making and stopped.
  EXPECT_FALSE(inside.load());
  const int after = made.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(made.load(), after);
}

}  // namespace
}  // namespace relance
