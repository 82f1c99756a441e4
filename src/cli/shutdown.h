// Waiting for SIGINT / SIGTERM without a signal handler. A handler may call
// only async-signal-safe functions, and stopping an HTTP server is not one;
// so the signals are blocked instead and collected with sigtimedwait by the
// thread that owns the server, which then stops it normally.
//
// Construct it before starting any thread: threads inherit the blocked mask,
// so the signals stay pending for Wait instead of killing the process or
// landing on a server thread. Not thread-safe; one per process at a time.
#pragma once

#include <signal.h>

#include <chrono>
#include <functional>

namespace relance::cli {

class ShutdownSignals {
 public:
  // Blocks SIGINT and SIGTERM in the calling thread.
  ShutdownSignals();
  // Restores the calling thread's previous mask. Signals that arrived and
  // were not waited for stay pending (and act when unblocked).
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  // Returns the signal number once SIGINT or SIGTERM arrives, or 0 as soon
  // as `stop_waiting()` is true (checked every `poll`), e.g. when the server
  // died on its own.
  int Wait(const std::function<bool()>& stop_waiting,
           std::chrono::milliseconds poll = std::chrono::milliseconds(100));

 private:
  sigset_t set_;
  sigset_t previous_;
};

}  // namespace relance::cli
