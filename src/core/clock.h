// Where "now" comes from. Production code takes a Clock& so tests can move
// time by hand (FakeClock) and replay timelines deterministically.
#pragma once

#include <atomic>
#include <chrono>

#include "core/date.h"

namespace relance {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timestamp Now() const override {
    return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  }
};

// Thread-safe: tests may advance it while a server thread reads it.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Timestamp start) : micros_(start.time_since_epoch().count()) {}
  Timestamp Now() const override { return Timestamp{std::chrono::microseconds{micros_.load()}}; }
  void Set(Timestamp t) { micros_ = t.time_since_epoch().count(); }
  void Advance(std::chrono::microseconds d) { micros_ += d.count(); }

 private:
  std::atomic<int64_t> micros_;
};

}  // namespace relance
