#include "sync/sync_engine.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string_view>
#include <unordered_set>

#include "core/ids.h"
#include "domain/entity_spec.h"
#include "store/record_repository.h"
#include "store/sync_queries.h"

namespace relance::sync {
namespace {

using domain::SyncConnection;
using domain::SyncRun;

// The cursor row that holds the state of the full scan, beside the streams'.
constexpr std::string_view kScanRow = "";
constexpr std::string_view kScanRunning = "RUNNING";
constexpr int kInboxBatch = 200;
constexpr int kResolveRounds = 3;
constexpr size_t kWriteBatch = 5000;
// A run refreshes the planner's statistics of the tables it writes when it
// has written this many records, then each time it has doubled them: a
// backfill into empty tables would otherwise be planned as if they were
// still empty until autovacuum came by (store::RefreshPlannerStatistics);
// a few ANALYZEs in all, however large the run, and none for a small one.
constexpr int64_t kFirstStatisticsRefresh = 2000;
constexpr std::string_view kWrittenTables[] = {"customers",     "contacts",    "invoices",
                                               "payments",      "allocations", "external_refs",
                                               "sync_changes"};

std::string Now(const services::Context& ctx) { return FormatTimestamp(ctx.clock.Now()); }

std::string Later(const services::Context& ctx, std::chrono::seconds delay) {
  return FormatTimestamp(ctx.clock.Now() + std::chrono::duration_cast<std::chrono::microseconds>(delay));
}

// Retry delay after `failures` failed runs in a row: 30 s doubling, at most an hour.
std::chrono::seconds Backoff(int64_t failures) {
  int64_t shift = std::min<int64_t>(failures - 1, 7);
  return std::min(std::chrono::seconds(30 << std::max<int64_t>(shift, 0)), std::chrono::seconds(3600));
}

std::chrono::seconds CatchUpInterval(const ConnectorPolicy& policy) {
  std::chrono::seconds every{std::chrono::minutes(15)};
  for (const auto& s : policy.streams) every = std::min(every, s.catch_up_every);
  return every;
}

void Add(WriteStats& into, const WriteStats& s) {
  into.created += s.created;
  into.updated += s.updated;
  into.deleted += s.deleted;
  into.unchanged += s.unchanged;
  into.rejected += s.rejected;
}

class RunState {
 public:
  RunState(services::Context ctx, const SyncConnection& conn, Connector& connector,
           const std::function<Result<void>()>& heartbeat)
      : ctx_(ctx), conn_(conn), connector_(connector), policy_(connector.policy()),
        heartbeat_(heartbeat) {}

