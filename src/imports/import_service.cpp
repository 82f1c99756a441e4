#include "imports/import_service.h"

#include <chrono>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "core/ids.h"
#include "imports/csv_writer.h"
#include "store/import_queries.h"

namespace relance::imports {
namespace {

namespace fs = std::filesystem;
using domain::ImportJob;

std::string SeparatorName(char c) { return c == '\t' ? "tab" : std::string(1, c); }

void Describe(ImportJob& job, const DetectedFormat& f) {
  job.format = std::string(FileFormatName(f.format));
  job.encoding = f.format == FileFormat::kCsv ? f.encoding : "";
  job.separator = f.format == FileFormat::kCsv ? SeparatorName(f.separator) : "";
  job.sheet = f.sheet;
}

std::string OutcomeMessage(const ImportJob& job, const ImportOutcome& o) {
  if (!o.succeeded) {
    return "import failed: " + std::to_string(o.counts.rows_rejected) + " of " +
           std::to_string(o.counts.rows_total) +
           " rows were rejected, so nothing was written; correct them (see the report) and "
           "import again, or keep the valid rows";
  }
  std::string m = job.dry_run ? "dry run succeeded (nothing was written): " : "import succeeded: ";
  m += std::to_string(o.counts.customers_created) + " customers created, " +
       std::to_string(o.counts.customers_updated) + " updated, " +
       std::to_string(o.counts.contacts_created) + " contacts created, " +
       std::to_string(o.counts.contacts_updated) + " updated, " +
       std::to_string(o.counts.groups_linked) + " groups linked";
  if (o.counts.rows_rejected > 0) {
    m += "; " + std::to_string(o.counts.rows_rejected) + " rows rejected (see the report)";
  }
  return m;
}

}  // namespace

ImportService::ImportService(services::Context ctx, std::string uploads_dir)
    : ctx_(ctx), uploads_dir_(std::move(uploads_dir)) {}

ImportService::~ImportService() { Stop(); }

std::string ImportService::FilePath(const ImportJob& job) const {
  return (fs::path(uploads_dir_) / job.meta.org_id / job.meta.id).string() +
         fs::path(job.file_name).extension().string();
}

Result<ImportJob> ImportService::Load(const services::Principal& p, const std::string& id) const {
  RETURN_IF_ERROR(services::Authorize(p, services::Access::kRead));
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  return jobs_.Get(*conn, p.org_id, id);
}

Result<PreviewedJob> ImportService::Upload(const services::Principal& p,
                                           const UploadedFile& file) const {
  auto drop = [&] {
    std::error_code ec;
    fs::remove(file.temp_path, ec);
  };
  if (auto a = services::Authorize(p, services::Access::kWrite); !a.ok()) {
    drop();
    return a.error();
  }
  auto preview = PreviewImportFile(file.temp_path, file.sheet);
  if (!preview.ok()) {
    drop();
    return preview.error();
  }
  PreviewedJob out{ImportJob{}, std::move(*preview)};
  ImportJob& job = out.job;
  Timestamp now = ctx_.clock.Now();
  job.meta = {NewId(kImportPrefix, now), p.org_id, 1, FormatTimestamp(now), FormatTimestamp(now)};
  job.file_name = fs::path(file.file_name).filename().string();
  if (job.file_name.empty()) job.file_name = "upload";
  Describe(job, out.preview.format);
  job.mapping = MappingToJson(out.preview.proposed).dump();
  job.created_by = p.user_id;
  std::error_code ec;
  fs::path dest = FilePath(job);
  fs::create_directories(dest.parent_path(), ec);
  fs::rename(file.temp_path, dest, ec);
  if (ec) {
    drop();
    return Unavailable("cannot keep the uploaded file in " + dest.parent_path().string() + ": " +
                       ec.message());
  }
  auto inserted = store::InTransaction(
      ctx_.db, [&](store::Connection& c) { return jobs_.Insert(c, job); });
  if (!inserted.ok()) {
    fs::remove(dest, ec);
    return inserted.error();
  }
  return out;
}

Result<PreviewedJob> ImportService::Preview(const services::Principal& p,
                                            const std::string& id) const {
  ASSIGN_OR_RETURN(ImportJob job, Load(p, id));
  if (job.status != "PREVIEW" && job.status != "QUEUED") {
    return Error(ErrorCode::kFailedPrecondition,
                 "import " + id + " is " + job.status + ": its file is no longer kept");
  }
  ASSIGN_OR_RETURN(ImportPreview preview, PreviewImportFile(FilePath(job), job.sheet));
  return PreviewedJob{std::move(job), std::move(preview)};
}

Result<ImportJob> ImportService::Start(const services::Principal& p, const std::string& id,
                                       const StartRequest& r) const {
  RETURN_IF_ERROR(services::Authorize(p, services::Access::kWrite));
  ASSIGN_OR_RETURN(PreviewedJob pj, Preview(p, id));
  ImportJob& job = pj.job;
  if (job.status != "PREVIEW") {
    return Conflict("import " + id + " was already started (it is " + job.status + ")");
  }
  ColumnMapping mapping = pj.preview.proposed;
  if (r.mapping) {
    ASSIGN_OR_RETURN(mapping, ApplyUserMapping(pj.preview.header, *r.mapping,
                                               /*keep_proposed=*/true));
  }
  RETURN_IF_ERROR(CheckMappingUsable(mapping));
  ImportJob before = job;
  job.mapping = MappingToJson(mapping).dump();
  job.keep_valid = r.keep_valid;
  job.dry_run = r.dry_run;
  job.status = "QUEUED";
  job.meta.version = before.meta.version + 1;
  job.meta.updated_at = FormatTimestamp(ctx_.clock.Now());
  RETURN_IF_ERROR(
      store::InTransaction(ctx_.db, [&](store::Connection& c) { return jobs_.Update(c, job); }));
  wake_.notify_all();
  return job;
}

Result<ImportJob> ImportService::Get(const services::Principal& p, const std::string& id) const {
  ASSIGN_OR_RETURN(ImportJob job, Load(p, id));
  AddLiveProgress(job);
  return job;
}

void ImportService::AddLiveProgress(ImportJob& job) const {
  if (job.status != "RUNNING") return;
  std::lock_guard lock(mu_);
  auto it = live_.find(job.meta.id);
  if (it == live_.end()) return;
  const ImportProgress& pr = it->second.progress;
  job.phase = pr.phase == ImportPhase::kValidating ? "validating" : "writing";
  job.rows_done = pr.rows_done;
  job.rows_total = pr.rows_total;
}

Result<store::Page<ImportJob>> ImportService::List(const services::Principal& p,
                                                   const store::ListQuery& q) const {
  RETURN_IF_ERROR(services::Authorize(p, services::Access::kRead));
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  return jobs_.List(*conn, p.org_id, q);
}

Result<std::vector<std::pair<int64_t, store::ImportRejection>>> ImportService::Rejections(
    const services::Principal& p, const std::string& id, int64_t after, int limit) const {
  ASSIGN_OR_RETURN(ImportJob job, Load(p, id));
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  return store::ListImportRejections(*conn, p.org_id, job.meta.id, after, limit);
}

Result<std::string> ImportService::ReportCsv(const services::Principal& p,
                                             const std::string& id) const {
  ASSIGN_OR_RETURN(ImportJob job, Load(p, id));
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  std::string out(kUtf8Bom);
  AppendCsvRecord(out, {"line", "column", "value", "reason"});
  constexpr int kPage = 1000;
  for (int64_t after = 0;;) {
    ASSIGN_OR_RETURN(auto page,
                     store::ListImportRejections(*conn, p.org_id, job.meta.id, after, kPage));
    for (const auto& [seq, r] : page) {
      std::string line = std::to_string(r.line);
      AppendCsvRecord(out, {line, r.column, r.value, r.reason});
      after = seq;
    }
    if (page.size() < static_cast<size_t>(kPage)) break;
  }
  return out;
}

Result<void> ImportService::Discard(const services::Principal& p, const std::string& id) const {
  RETURN_IF_ERROR(services::Authorize(p, services::Access::kWrite));
  ASSIGN_OR_RETURN(ImportJob job, Load(p, id));
  if (job.status != "PREVIEW") {
    return Conflict("import " + id + " is " + job.status +
                    "; only an import not yet started can be discarded");
  }
  RETURN_IF_ERROR(store::InTransaction(
      ctx_.db, [&](store::Connection& c) { return jobs_.Delete(c, p.org_id, id); }));
  std::error_code ec;
  fs::remove(FilePath(job), ec);
  return Ok();
}

Result<ImportJob> ImportService::Finish(ImportJob job, const Result<ImportOutcome>& outcome) {
  job.status = "FAILED";
  job.phase.clear();
  job.finished_at = FormatTimestamp(ctx_.clock.Now());
  const std::vector<store::ImportRejection>* rejections = nullptr;
  if (outcome.ok()) {
    const ImportOutcome& o = *outcome;
    job.status = o.succeeded ? "SUCCEEDED" : "FAILED";
    job.rows_total = o.counts.rows_total;
    job.rows_done = o.counts.rows_total;
    job.rows_rejected = o.counts.rows_rejected;
    job.customers_created = o.counts.customers_created;
    job.customers_updated = o.counts.customers_updated;
    job.contacts_created = o.counts.contacts_created;
    job.contacts_updated = o.counts.contacts_updated;
    job.groups_linked = o.counts.groups_linked;
    Describe(job, o.format);
    job.message = OutcomeMessage(job, o);
    if (o.rejections_total > static_cast<int64_t>(o.rejections.size())) {
      *job.message += " (the report lists the first " + std::to_string(o.rejections.size()) +
                      " of " + std::to_string(o.rejections_total) + " problems)";
    }
    rejections = &o.rejections;
  } else {
    job.message = outcome.error().message();
  }
  RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](store::Connection& c) -> Result<void> {
    ASSIGN_OR_RETURN(ImportJob stored, jobs_.Get(c, job.meta.org_id, job.meta.id));
    job.meta.version = stored.meta.version + 1;
    job.meta.updated_at = *job.finished_at;
    RETURN_IF_ERROR(jobs_.Update(c, job));
    RETURN_IF_ERROR(store::DeleteImportRejections(c, job.meta.org_id, job.meta.id));
    if (rejections && !rejections->empty()) {
      RETURN_IF_ERROR(
          store::InsertImportRejections(c, job.meta.org_id, job.meta.id, 1, *rejections));
    }
    return Ok();
  }));
  return job;
}

