// What a benchmark process measures of itself: CPU time (on a shared
// machine, what the work cost whatever else ran beside it) and peak RSS.
#pragma once

#include <sys/resource.h>
#include <time.h>

#include <cstdint>

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

}  // namespace relance::bench
