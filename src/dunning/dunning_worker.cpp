#include "dunning/dunning_worker.h"

#include <spdlog/spdlog.h>

#include "store/dunning_queries.h"

namespace relance::dunning {

void DunningWorker::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void DunningWorker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<ExecutionReport> DunningWorker::RunPass() const {
  std::vector<std::string> orgs;
  {
    ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
    ASSIGN_OR_RETURN(orgs, store::OrganizationIds(*conn));
  }
  for (const auto& org : orgs) {
    if (stop_) break;
    auto report = planner_.Plan(org, ctx_.clock.Now());
    if (!report.ok()) {
      // One organization's broken settings must not stop the others' sends.
      spdlog::error("dunning: planning {} failed: {}", org, report.error().ToString());
    } else if (report->stored > 0) {
      spdlog::info("dunning: {} new action(s) for {}", report->stored, org);
    }
  }
  return executor_.RunOnce([this] { return stop_.load(); });
}

void DunningWorker::Loop() {
  while (!stop_) {
    auto r = RunPass();
    if (!r.ok()) {
      spdlog::error("dunning: {}", r.error().ToString());
    } else if (r->sent + r->failed + r->to_do > 0) {
      spdlog::info("dunning: {} sent, {} to retry, {} failed, {} to do, {} skipped", r->sent,
                   r->retried, r->failed, r->to_do, r->skipped);
    }
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait_for(lock, interval_, [this] { return stop_.load(); });
  }
}

}  // namespace relance::dunning