  Result<void> Begin(RunMode mode, SyncRun& run) {
    bool full = mode == RunMode::kFull;
    ASSIGN_OR_RETURN(auto pooled, ctx_.db.Acquire());
    ASSIGN_OR_RETURN(cursors_, store::LoadCursors(*pooled, conn_.meta.org_id, conn_.meta.id));
    auto scan = cursors_.find(std::string(kScanRow));
    bool resuming = scan != cursors_.end() && scan->second.cursor == kScanRunning;
    full_ = full || resuming;
    if (resuming) {
      scan_id_ = scan->second.scan_id;
    } else if (full_) {
      // A new full scan: every stream from the start, under a new scan id.
      scan_id_ = run.meta.id;
      std::optional<std::string> last = scan == cursors_.end() ? std::nullopt
                                                                : scan->second.last_full_scan_at;
      RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](store::Connection& c) -> Result<void> {
        RETURN_IF_ERROR(store::ResetCursors(c, conn_.meta.org_id, conn_.meta.id));
        return store::SaveCursor(c, conn_.meta.org_id, conn_.meta.id, std::string(kScanRow),
                                 {std::string(kScanRunning), scan_id_, last}, Now(ctx_));
      }));
      cursors_.clear();
      cursors_[std::string(kScanRow)] = {std::string(kScanRunning), scan_id_, last};
    } else {
      scan_id_ = scan == cursors_.end() ? run.meta.id : scan->second.scan_id;
    }
    run.kind = full_ ? "BACKFILL" : mode == RunMode::kInboxOnly ? "WEBHOOKS" : "INCREMENTAL";
    scope_ = {conn_.meta.org_id, conn_.meta.id, run.meta.id, scan_id_};
    return Ok();
  }

  bool full() const { return full_; }
  const WriteStats& stats() const { return stats_; }
  int64_t hints() const { return hints_; }
  bool scan_completed() const { return scan_completed_; }

  // Webhook hints first: they are the freshest changes.
  Result<void> DrainInbox() {
    for (;;) {
      std::vector<store::InboxRow> rows;
      {
        ASSIGN_OR_RETURN(auto pooled, ctx_.db.Acquire());
        ASSIGN_OR_RETURN(rows, store::PeekInbox(*pooled, conn_.meta.org_id, conn_.meta.id,
                                                kInboxBatch));
      }
      if (rows.empty()) return Ok();
      // Duplicated deliveries of one object are one re-fetch.
      std::set<std::pair<std::string, std::string>> done;
      std::vector<SourceRecord> records;
      std::vector<std::string> ids;
      for (const auto& row : rows) {
        ids.push_back(row.id);
        if (!done.insert({row.object_type, row.object_id}).second) continue;
        ASSIGN_OR_RETURN(auto fetched,
                         connector_.Refetch({row.object_type, row.object_id, row.event}));
        for (auto& r : fetched) records.push_back(std::move(r));
      }
      ASSIGN_OR_RETURN(KnownRefs known, ResolveReferences(records));
      RETURN_IF_ERROR(WritePage(
          records,
          [&](store::Connection& c) {
            return store::DeleteInbox(c, conn_.meta.org_id, conn_.meta.id, ids);
          },
          std::move(known)));
      hints_ += static_cast<int64_t>(rows.size());
      RETURN_IF_ERROR(Beat());
    }
  }

  Result<void> WalkStreams() {
    for (const auto& stream : policy_.streams) {
      auto& row = cursors_[stream.name];
      // In a full scan, a stream already walked to its end under this scan id is done.
      if (full_ && row.scan_id == scan_id_ && row.last_full_scan_at) continue;
      // Pages are written a few at a time: one transaction per batch of
      // about kWriteBatch records (the store writes far fewer index pages
      // per record than with one transaction per page of 100), with the
      // cursor of the batch's last page.
      std::vector<SourceRecord> batch;
      batch.reserve(kWriteBatch);  // records are large: grown, each would move several times
      std::string cursor = row.cursor;
      for (;;) {
        ASSIGN_OR_RETURN(FetchPage page, connector_.Fetch(stream.name, cursor));
        cursor = page.next_cursor;
        for (auto& r : page.records) batch.push_back(std::move(r));
        if (batch.size() < kWriteBatch && page.more) continue;
        ASSIGN_OR_RETURN(KnownRefs known, ResolveReferences(batch));
        store::CursorRow next{cursor, row.scan_id, row.last_full_scan_at};
        if (full_ && page.scan_complete) {
          next.scan_id = scan_id_;
          next.last_full_scan_at = Now(ctx_);
        }
        RETURN_IF_ERROR(WritePage(
            batch,
            [&](store::Connection& c) {
              return store::SaveCursor(c, conn_.meta.org_id, conn_.meta.id, stream.name, next,
                                       Now(ctx_));
            },
            std::move(known)));
        batch.clear();
        row = next;
        RETURN_IF_ERROR(Beat());
        RETURN_IF_ERROR(DrainInbox());
        if (!page.more) break;
      }
    }
    return Ok();
  }

  // After every stream of a full scan: what it did not see is gone.
  Result<void> ApplySnapshotDiff() {
    if (!full_) return Ok();
    for (const auto& pol : policy_.entities) {
      if (std::find(pol.detection.begin(), pol.detection.end(), ChangeDetection::kSnapshotDiff) ==
          pol.detection.end()) {
        continue;
      }
      std::vector<std::string> gone;
      {
        ASSIGN_OR_RETURN(auto pooled, ctx_.db.Acquire());
        ASSIGN_OR_RETURN(gone, store::RefsNotSeen(*pooled, conn_.meta.org_id, policy_.connector,
                                                  std::string(EntityName(pol.kind)), scan_id_));
      }
      for (size_t i = 0; i < gone.size(); i += kInboxBatch) {
        std::vector<SourceRecord> page;
        for (size_t j = i; j < std::min(gone.size(), i + kInboxBatch); ++j) {
          SourceRecord r;
          r.kind = pol.kind;
          r.external_id = gone[j];
          r.deleted = true;
          page.push_back(std::move(r));
        }
        RETURN_IF_ERROR(WritePage(page, nullptr));
      }
    }
    auto& scan = cursors_[std::string(kScanRow)];
    scan = {"DONE", scan_id_, Now(ctx_)};
    RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](store::Connection& c) {
      return store::SaveCursor(c, conn_.meta.org_id, conn_.meta.id, std::string(kScanRow), scan,
                               Now(ctx_));
    }));
    scan_completed_ = true;
    return Ok();
  }

 private:
  Result<void> Beat() { return heartbeat_ ? heartbeat_() : Ok(); }

  // `known`: references ResolveReferences read for these records, which
  // the writer takes as they are rather than reading them again.
  Result<void> WritePage(std::vector<SourceRecord>& records,
                         const std::function<Result<void>(store::Connection&)>& also,
                         KnownRefs known = {}) {
    RecordWriter writer(ctx_, policy_, scope_);
    WriteStats page_stats;
    RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](store::Connection& c) -> Result<void> {
      ASSIGN_OR_RETURN(page_stats, writer.Write(c, records, std::move(known)));
      if (also) RETURN_IF_ERROR(also(c));
      return Ok();
    }));
    Add(stats_, page_stats);
    written_ += static_cast<int64_t>(records.size());
    if (written_ >= next_statistics_refresh_) {
      RETURN_IF_ERROR(store::RefreshPlannerStatistics(ctx_.db, kWrittenTables));
      next_statistics_refresh_ = 2 * written_;
    }
    return Ok();
  }

  // Customers (and invoices named by allocations) that the records refer to
  // and that are neither stored nor in the page are fetched and put first.
  // Returns the stored references it found on the way.
  Result<KnownRefs> ResolveReferences(std::vector<SourceRecord>& records) {
    KnownRefs found;
    for (int round = 0; round < kResolveRounds; ++round) {
      // Views of the records' ids: the records stay put until the end of
      // the round. The wanted ids are sorted so that fetches go in a stable
      // order.
      std::unordered_set<std::string_view> customers_in_page, invoices_in_page;
      std::vector<std::string_view> wanted_customers, wanted_invoices;
      for (const auto& r : records) {
        if (r.kind == EntityKind::kCustomer) customers_in_page.insert(r.external_id);
        if (r.kind == EntityKind::kInvoice || r.kind == EntityKind::kCreditNote) {
          invoices_in_page.insert(r.external_id);
        }
        if (r.deleted) continue;
        std::visit(
            [&](const auto& d) {
              using D = std::decay_t<decltype(d)>;
              if constexpr (std::is_same_v<D, SourceCustomer>) {
                if (d.parent_external_id) wanted_customers.push_back(*d.parent_external_id);
              } else {
                if (!d.customer_external_id.empty()) wanted_customers.push_back(d.customer_external_id);
              }
              if constexpr (std::is_same_v<D, SourceInvoice> || std::is_same_v<D, SourcePayment>) {
                for (const auto& a : d.allocations) wanted_invoices.push_back(a.invoice_external_id);
              }
            },
            r.data);
      }
      const std::pair<std::string, std::vector<std::string>> wanted[] = {
          {"customer", Missing(wanted_customers, customers_in_page)},
          {"invoice", Missing(wanted_invoices, invoices_in_page)}};
      std::vector<SourceRecord> fetched;
      for (const auto& [entity, ids] : wanted) {
        if (ids.empty()) continue;
        std::unordered_map<std::string, store::RefRow> known;
        {
          ASSIGN_OR_RETURN(auto pooled, ctx_.db.Acquire());
          ASSIGN_OR_RETURN(known, store::FindRefs(*pooled, conn_.meta.org_id, policy_.connector,
                                                  entity, ids));
        }
        for (const auto& id : ids) {
          if (auto it = known.find(id); it != known.end()) {
            found[entity].insert(*it);
            continue;
          }
          EntityKind kind = entity == "customer" ? EntityKind::kCustomer
                            : id.starts_with("credit") ? EntityKind::kCreditNote
                                                       : EntityKind::kInvoice;
          ASSIGN_OR_RETURN(auto got, connector_.FetchOne(kind, id));
          if (got.empty()) unresolvable_.insert(id);
          for (auto& g : got) fetched.push_back(std::move(g));
        }
      }
      if (fetched.empty()) return found;
      for (auto& r : records) fetched.push_back(std::move(r));
      records = std::move(fetched);
    }
    return found;
  }

  // The `wanted` ids, once each and in order, that are neither in the page
  // nor known to be missing from the source.
  std::vector<std::string> Missing(std::vector<std::string_view>& wanted,
                                   const std::unordered_set<std::string_view>& in_page) const {
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    std::vector<std::string> out;
    for (std::string_view id : wanted) {
      if (!in_page.contains(id) && !unresolvable_.contains(id)) out.emplace_back(id);
    }
    return out;
  }

  services::Context ctx_;
  const SyncConnection& conn_;
  Connector& connector_;
  const ConnectorPolicy& policy_;
  const std::function<Result<void>()>& heartbeat_;
  std::map<std::string, store::CursorRow> cursors_;
  std::string scan_id_;
  bool full_ = false;
  bool scan_completed_ = false;
  WriterScope scope_;
  WriteStats stats_;
  int64_t written_ = 0;  // records of this run's pages, written or not
  int64_t next_statistics_refresh_ = kFirstStatisticsRefresh;
  int64_t hints_ = 0;
  std::set<std::string, std::less<>> unresolvable_;
};


