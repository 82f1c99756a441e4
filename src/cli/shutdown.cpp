#include "cli/shutdown.h"

#include <pthread.h>

#include <cerrno>

namespace relance::cli {

ShutdownSignals::ShutdownSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set_, &previous_);
}

ShutdownSignals::~ShutdownSignals() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

int ShutdownSignals::Wait(const std::function<bool()>& stop_waiting,
                          std::chrono::milliseconds poll) {
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(poll);
  const timespec timeout{static_cast<time_t>(secs.count()),
                         static_cast<long>(std::chrono::nanoseconds(poll - secs).count())};
  while (!stop_waiting()) {
    const int sig = sigtimedwait(&set_, nullptr, &timeout);
    if (sig > 0) return sig;
    // EAGAIN: the poll interval passed; EINTR: another signal; both loop.
    if (sig < 0 && errno != EAGAIN && errno != EINTR) return 0;
  }
  return 0;
}

}  // namespace relance::cli
