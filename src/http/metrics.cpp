#include "http/metrics.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace relance::http {
namespace {

// Label values are route templates and method names of our own, but escape
// them anyway as the format requires.
std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string FormatDouble(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", d);
  return buf;
}

}  // namespace

size_t Metrics::Register(const std::string& method, const std::string& route) {
  for (size_t i = 0; i < series_.size(); ++i) {
    if (series_[i].method == method && series_[i].route == route) return i;
  }
  series_.emplace_back();
  series_.back().method = method;
  series_.back().route = route;
  return series_.size() - 1;
}

void Metrics::Observe(size_t slot, int status, double seconds) {
  if (slot >= series_.size()) return;
  Series& s = series_[slot];
  if (status >= 100 && status <= 599) {
    s.by_status[static_cast<size_t>(status - 100)].fetch_add(1, std::memory_order_relaxed);
  }
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  s.buckets[b].fetch_add(1, std::memory_order_relaxed);
  s.sum_micros.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
  s.count.fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::Render() const {
  std::string out;
  out +=
      "# HELP relance_http_requests_total HTTP requests answered, by route template and status.\n";
  out += "# TYPE relance_http_requests_total counter\n";
  for (const Series& s : series_) {
    std::string labels = "method=\"" + Escape(s.method) + "\",route=\"" + Escape(s.route) + "\"";
    for (size_t i = 0; i < s.by_status.size(); ++i) {
      uint64_t n = s.by_status[i].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "relance_http_requests_total{" + labels + ",status=\"" + std::to_string(i + 100) +
             "\"} " + std::to_string(n) + "\n";
    }
  }
  out +=
      "# HELP relance_http_request_duration_seconds Time to answer an HTTP request, by route "
      "template.\n";
  out += "# TYPE relance_http_request_duration_seconds histogram\n";
  for (const Series& s : series_) {
    uint64_t count = s.count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    std::string labels = "method=\"" + Escape(s.method) + "\",route=\"" + Escape(s.route) + "\"";
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += s.buckets[b].load(std::memory_order_relaxed);
      out += "relance_http_request_duration_seconds_bucket{" + labels + ",le=\"" +
             FormatDouble(kBuckets[b]) + "\"} " + std::to_string(cumulative) + "\n";
    }
    cumulative += s.buckets[kBuckets.size()].load(std::memory_order_relaxed);
    // Concurrent observers may have bumped count after the buckets were
    // read; +Inf and _count must agree, so both take the larger.
    uint64_t total = std::max(cumulative, count);
    out += "relance_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
           std::to_string(total) + "\n";
    out += "relance_http_request_duration_seconds_sum{" + labels + "} " +
           FormatDouble(static_cast<double>(s.sum_micros.load(std::memory_order_relaxed)) / 1e6) +
           "\n";
    out += "relance_http_request_duration_seconds_count{" + labels + "} " + std::to_string(total) +
           "\n";
  }
  out += "# HELP process_resident_memory_bytes Resident memory size in bytes.\n";
  out += "# TYPE process_resident_memory_bytes gauge\n";
  out += "process_resident_memory_bytes " + std::to_string(ResidentMemoryBytes()) + "\n";
  return out;
}

uint64_t ResidentMemoryBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  long page = sysconf(_SC_PAGESIZE);
  return resident * static_cast<uint64_t>(page > 0 ? page : 4096);
}

}  // namespace relance::http