// Fetches the remote PDFs that have no stored copy. A document the source
// refuses (gone, not a PDF) is marked with an empty path and not asked for
// again; an unreachable source stops the phase until the next run.
Result<int64_t> StoreDocuments(const services::Context& ctx, const SyncConnection& conn,
                               Connector& connector, const EngineOptions& options) {
  std::vector<std::pair<std::string, std::string>> missing;
  {
    ASSIGN_OR_RETURN(auto pooled, ctx.db.Acquire());
    ASSIGN_OR_RETURN(missing, store::InvoicesMissingDocument(*pooled, conn.meta.org_id,
                                                             conn.connector,
                                                             options.documents_per_run));
  }
  namespace fs = std::filesystem;
  fs::path dir = fs::path(options.documents_dir) / conn.meta.org_id;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Internal("cannot create the documents folder " + dir.string() + ": " + ec.message());
  store::RecordRepository<domain::Invoice> invoices(domain::InvoiceSpec());
  int64_t stored = 0;
  for (const auto& [invoice_id, url] : missing) {
    auto bytes = connector.FetchDocument(url);
    if (!bytes.ok() && bytes.error().code() == ErrorCode::kUnavailable) return bytes.error();
    std::string path;
    if (bytes.ok() && bytes->rfind("%PDF-", 0) == 0) {
      path = (dir / (invoice_id + ".pdf")).string();
      std::string tmp = path + ".tmp";
      {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
        if (!out) return Internal("cannot write " + tmp);
      }
      fs::rename(tmp, path, ec);
      if (ec) return Internal("cannot store " + path + ": " + ec.message());
    }
    RETURN_IF_ERROR(store::InTransaction(ctx.db, [&](store::Connection& c) -> Result<void> {
      ASSIGN_OR_RETURN(auto inv, invoices.Find(c, conn.meta.org_id, invoice_id));
      if (!inv || inv->pdf_url != url) return Ok();  // changed meanwhile: next run
      inv->pdf_file = path;
      inv->meta.version += 1;
      inv->meta.updated_at = Now(ctx);
      return invoices.Update(c, *inv);
    }));
    if (!path.empty()) ++stored;
  }
  return stored;
}

}  // namespace

