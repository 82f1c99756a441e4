#include "sync/sync_runner.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "core/ids.h"
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

constexpr std::chrono::minutes kSweepEvery{1};

bool RefusedCredentials(const Error& e) {
  return e.code() == ErrorCode::kUnauthenticated || e.code() == ErrorCode::kPermissionDenied;
}

}  // namespace

std::string ConnectorFingerprint(const domain::SyncConnection& conn) {
  std::string material = conn.connector;
  for (const std::string* part : {&conn.settings, &conn.sealed_secrets}) {
    material += '\0';
    material += std::to_string(part->size());
    material += ':';
    material += *part;
  }
  return Sha256Hex(material);
}

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
      if (!found) {
        DropConnector({org_id, id});
        return NotFound("no connection " + id + " in this organization");
      }
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
    const std::string fingerprint = ConnectorFingerprint(conn);
    auto connector = TakeConnector(conn, fingerprint);
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
    Result<RunOutcome> ran = engine.Run(conn, **connector, mode);
    // Refused credentials: the next run reads them again (an update may
    // have fixed them) with a new connector. Other failures (the source
    // down, a bad record) keep it: its token and indexes are still good.
    if (ran.ok() || !RefusedCredentials(ran.error())) {
      KeepConnector({org_id, id}, fingerprint, std::move(*connector));
    }
    return ran;
  }();
  release();
  return outcome;
}

Result<std::unique_ptr<Connector>> SyncRunner::TakeConnector(const domain::SyncConnection& conn,
                                                            const std::string& fingerprint) {
  std::unique_ptr<Connector> kept;
  std::unique_ptr<Connector> stale;  // closed outside the lock
  {
    std::lock_guard lock(connectors_mu_);
    auto it = connectors_.find({conn.meta.org_id, conn.meta.id});
    if (it != connectors_.end()) {
      if (it->second.fingerprint == fingerprint) {
        kept = std::move(it->second.connector);
      } else {
        stale = std::move(it->second.connector);
      }
      connectors_.erase(it);
    }
  }
  if (kept) return kept;
  return connections_.Open(conn);
}

void SyncRunner::KeepConnector(const ConnectionKey& key, std::string fingerprint,
                               std::unique_ptr<Connector> connector) {
  std::unique_ptr<Connector> replaced;
  std::lock_guard lock(connectors_mu_);
  KeptConnector& slot = connectors_[key];
  replaced = std::move(slot.connector);
  slot = KeptConnector{std::move(fingerprint), std::move(connector), ctx_.clock.Now()};
}

void SyncRunner::DropConnector(const ConnectionKey& key) {
  std::unique_ptr<Connector> dropped;
  std::lock_guard lock(connectors_mu_);
  auto it = connectors_.find(key);
  if (it == connectors_.end()) return;
  dropped = std::move(it->second.connector);
  connectors_.erase(it);
}

size_t SyncRunner::kept_connectors() const {
  std::lock_guard lock(connectors_mu_);
  return connectors_.size();
}

void SyncRunner::SweepConnectors() {
  const Timestamp now = ctx_.clock.Now();
  std::vector<std::pair<ConnectionKey, std::string>> to_check;
  std::vector<ConnectionKey> to_drop;
  {
    std::lock_guard lock(connectors_mu_);
    if (connectors_.empty() || (last_sweep_ && now - *last_sweep_ < kSweepEvery)) return;
    last_sweep_ = now;
    for (const auto& [key, kept] : connectors_) {
      if (now - kept.last_used > options_.connector_idle) {
        to_drop.push_back(key);
      } else {
        to_check.emplace_back(key, kept.fingerprint);
      }
    }
  }
  {
    auto c = ctx_.db.Acquire();
    if (!c.ok()) {
      spdlog::warn("sync: could not check the kept connectors: {}", c.error().message());
    } else {
      store::RecordRepository<domain::SyncConnection> repo(domain::SyncConnectionSpec());
      for (const auto& [key, fingerprint] : to_check) {
        auto found = repo.Find(**c, key.first, key.second);
        if (!found.ok()) {
          spdlog::warn("sync: could not check connection {}: {}", key.second,
                       found.error().message());
          continue;
        }
        if (!*found || !(*found)->enabled || ConnectorFingerprint(**found) != fingerprint) {
          to_drop.push_back(key);
        }
      }
    }
  }
  for (const auto& key : to_drop) DropConnector(key);
}

Result<int> SyncRunner::RunDue() {
  SweepConnectors();
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
