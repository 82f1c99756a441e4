// Runs connections' syncs inside `relance serve` (and `relance sync run`):
// finds the connections that are due (their next run time passed, or
// webhook hints wait in their inbox), takes each one's lease with a
// conditional update so that one runner at a time syncs a connection
// whatever the number of processes, renews it between pages, and runs the
// engine — a full run for a requested backfill, a new connection, or when
// the last full scan is older than `full_every`; an incremental run when
// the connection's next run time has passed; otherwise, when webhook hints
// wait, a run of the hints alone.
//
// Start/Stop own one background thread; RunDue and RunOne may be called
// from any one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "services/context.h"
#include "sync/connection_service.h"
#include "sync/sync_engine.h"

namespace relance::sync {

struct RunnerOptions {
  std::chrono::milliseconds poll{1000};
  // Renewed between batches; after a crash, another runner takes the
  // connection over once it expires.
  std::chrono::seconds lease{30};
  std::chrono::hours full_every{24};
  std::string owner;  // empty: host and process id
  std::string documents_dir;  // EngineOptions::documents_dir
};

class SyncRunner {
 public:
  SyncRunner(services::Context ctx, const ConnectionService& connections, RunnerOptions options);
  ~SyncRunner();

  // Every due connection once; returns how many were run. A connection's
  // failure is recorded on it (status, last error, backoff), not returned.
  Result<int> RunDue();
  // One connection now; kFailedPrecondition when another runner holds it.
  // `full`: true forces a full run; false at least an incremental one (a
  // full one when a backfill is due); unset lets the schedule decide.
  Result<RunOutcome> RunOne(const std::string& org_id, const std::string& connection_id,
                            std::optional<bool> full = std::nullopt);

  void Start();
  void Stop();
  // Ends the background thread's wait now (a webhook hint arrived).
  void Wake();

 private:
  void Loop();

  services::Context ctx_;
  const ConnectionService& connections_;
  RunnerOptions options_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool woken_ = false;
};

}  // namespace relance::sync
