// Import jobs from upload to report (R-IMP-4, R-IMP-12, R-IMP-13):
//
//   Upload(file)    -> PREVIEW  the file is kept in the uploads folder; the
//                               preview proposes a mapping
//   Start(mapping)  -> QUEUED   the user confirmed or corrected it
//   worker          -> RUNNING  -> SUCCEEDED | FAILED, with every rejected
//                               row stored; the uploaded file is deleted
//
// The worker runs inside `relance serve` (StartWorker); a job is claimed by
// one runner only (a conditional update), so several servers on one
// PostgreSQL database never run a job twice. A job left RUNNING by a crash
// is queued again at start-up: its writes were one transaction that never
// committed, so running it again is safe. The CLI runs a job in its own
// process (RunFile), recorded the same way.
//
// Live progress (rows done / total) is kept in memory by the process that
// runs the job and merged into Get(); the stored row has the final counts.
//
// Thread-safe. The context must outlive the service; Stop() (or the
// destructor) joins the worker.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/entities.h"
#include "imports/customer_import.h"
#include "services/context.h"
#include "store/record_repository.h"

namespace relance::imports {

struct UploadedFile {
  std::string temp_path;  // moved into the uploads folder by Upload
  std::string file_name;  // as the user named it (only for display and messages)
  std::string sheet;      // spreadsheets: empty = first visible worksheet
};

struct StartRequest {
  std::optional<nlohmann::json> mapping;  // {"header": "field" | null}; unset = as proposed
  bool keep_valid = false;
  bool dry_run = false;
};

struct PreviewedJob {
  domain::ImportJob job;
  ImportPreview preview;
};

class ImportService {
 public:
  ImportService(services::Context ctx, std::string uploads_dir);
  ~ImportService();
  ImportService(const ImportService&) = delete;
  ImportService& operator=(const ImportService&) = delete;

  // A file that cannot be imported is refused here with a message saying
  // what to do (R-IMP-1..3); nothing is kept then.
  Result<PreviewedJob> Upload(const services::Principal& p, const UploadedFile& file) const;
  Result<PreviewedJob> Preview(const services::Principal& p, const std::string& id) const;
  // The mapping is checked against the file's header before queueing.
  Result<domain::ImportJob> Start(const services::Principal& p, const std::string& id,
                                  const StartRequest& r) const;
  Result<domain::ImportJob> Get(const services::Principal& p, const std::string& id) const;
  Result<store::Page<domain::ImportJob>> List(const services::Principal& p,
                                              const store::ListQuery& q) const;
  // Rejected rows with seq > after, at most limit (1..1000).
  Result<std::vector<std::pair<int64_t, store::ImportRejection>>> Rejections(
      const services::Principal& p, const std::string& id, int64_t after, int limit) const;
  // The report as CSV (UTF-8 with BOM, ';'): line;column;value;reason.
  Result<std::string> ReportCsv(const services::Principal& p, const std::string& id) const;
  // A PREVIEW job is discarded with its file; others stay in the history.
  Result<void> Discard(const services::Principal& p, const std::string& id) const;

  // Runs a file in this process (CLI): the job is recorded with source
  // "cli", the file is read where it is and not deleted.
  Result<domain::ImportJob> RunFile(const services::Principal& p, const std::string& path,
                                    const ImportSettings& settings, const ProgressFn& progress);

  // The background runner of QUEUED jobs; requeues jobs left RUNNING.
  Result<void> StartWorker();
  // Stops the worker; an import it is running stops at its next batch of
  // rows, writes nothing and goes back to the queue for the next start.
  void Stop();
  // Runs every queued job now, on the calling thread (tests, CLI).
  Result<int> RunQueuedJobs();

  const std::string& uploads_dir() const { return uploads_dir_; }
  // Overlays the live progress of a job running in this process.
  void AddLiveProgress(domain::ImportJob& job) const;

 private:
  struct Live {
    ImportProgress progress;
  };
  Result<domain::ImportJob> Load(const services::Principal& p, const std::string& id) const;
  Result<void> RunJob(domain::ImportJob job);
  Result<domain::ImportJob> Finish(domain::ImportJob job, const Result<ImportOutcome>& outcome);
  std::string FilePath(const domain::ImportJob& job) const;
  void WorkerLoop();

  services::Context ctx_;
  std::string uploads_dir_;
  store::RecordRepository<domain::ImportJob> jobs_{domain::ImportJobSpec()};

  mutable std::mutex mu_;
  std::map<std::string, Live> live_;  // by job id, while running here
  mutable std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> stop_running_{false};  // asks the running import to stop
  std::thread worker_;
};

}  // namespace relance::imports
