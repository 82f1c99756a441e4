#include "sync/sync_runner.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "domain/entity_spec.h"
#include "store/record_repository.h"
#include "store/sync_queries.h"

namespace relance::sync {
namespace {

std::string DefaultOwner() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(getpid());
}

}  // namespace

SyncRunner::SyncRunner(services::Context ctx, const ConnectionService& connections,
                       RunnerOptions options)
    : ctx_(ctx), connections_(connections), options_(std::move(options)) {
  if (options_.owner.empty()) options_.owner = DefaultOwner();
}

SyncRunner::~SyncRunner() { Stop(); }

Result<RunOutcome> SyncRunner::RunOne(const std::string& org_id, const std::string& id,
                                      std::optional<bool> full) {
  auto lease_until = [&] {
    return FormatTimestamp(ctx_.clock.Now() +
                           std::chrono::duration_cast<std::chrono::microseconds>(options_.lease));
  };
  bool claimed = false;
  RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](store::Connection& c) -> Result<void> {
    ASSIGN_OR_RETURN(claimed, store::ClaimConnection(c, org_id, id, options_.owner,
                                                     FormatTimestamp(ctx_.clock.Now()),
                                                     lease_until()));
    if (!claimed) {
      store::RecordRepository<domain::SyncConnection> repo(domain::SyncConnectionSpec());
      ASSIGN_OR_RETURN(auto found, repo.Find(c, org_id, id));
      if (!found) return NotFound("no connection " + id + " in this organization");
      return Ok();
    }
    return store::AbandonRunningRuns(c, org_id, id, FormatTimestamp(ctx_.clock.Now()));
  }));
  if (!claimed) {
    return Error(ErrorCode::kFailedPrecondition,
                 "connection " + id + " is being synced by another runner; try again later");
  }
  auto release = [&] {
    auto r = store::InTransaction(ctx_.db, [&](store::Connection& c) {
      return store::ReleaseConnection(c, org_id, id, options_.owner);
    });
    if (!r.ok()) spdlog::warn("sync: could not release connection {}: {}", id, r.error().message());
  };
  Result<RunOutcome> outcome = [&]() -> Result<RunOutcome> {
    domain::SyncConnection conn;
    std::map<std::string, store::CursorRow> cursors;
    {
      ASSIGN_OR_RETURN(auto c, ctx_.db.Acquire());
      store::RecordRepository<domain::SyncConnection> repo(domain::SyncConnectionSpec());
      ASSIGN_OR_RETURN(conn, repo.Get(*c, org_id, id));
      ASSIGN_OR_RETURN(cursors, store::LoadCursors(*c, org_id, id));
    }
    bool run_full = conn.backfill_requested || conn.status == "NEW";
    if (auto scan = cursors.find(""); scan != cursors.end() && scan->second.last_full_scan_at) {
      auto last = ParseTimestamp(*scan->second.last_full_scan_at);
      if (last.ok() && ctx_.clock.Now() - *last > options_.full_every) run_full = true;
    }
    if (full.value_or(false)) run_full = true;
    RunMode mode = RunMode::kInboxOnly;
    if (run_full) {
      mode = RunMode::kFull;
    } else if (full.has_value() || conn.next_run_at <= FormatTimestamp(ctx_.clock.Now())) {
      mode = RunMode::kIncremental;
    }
    auto connector = connections_.Open(conn);
    if (!connector.ok()) {
      RETURN_IF_ERROR(RecordRunOutcome(ctx_, conn, nullptr, connector.error(), nullptr));
      return connector.error();
    }
    SyncEngine engine(ctx_, [&]() -> Result<void> {
      bool still = false;
      RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](store::Connection& c) -> Result<void> {
        ASSIGN_OR_RETURN(still, store::ClaimConnection(c, org_id, id, options_.owner,
                                                       FormatTimestamp(ctx_.clock.Now()),
                                                       lease_until()));
        return Ok();
      }));
      if (!still) return Unavailable("the lease on connection " + id + " was lost");
      return Ok();
    }, EngineOptions{options_.documents_dir});
    return engine.Run(conn, **connector, mode);
  }();
  release();
  return outcome;
}

Result<int> SyncRunner::RunDue() {
  std::vector<std::pair<std::string, std::string>> due;
  {
    ASSIGN_OR_RETURN(auto c, ctx_.db.Acquire());
    ASSIGN_OR_RETURN(due, store::DueConnections(*c, FormatTimestamp(ctx_.clock.Now()), 50));
  }
  int ran = 0;
  for (const auto& [org_id, id] : due) {
    auto r = RunOne(org_id, id);
    if (r.ok()) {
      ++ran;
      spdlog::info("sync: connection {} ran ({} written, {} unchanged, {} rejected, {} hints)", id,
                   r->stats.written(), r->stats.unchanged, r->stats.rejected, r->hints_applied);
    } else if (r.error().code() != ErrorCode::kFailedPrecondition) {
      ++ran;
      spdlog::warn("sync: connection {} failed: {}", id, r.error().message());
    }
  }
  return ran;
}

void SyncRunner::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void SyncRunner::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SyncRunner::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  wake_.notify_all();
}

void SyncRunner::Loop() {
  for (;;) {
    auto r = RunDue();
    if (!r.ok()) spdlog::warn("sync: {}", r.error().message());
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, options_.poll, [this] { return stop_ || woken_; });
    if (stop_) return;
    woken_ = false;
  }
}

}  // namespace relance::sync
