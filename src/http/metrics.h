// Prometheus metrics of the HTTP server, in the text exposition format:
//
//   relance_http_requests_total{method,route,status}   counter
//   relance_http_request_duration_seconds{method,route} histogram
//   process_resident_memory_bytes                       gauge (/proc/self/statm)
//
// `route` is the route template ("/api/v1/customers/{id}"), never the raw
// path, so the number of series is bounded by the route table. Routes are
// registered before serving; Observe is then lock-free (relaxed atomics)
// and may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <string>

namespace relance::http {

class Metrics {
 public:
  // Upper bounds of the latency buckets, in seconds (+Inf is implicit).
  static constexpr std::array<double, 13> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                      0.25,  0.5,    1.0,   2.5,  5.0,   10.0};

  // Not thread-safe: call before serving. Returns the slot for Observe.
  size_t Register(const std::string& method, const std::string& route);

  void Observe(size_t slot, int status, double seconds);

  std::string Render() const;

 private:
  struct Series {
    std::string method;
    std::string route;
    std::array<std::atomic<uint64_t>, 500> by_status{};                // status 100..599
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};  // non-cumulative
    std::atomic<uint64_t> sum_micros{0};
    std::atomic<uint64_t> count{0};
  };
  std::deque<Series> series_;  // stable addresses
};

// Resident set size of this process in bytes (0 when /proc is unavailable).
uint64_t ResidentMemoryBytes();

}  // namespace relance::http
