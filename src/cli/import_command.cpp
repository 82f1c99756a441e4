// `relance import customers FILE --org ORG`: the bulk import of SPEC §2 run
// in this process, with the same engine, checks and history as an upload to
// the API (imports::ImportService::RunFile). Progress goes to stderr (a bar
// on a terminal, a line per phase otherwise); the outcome goes to stdout.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "cli/commands.h"
#include "imports/import_service.h"
#include "store/record_repository.h"

namespace relance::cli {
namespace {

// The import reads while it writes: two connections are enough.
constexpr int kImportPoolSize = 2;
constexpr size_t kRejectionsShown = 20;

Result<nlohmann::json> ReadMappingFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("--mapping: cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("--mapping: " + path +
                           " is not a JSON object of \"header\": \"field\" pairs");
  }
  return j;
}

class ProgressPrinter {
 public:
  ProgressPrinter(std::ostream& err, bool terminal) : err_(err), terminal_(terminal) {}
  ~ProgressPrinter() {
    if (terminal_ && drawn_) err_ << "\n";
  }
  void operator()(const imports::ImportProgress& p) {
    bool writing = p.phase == imports::ImportPhase::kWriting;
    if (!terminal_) {
      if (writing != last_writing_ || !drawn_) {
        err_ << (writing ? "writing " + std::to_string(p.rows_total) + " rows\n"
                         : std::string("validating rows\n"));
      }
      drawn_ = true;
      last_writing_ = writing;
      return;
    }
    constexpr int kWidth = 30;
    std::string line;
    if (writing && p.rows_total > 0) {
      int filled = static_cast<int>(kWidth * p.rows_done / p.rows_total);
      line = "writing    [" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] " +
             std::to_string(p.rows_done) + " / " + std::to_string(p.rows_total) + " rows";
    } else {
      line = "validating " + std::to_string(p.rows_done) + " rows";
    }
    err_ << "\r" << line << "\x1b[K" << std::flush;
    drawn_ = true;
  }

 private:
  std::ostream& err_;
  bool terminal_;
  bool drawn_ = false;
  bool last_writing_ = false;
};

void PrintPreview(const imports::ImportPreview& p, const CliEnvironment& env) {
  const auto& f = p.format;
  env.out << "format: " << imports::FileFormatName(f.format);
  if (f.format == imports::FileFormat::kCsv) {
    env.out << ", encoding " << f.encoding << ", separator '"
            << (f.separator == '\t' ? std::string("tab") : std::string(1, f.separator)) << "'";
  } else {
    env.out << ", sheet \"" << f.sheet << "\"";
  }
  env.out << "\n";
  if (!f.note.empty()) env.out << "note: " << f.note << "\n";
  env.out << "mapping (file column -> field):\n";
  for (size_t i = 0; i < p.proposed.columns.size(); ++i) {
    const auto& c = p.proposed.columns[i];
    env.out << "  " << p.proposed.headers[i] << " -> "
            << (c ? imports::TargetName(*c) : std::string("(ignored)")) << "\n";
  }
  env.out << p.rows.size() << " first rows read; correct the mapping with --mapping FILE.json "
          << "({\"header\": \"field\" or null})\n";
}

}  // namespace

Result<void> RunImportCustomers(const Settings& s, const ImportOptions& o,
                                const CliEnvironment& env) {
  if (!std::filesystem::is_regular_file(o.file)) {
    return NotFound("no file " + o.file);
  }
  ASSIGN_OR_RETURN(imports::ImportPreview preview, imports::PreviewImportFile(o.file, o.sheet));
  if (o.preview_only) {
    PrintPreview(preview, env);
    return Ok();
  }
  imports::ImportSettings settings;
  settings.keep_valid = o.keep_valid;
  settings.dry_run = o.dry_run;
  settings.sheet = preview.format.sheet;
  settings.mapping = preview.proposed;
  if (o.mapping != "auto") {
    ASSIGN_OR_RETURN(nlohmann::json user, ReadMappingFile(o.mapping));
    ASSIGN_OR_RETURN(settings.mapping,
                     imports::ApplyUserMapping(preview.header, user, /*keep_proposed=*/true));
  }
  RETURN_IF_ERROR(imports::CheckMappingUsable(settings.mapping));

  ASSIGN_OR_RETURN(auto db, OpenMigratedDatabase(s, env, kImportPoolSize));
  ASSIGN_OR_RETURN(services::Principal who, ActingUser(*db, o.org_id, o.user_email));
  services::Context ctx{*db, env.clock};
  imports::ImportService service(ctx, s.data_dir + "/uploads");
  domain::ImportJob job;
  {
    ProgressPrinter printer(env.err, env.err_is_terminal);
    ASSIGN_OR_RETURN(job, service.RunFile(who, o.file, settings, std::ref(printer)));
  }
  env.out << job.message.value_or(job.status) << "\n";
  env.out << "import " << job.meta.id << ": " << job.rows_total << " rows, " << job.rows_rejected
          << " rejected\n";
  if (job.rows_rejected > 0) {
    ASSIGN_OR_RETURN(auto first,
                     service.Rejections(who, job.meta.id, 0, static_cast<int>(kRejectionsShown)));
    for (const auto& [seq, r] : first) {
      env.out << "  line " << r.line;
      if (!r.column.empty()) env.out << ", " << r.column;
      if (!r.value.empty()) env.out << " \"" << r.value << "\"";
      env.out << ": " << r.reason << "\n";
    }
    if (job.rows_rejected > static_cast<int64_t>(first.size())) {
      env.out << "  ... the whole report: --report FILE.csv, or GET /api/v1/imports/" << job.meta.id
              << "/report.csv\n";
    }
  }
  if (o.report) {
    ASSIGN_OR_RETURN(std::string csv, service.ReportCsv(who, job.meta.id));
    std::ofstream out(*o.report, std::ios::binary | std::ios::trunc);
    out << csv;
    if (!out) return Unavailable("cannot write the report to " + *o.report);
  }
  if (job.status != "SUCCEEDED") {
    return Error(ErrorCode::kInvalidArgument, "import failed; nothing was written");
  }
  return Ok();
}

}  // namespace relance::cli