Result<void> ImportService::RunJob(ImportJob job) {
  // The job runs with the rights its author has now.
  store::RecordRepository<domain::User> users(domain::UserSpec());
  std::optional<domain::User> author;
  {
    ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
    if (job.created_by) {
      ASSIGN_OR_RETURN(author, users.Find(*conn, job.meta.org_id, *job.created_by));
    }
  }
  Result<ImportOutcome> outcome = Error(ErrorCode::kPermissionDenied,
                                        "the user who started this import no longer exists");
  if (author) {
    services::Principal who{job.meta.org_id, author->meta.id, author->role};
    ImportSettings settings;
    settings.keep_valid = job.keep_valid;
    settings.dry_run = job.dry_run;
    settings.sheet = job.sheet;
    settings.stop = &stop_running_;
    auto preview = PreviewImportFile(FilePath(job), job.sheet);
    auto stored_mapping = nlohmann::json::parse(job.mapping, nullptr, false);
    if (!preview.ok()) {
      outcome = preview.error();
    } else if (auto m = ApplyUserMapping(preview->header, stored_mapping, false); !m.ok()) {
      outcome = m.error();
    } else {
      settings.mapping = std::move(*m);
      {
        std::lock_guard lock(mu_);
        live_[job.meta.id] = {};
      }
      outcome = RunCustomerImport(ctx_, who, FilePath(job), settings,
                                  [this, &job](const ImportProgress& pr) {
                                    std::lock_guard lock(mu_);
                                    live_[job.meta.id].progress = pr;
                                  });
    }
  }
  {
    std::lock_guard lock(mu_);
    live_.erase(job.meta.id);
  }
  if (!outcome.ok() && outcome.error().message() == kImportStopped) {
    spdlog::info("import {}: stopped by the shutdown; queued again", job.meta.id);
    return store::InTransaction(ctx_.db, [&](store::Connection& c) {
      return store::RequeueImport(c, job.meta.org_id, job.meta.id);
    });
  }
  auto finished = Finish(job, outcome);
  if (!finished.ok()) return finished.error();
  std::error_code ec;
  fs::remove(FilePath(job), ec);  // the report stays; the customer data file does not
  return Ok();
}

