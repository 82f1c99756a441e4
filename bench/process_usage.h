// What a benchmark process measures of itself: CPU time (on a shared
// machine, what the work cost whatever else ran beside it), peak RSS, and
// which allocator it runs on (relance_use_server_allocator, CMakeLists.txt).
#pragma once

#include <dlfcn.h>
#include <sys/resource.h>
#include <time.h>

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace relance::bench {

inline double CpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

inline int64_t PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

// "jemalloc (dirty_decay_ms=N)" when the process's malloc is jemalloc's (it
// alone defines mallctl), with the option server_allocator.cpp sets; else
// "glibc".
inline std::string AllocatorName() {
  using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);
  auto mallctl = reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl"));
  if (mallctl == nullptr) return "glibc";
  ssize_t decay = 0;
  size_t size = sizeof decay;
  if (mallctl("opt.dirty_decay_ms", &decay, &size, nullptr, 0) != 0) return "jemalloc";
  return "jemalloc(dirty_decay_ms=" + std::to_string(decay) + ")";
}

}  // namespace relance::bench
