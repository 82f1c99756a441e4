// /api/v1/imports (SPEC §2, R-IMP-4, R-IMP-12..14): upload a file and see
// its preview and proposed mapping, confirm or correct the mapping to start
// the import in the background, follow its progress, read the rejected
// rows (JSON or a CSV report), list past imports, download the templates.
#include <nlohmann/json.hpp>

#include "http/crud.h"
#include "imports/import_fields.h"
#include "imports/import_templates.h"

namespace relance::http {
namespace {

using services::Access;
using Json = nlohmann::json;

constexpr int kMaxRejectionsPage = 1000;
constexpr char kXlsxType[] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

OrderedJson PreviewJson(const imports::ImportPreview& p) {
  OrderedJson j = OrderedJson::object();
  const auto& f = p.format;
  j["format"] = std::string(imports::FileFormatName(f.format));
  if (f.format == imports::FileFormat::kCsv) {
    j["encoding"] = f.encoding;
    j["separator"] = f.separator == '\t' ? std::string("tab") : std::string(1, f.separator);
  } else {
    OrderedJson sheets = OrderedJson::array();
    for (const auto& s : f.sheets) sheets.push_back(s.name);
    j["sheets"] = std::move(sheets);
    j["sheet"] = f.sheet;
  }
  if (!f.note.empty()) j["note"] = f.note;
  j["header"] = p.header;
  OrderedJson rows = OrderedJson::array();
  for (const auto& r : p.rows) {
    OrderedJson row = {{"line", r.line}, {"cells", r.cells}};
    if (!r.problem.empty()) row["problem"] = r.problem;
    rows.push_back(std::move(row));
  }
  j["rows"] = std::move(rows);
  j["proposed_mapping"] = imports::MappingToJson(p.proposed);
  j["unmapped"] = p.proposed.Unmapped();
  OrderedJson fields = OrderedJson::array();
  for (imports::ImportField field : imports::FixedFields()) {
    fields.push_back(imports::TargetName({field, {}}));
  }
  fields.push_back("smart_tags.<key>");
  fields.push_back("custom_fields.<key>");
  j["fields"] = std::move(fields);
  return j;
}

OrderedJson JobJson(const Api& api, domain::ImportJob job) {
  api.imports.AddLiveProgress(job);
  OrderedJson j = RecordToJson(job);
  auto mapping = OrderedJson::parse(job.mapping, nullptr, /*allow_exceptions=*/false);
  InsertBefore(j, "version", "mapping_columns",
               mapping.is_object() ? std::move(mapping) : OrderedJson::object());
  return j;
}

Reply UploadReply(const Api& api, int status, const imports::PreviewedJob& pj) {
  OrderedJson body = OrderedJson::object();
  body["import"] = JobJson(api, pj.job);
  body["preview"] = PreviewJson(pj.preview);
  return JsonReply(status, body);
}

// A form or JSON boolean: true/false, also 1/0 from HTML forms.
Result<bool> FormBool(const std::string& name, const std::string& v) {
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0" || v.empty()) return false;
  return FieldInvalid(name, "must be true or false (got \"" + v + "\")");
}

Result<imports::StartRequest> StartFromJson(const Json& body) {
  imports::StartRequest r;
  std::vector<FieldError> problems;
  for (const auto& [key, value] : body.items()) {
    if (key == "mapping") {
      if (!value.is_object()) {
        problems.push_back({key, "must be an object of \"header\": \"field\" pairs"});
      } else {
        r.mapping = value;
      }
    } else if (key == "keep_valid" || key == "dry_run") {
      if (!value.is_boolean()) {
        problems.push_back({key, "must be true or false"});
      } else {
        (key == "keep_valid" ? r.keep_valid : r.dry_run) = value.get<bool>();
      }
    } else {
      problems.push_back(
          {key, "is not a member of an import start (mapping, keep_valid, dry_run)"});
    }
  }
  if (!problems.empty()) {
    std::string msg = problems[0].field + " " + problems[0].message;
    return InvalidArgument(std::move(msg), std::move(problems));
  }
  return r;
}

Result<imports::StartRequest> StartFromForm(const std::map<std::string, std::string>& fields) {
  Json body = Json::object();
  for (const auto& [key, value] : fields) {
    if (key == "sheet" || key == "start") continue;
    if (key == "mapping") {
      Json m = Json::parse(value, nullptr, /*allow_exceptions=*/false);
      if (m.is_discarded()) return FieldInvalid("mapping", "is not valid JSON");
      body[key] = std::move(m);
    } else if (key == "keep_valid" || key == "dry_run") {
      ASSIGN_OR_RETURN(bool b, FormBool(key, value));
      body[key] = b;
    } else {
      return FieldInvalid(key,
                          "is not a field of the upload form (file, sheet, mapping, "
                          "keep_valid, dry_run, start)");
    }
  }
  return StartFromJson(body);
}

Reply HandleUpload(const Api& api, ApiRequest& req) {
  const Upload& up = *req.upload;
  if (up.temp_path.empty()) {
    return ErrorReply(FieldInvalid("file", "the form has no \"file\" part holding the file"));
  }
  auto start = StartFromForm(up.fields);
  bool start_now = false;
  if (auto it = up.fields.find("start"); start.ok() && it != up.fields.end()) {
    auto b = FormBool("start", it->second);
    if (!b.ok()) start = b.error();
    start_now = b.ok() && *b;
  }
  if (!start.ok()) {
    std::error_code ec;
    std::filesystem::remove(up.temp_path, ec);
    return ErrorReply(start.error());
  }
  imports::UploadedFile file;
  file.temp_path = up.temp_path;
  file.file_name = up.file_name;
  if (auto it = up.fields.find("sheet"); it != up.fields.end()) file.sheet = it->second;
  auto pj = api.imports.Upload(req.who(), file);
  if (!pj.ok()) return ErrorReply(pj.error());
  if (start_now) {
    auto job = api.imports.Start(req.who(), pj->job.meta.id, *start);
    if (!job.ok()) return ErrorReply(job.error());
    pj->job = std::move(*job);
  }
  return UploadReply(api, 201, *pj);
}

Reply FileReply(std::string body, std::string content_type, const std::string& file_name) {
  Reply r;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + file_name + "\"");
  return r;
}

void AddTemplateRoutes(Router& r) {
  RouteDoc csv{"Imports", "Download the CSV template",
               "R-IMP-14: one column per field, headed by its French label, with example rows.",
               "getImportTemplateCsv"};
  csv.response = Body::kFile;
  csv.file_content_type = "text/csv";
  r.Add({"GET", "/api/v1/imports/templates/customers.csv", Access::kRead,
         [](ApiRequest&) {
           return FileReply(imports::CustomerTemplateCsv(), "text/csv; charset=utf-8",
                            "modele-import-clients.csv");
         },
         std::move(csv)});
  RouteDoc xlsx{"Imports", "Download the XLSX template",
                "R-IMP-14: the same columns as the CSV template, and a sheet explaining each.",
                "getImportTemplateXlsx"};
  xlsx.response = Body::kFile;
  xlsx.file_content_type = kXlsxType;
  r.Add({"GET", "/api/v1/imports/templates/customers.xlsx", Access::kRead,
         [](ApiRequest&) -> Reply {
           auto bytes = imports::CustomerTemplateXlsx();
           if (!bytes.ok()) return ErrorReply(bytes.error());
           return FileReply(std::move(*bytes), kXlsxType, "modele-import-clients.xlsx");
         },
         std::move(xlsx)});
}

}  // namespace

