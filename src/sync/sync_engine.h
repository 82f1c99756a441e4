// One run of one connection: the webhook hints waiting in its inbox, then
// each stream of the connector's policy from its stored cursor, a page at
// a time. Each page and its cursor commit in one transaction, so a crash
// replays at most the page in flight (idempotent: versions dedupe).
//
// A full run (the backfill, a resync) walks every stream from the start
// under one scan id stamped on every reference it sees; once every stream
// has been walked to its end, the references the scan did not see are the
// records the source deleted, and follow the policy's deletion rule
// (ChangeDetection::kSnapshotDiff). A full run cut short resumes where it
// stopped on the next run, under the same scan id.
//
// After the streams, invoices whose remote PDF has no stored copy get one
// (a bounded number per run; the rest on the next runs): the dunning
// e-mails attach the stored copy.
//
// References the engine does not know yet (an invoice delivered by webhook
// before its customer) are fetched from the connector first.
//
// Not thread-safe; the scheduler (sync_runner.h) gives a connection to one
// runner at a time.
#pragma once

#include <functional>
#include <string>

#include "domain/entities.h"
#include "services/context.h"
#include "sync/connector.h"
#include "sync/record_writer.h"

namespace relance::sync {

struct EngineOptions {
  // Where the PDFs the source links to are stored (<dir>/<org>/<invoice>.pdf);
  // empty: documents are not fetched.
  std::string documents_dir;
  int documents_per_run = 200;
};

struct RunOutcome {
  std::string run_id;
  bool full = false;
  WriteStats stats;
  bool scan_completed = false;  // a full walk ended and deletions were applied
  int64_t hints_applied = 0;
  int64_t documents_stored = 0;
};

enum class RunMode {
  kFull,         // every stream from the start, then the snapshot diff
  kIncremental,  // the inbox, then every stream from its cursor
  kInboxOnly,    // only the webhook hints (between scheduled runs)
};

class SyncEngine {
 public:
  // `heartbeat` is called between pages (the scheduler renews its lease
  // there); an error from it stops the run.
  SyncEngine(services::Context ctx, std::function<Result<void>()> heartbeat = {},
             EngineOptions options = {});

  // Runs `connection` with `connector`. The run and the connection's status
  // (last success / error, counters, next run) are recorded whatever the
  // outcome; the error of a failed run is returned after that.
  // The inbox is also drained between the pages of a stream, so webhooks
  // stay real-time during a long backfill.
  Result<RunOutcome> Run(const domain::SyncConnection& connection, Connector& connector,
                         RunMode mode);

 private:
  services::Context ctx_;
  std::function<Result<void>()> heartbeat_;
  EngineOptions options_;
};

// Writes a run's outcome on the connection: status (OK, ERROR, AUTH_ERROR
// for refused credentials), last success or error, counters and when to
// run next (the catch-up interval, or a doubling backoff after failures).
// `run` and `policy` may be null when no run could start (the connector
// could not even be opened). Retried on a version conflict.
Result<void> RecordRunOutcome(const services::Context& ctx, const domain::SyncConnection& conn,
                              const domain::SyncRun* run, const std::optional<Error>& error,
                              const ConnectorPolicy* policy);

}  // namespace relance::sync
