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
// The runner keeps each connection's open connector between its runs (a
// webhook's run then reuses the connector's access token, connections and
// indexes instead of opening a new one: issue 5's latency). A kept
// connector is dropped, and the next run opens a new one from the stored
// settings and secrets, when
// - the connection's connector, settings or sealed secrets differ from
//   those it was opened with (ConnectionService::Update re-seals them);
//   the connection's version is no use here: every claim and run bumps it;
// - a run ends with refused credentials (kUnauthenticated or
//   kPermissionDenied: the connection's AUTH_ERROR);
// - the connection is deleted or disabled, or its connector has not been
//   used for `connector_idle` (checked by RunDue at most once a minute).
//
// Start/Stop own one background thread; RunDue and RunOne may be called
// from any thread (a connection's connector is taken out of the cache for
// the length of its run, so no two runs share one; the lease already keeps
// a connection to one runner at a time).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

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
  // A kept connector unused for this long is closed (see the file comment).
  std::chrono::minutes connector_idle{60};
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

  // How many connectors are kept between runs now (tests, logs).
  size_t kept_connectors() const;

 private:
  struct KeptConnector {
    std::string fingerprint;  // of the connection it was opened from
    std::unique_ptr<Connector> connector;
    Timestamp last_used{};
  };
  using ConnectionKey = std::pair<std::string, std::string>;  // org id, connection id

  void Loop();
  // The kept connector of `conn` when it was opened from the same settings
  // and secrets (removed from the cache: the caller owns it for its run);
  // else a new one from ConnectionService::Open.
  Result<std::unique_ptr<Connector>> TakeConnector(const domain::SyncConnection& conn,
                                                   const std::string& fingerprint);
  void KeepConnector(const ConnectionKey& key, std::string fingerprint,
                     std::unique_ptr<Connector> connector);
  void DropConnector(const ConnectionKey& key);
  // Drops the kept connectors of deleted, disabled, changed or idle
  // connections; at most once a minute.
  void SweepConnectors();

  services::Context ctx_;
  const ConnectionService& connections_;
  RunnerOptions options_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool woken_ = false;

  mutable std::mutex connectors_mu_;  // guards the two below
  std::map<ConnectionKey, KeptConnector> connectors_;
  std::optional<Timestamp> last_sweep_;
};

// What a kept connector depends on in `conn`: its connector type, settings
// and sealed secrets (a hash of them).
std::string ConnectorFingerprint(const domain::SyncConnection& conn);

}  // namespace relance::sync