SyncEngine::SyncEngine(services::Context ctx, std::function<Result<void>()> heartbeat,
                       EngineOptions options)
    : ctx_(ctx), heartbeat_(std::move(heartbeat)), options_(std::move(options)) {}

Result<RunOutcome> SyncEngine::Run(const SyncConnection& connection, Connector& connector,
                                   RunMode mode) {
  store::RecordRepository<SyncRun> runs(domain::SyncRunSpec());
  SyncRun run;
  std::string now = Now(ctx_);
  run.meta = {NewId(kSyncRunPrefix, ctx_.clock.Now()), connection.meta.org_id, 1, now, now};
  run.connection_id = connection.meta.id;
  RunState state(ctx_, connection, connector, heartbeat_);
  Result<void> outcome = state.Begin(mode, run);
  bool walk = mode != RunMode::kInboxOnly || state.full();
  RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](store::Connection& c) {
    return runs.Insert(c, run);
  }));
  if (outcome.ok()) outcome = state.DrainInbox();
  if (outcome.ok() && walk) outcome = state.WalkStreams();
  if (outcome.ok() && walk) outcome = state.ApplySnapshotDiff();
  int64_t documents = 0;
  if (outcome.ok() && walk && !options_.documents_dir.empty()) {
    auto stored = StoreDocuments(ctx_, connection, connector, options_);
    if (stored.ok()) documents = *stored;
    else outcome = stored.error();
  }

  run.status = outcome.ok() ? "SUCCEEDED" : "FAILED";
  run.finished_at = Now(ctx_);
  run.records_written = state.stats().written();
  run.records_unchanged = state.stats().unchanged;
  run.records_rejected = state.stats().rejected;
  if (!outcome.ok()) run.error = outcome.error().message();
  run.meta.version = 2;
  run.meta.updated_at = *run.finished_at;
  std::optional<Error> error;
  if (!outcome.ok()) error = outcome.error();
  RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](store::Connection& c) {
    return runs.Update(c, run);
  }));
  RETURN_IF_ERROR(RecordRunOutcome(ctx_, connection, &run, error, &connector.policy()));
  if (error) return *error;
  return RunOutcome{run.meta.id, state.full(), state.stats(), state.scan_completed(),
                    state.hints(), documents};
}