Result<ImportJob> ImportService::RunFile(const services::Principal& p, const std::string& path,
                                         const ImportSettings& settings,
                                         const ProgressFn& progress) {
  RETURN_IF_ERROR(services::Authorize(p, services::Access::kWrite));
  ImportJob job;
  Timestamp now = ctx_.clock.Now();
  job.meta = {NewId(kImportPrefix, now), p.org_id, 1, FormatTimestamp(now), FormatTimestamp(now)};
  job.file_name = fs::path(path).filename().string();
  job.mapping = MappingToJson(settings.mapping).dump();
  job.keep_valid = settings.keep_valid;
  job.dry_run = settings.dry_run;
  job.sheet = settings.sheet;
  job.status = "RUNNING";
  job.phase = "validating";
  job.source = "cli";
  if (!p.user_id.empty()) job.created_by = p.user_id;
  job.started_at = job.meta.created_at;
  RETURN_IF_ERROR(
      store::InTransaction(ctx_.db, [&](store::Connection& c) { return jobs_.Insert(c, job); }));
  Result<ImportOutcome> outcome = RunCustomerImport(ctx_, p, path, settings, progress);
  return Finish(std::move(job), outcome);
}

Result<int> ImportService::RunQueuedJobs() {
  int ran = 0;
  for (;;) {
    if (stop_running_) return ran;
    std::optional<store::ImportJobKey> key;
    RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](store::Connection& c) -> Result<void> {
      ASSIGN_OR_RETURN(key, store::ClaimQueuedImport(c, FormatTimestamp(ctx_.clock.Now())));
      return Ok();
    }));
    if (!key) return ran;
    ImportJob job;
    {
      ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
      ASSIGN_OR_RETURN(job, jobs_.Get(*conn, key->org_id, key->id));
    }
    spdlog::info("import {}: running {} for organization {}", job.meta.id, job.file_name,
                 job.meta.org_id);
    RETURN_IF_ERROR(RunJob(std::move(job)));
    ++ran;
  }
}

Result<void> ImportService::StartWorker() {
  stop_running_ = false;
  RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](store::Connection& c) -> Result<void> {
    ASSIGN_OR_RETURN(int64_t n,
                     store::RecoverInterruptedImports(c, FormatTimestamp(ctx_.clock.Now())));
    if (n > 0) spdlog::warn("imports: {} interrupted import(s) queued again", n);
    return Ok();
  }));
  std::lock_guard lock(mu_);
  stopping_ = false;
  if (!worker_.joinable()) worker_ = std::thread([this] { WorkerLoop(); });
  return Ok();
}

void ImportService::WorkerLoop() {
  // Woken by Start(); the periodic look also finds jobs queued by another
  // server on the same database.
  constexpr auto kPoll = std::chrono::seconds(2);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    if (auto r = RunQueuedJobs(); !r.ok()) {
      spdlog::error("imports: the worker failed: {}", r.error().message());
    }
    lock.lock();
    wake_.wait_for(lock, kPoll);
  }
}

void ImportService::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_running_ = true;
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

}  // namespace relance::imports
