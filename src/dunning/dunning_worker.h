// Runs dunning inside `relance serve`: every `interval`, plans every
// organization at the current moment (planning_service.h) and sends what
// is due (executor.h). One thread; Stop() finishes the send in progress
// (never a half-sent message) and joins.
//
// Several servers on one database may each run a worker: plans are
// deduplicated by the store and sends claimed one at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "dunning/executor.h"
#include "dunning/planning_service.h"

namespace relance::dunning {

class DunningWorker {
 public:
  DunningWorker(services::Context ctx, Channels channels,
                std::chrono::milliseconds interval = std::chrono::seconds(60),
                ExecutorOptions options = {})
      : ctx_(ctx), planner_(ctx), executor_(ctx, channels, options), interval_(interval) {}
  ~DunningWorker() { Stop(); }
  DunningWorker(const DunningWorker&) = delete;
  DunningWorker& operator=(const DunningWorker&) = delete;

  void Start();
  void Stop();
  // One pass now, on the caller's thread (CLI `dunning run`, tests).
  Result<ExecutionReport> RunPass() const;

 private:
  void Loop();

  services::Context ctx_;
  PlanningService planner_;
  Executor executor_;
  std::chrono::milliseconds interval_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace relance::dunning