// Writes the run's outcome on the connection: status, last success or
// error, counters and when to run next. Retried on a version conflict (a
// lease renewal or an API edit in between).
Result<void> RecordRunOutcome(const services::Context& ctx, const SyncConnection& conn,
                              const SyncRun* run, const std::optional<Error>& error,
                              const ConnectorPolicy* policy) {
  store::RecordRepository<SyncConnection> repo(domain::SyncConnectionSpec());
  for (int attempt = 0;; ++attempt) {
    auto r = store::InTransaction(ctx.db, [&](store::Connection& c) -> Result<void> {
      ASSIGN_OR_RETURN(SyncConnection s, repo.Get(c, conn.meta.org_id, conn.meta.id));
      std::string now = Now(ctx);
      s.last_run_at = now;
      if (run != nullptr) {
        s.records_written += run->records_written;
        s.records_rejected += run->records_rejected;
      }
      if (!error) {
        s.status = "OK";
        s.last_success_at = now;
        s.consecutive_failures = 0;
        if (run != nullptr && run->kind == "BACKFILL") s.backfill_requested = false;
        // A run of webhook hints alone leaves the streams' schedule as it was.
        if (run == nullptr || run->kind != "WEBHOOKS") {
          s.next_run_at = Later(ctx, policy ? CatchUpInterval(*policy) : std::chrono::minutes(15));
        }
      } else {
        bool auth = error->code() == ErrorCode::kUnauthenticated ||
                    error->code() == ErrorCode::kPermissionDenied;
        s.status = auth ? "AUTH_ERROR" : "ERROR";
        s.last_error = error->message();
        s.last_error_at = now;
        s.consecutive_failures += 1;
        s.next_run_at = Later(ctx, Backoff(s.consecutive_failures));
      }
      s.meta.version += 1;
      s.meta.updated_at = now;
      return repo.Update(c, s);
    });
    if (r.ok() || r.error().code() != ErrorCode::kConflict || attempt >= 5) return r;
  }
}

}  // namespace relance::sync