void AddImportRoutes(Router& r, const Api& api) {
  AddTemplateRoutes(r);

  RouteDoc upload{"Imports", "Upload a file to import customers and contacts",
                  "multipart/form-data with the file in a part named \"file\" (CSV, XLSX, XLS or "
                  "XLSB; the format is detected from the content). Answers the preview: the "
                  "detected format, encoding and separator, the header, the first rows and the "
                  "proposed mapping of each column. Confirm or correct it with POST "
                  "/api/v1/imports/{id}/start, or send start=true to start at once.",
                  "uploadImport"};
  upload.upload = true;
  upload.form_fields = {
      {"sheet", "string", "Spreadsheets: the sheet to read (default: the first visible one)"},
      {"mapping", "string", "JSON object of corrections: header -> field name or null"},
      {"keep_valid", "boolean", "Write the valid rows even when others are rejected"},
      {"dry_run", "boolean", "Validate and count; write nothing"},
      {"start", "boolean", "Start the import with the proposed (or given) mapping at once"}};
  upload.response_schema = "ImportUpload";
  upload.success_status = 201;
  r.Add({"POST", "/api/v1/imports", Access::kWrite,
         [&api](ApiRequest& req) { return HandleUpload(api, req); }, std::move(upload)});

  RouteDoc preview{"Imports", "Preview an import's file again", "", "previewImport"};
  preview.response_schema = "ImportUpload";
  r.Add({"GET", "/api/v1/imports/{id}/preview", Access::kRead,
         [&api](ApiRequest& req) -> Reply {
           auto pj = api.imports.Preview(req.who(), req.PathParam("id"));
           if (!pj.ok()) return ErrorReply(pj.error());
           return UploadReply(api, 200, *pj);
         },
         std::move(preview)});

  RouteDoc start{"Imports", "Start an import",
                 "Confirms the proposed mapping, with corrections if given, and queues the "
                 "import; it runs in the background: follow it with GET /api/v1/imports/{id}.",
                 "startImport"};
  start.request_schema = "ImportStart";
  start.response_schema = "Import";
  start.success_status = 202;
  r.Add({"POST", "/api/v1/imports/{id}/start", Access::kWrite,
         [&api](ApiRequest& req) -> Reply {
           Json body = Json::object();
           if (!req.body.empty()) {
             auto parsed = BodyObject(req);
             if (!parsed.ok()) return ErrorReply(parsed.error());
             body = std::move(*parsed);
           }
           auto sr = StartFromJson(body);
           if (!sr.ok()) return ErrorReply(sr.error());
           auto job = api.imports.Start(req.who(), req.PathParam("id"), *sr);
           if (!job.ok()) return ErrorReply(job.error());
           return RecordReply(202, JobJson(api, std::move(*job)));
         },
         std::move(start)});

  RouteDoc rejections{"Imports", "List an import's rejected rows",
                      "Every rejected row with its line number, column, value and reason, in "
                      "line order. Pass next_cursor as ?cursor= for the next page.",
                      "listImportRejections"};
  rejections.response_schema = "ImportRejections";
  rejections.query = {{"limit", "integer", "1..1000 (default 100)"},
                      {"cursor", "string", "next_cursor of the previous page"}};
  r.Add({"GET", "/api/v1/imports/{id}/rejections", Access::kRead,
         [&api](ApiRequest& req) -> Reply {
           int64_t after = 0;
           int limit = 100;
           for (const auto& [name, value] : req.http.params) {
             auto n = ParseStrictInt(value);
             if (name == "limit" && n && *n >= 1 && *n <= kMaxRejectionsPage) {
               limit = static_cast<int>(*n);
             } else if (name == "cursor" && n && *n >= 0) {
               after = *n;
             } else {
               return ErrorReply(
                   FieldInvalid(name, name == "limit" || name == "cursor"
                                          ? "is not valid (limit: 1..1000; cursor: a next_cursor)"
                                          : "is not a parameter of this list (limit, cursor)"));
             }
           }
           auto page = api.imports.Rejections(req.who(), req.PathParam("id"), after, limit);
           if (!page.ok()) return ErrorReply(page.error());
           OrderedJson data = OrderedJson::array();
           for (const auto& [seq, x] : *page) {
             data.push_back({{"seq", seq},
                             {"line", x.line},
                             {"column", x.column},
                             {"value", x.value},
                             {"reason", x.reason}});
           }
           OrderedJson body = OrderedJson::object();
           body["data"] = std::move(data);
           body["next_cursor"] = page->size() == static_cast<size_t>(limit)
                                     ? OrderedJson(std::to_string(page->back().first))
                                     : OrderedJson(nullptr);
           return JsonReply(200, body);
         },
         std::move(rejections)});

  RouteDoc report{"Imports", "Download an import's report (CSV)",
                  "line;column;value;reason for every rejected row (UTF-8 with BOM).",
                  "getImportReport"};
  report.response = Body::kFile;
  report.file_content_type = "text/csv";
  r.Add({"GET", "/api/v1/imports/{id}/report.csv", Access::kRead,
         [&api](ApiRequest& req) -> Reply {
           auto csv = api.imports.ReportCsv(req.who(), req.PathParam("id"));
           if (!csv.ok()) return ErrorReply(csv.error());
           return FileReply(std::move(*csv), "text/csv; charset=utf-8",
                            "import-" + req.PathParam("id") + "-report.csv");
         },
         std::move(report)});

  Resource<domain::ImportJob> res;
  res.base = "/api/v1/imports";
  res.schema = "Import";
  res.tag = "Imports";
  res.singular = "import";
  res.create = false;
  res.update = false;
  res.present = [&api](const ApiRequest&, std::span<const domain::ImportJob> items,
                       bool) -> Result<std::vector<OrderedJson>> {
    std::vector<OrderedJson> out;
    out.reserve(items.size());
    for (const auto& job : items) out.push_back(JobJson(api, job));
    return out;
  };
  res.remove_handler = [&api](ApiRequest& req) -> Reply {
    auto done = api.imports.Discard(req.who(), req.PathParam("id"));
    if (!done.ok()) return ErrorReply(done.error());
    return NoContent();
  };
  AddResourceRoutes(r, api, api.import_jobs, std::move(res));
}

}  // namespace relance::http
