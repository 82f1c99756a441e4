#include "http/upload.h"

#include <filesystem>
#include <fstream>

#include "core/ids.h"

namespace relance::http {

UploadResult ReceiveUpload(const httplib::ContentReader& reader, const std::string& temp_dir,
                           const UploadLimits& limits) {
  namespace fs = std::filesystem;
  UploadResult r;
  std::error_code ec;
  fs::create_directories(temp_dir, ec);
  std::ofstream file;
  bool in_file = false;
  bool had_file = false;
  std::string field;
  size_t file_bytes = 0;
  size_t field_bytes = 0;
  std::string problem;
  int status = 400;
  const std::string path = (fs::path(temp_dir) / ("upload-" + RandomHex(12))).string();

  bool read = reader(
      [&](const httplib::MultipartFormData& part) {
        in_file = part.name == "file";
        if (!in_file) {
          field = part.name;
          r.upload.fields[field];
          return true;
        }
        if (had_file) {
          problem = "send one file per import (the form has two \"file\" parts)";
          return false;
        }
        had_file = true;
        r.upload.file_name = part.filename;
        file.open(path, std::ios::binary | std::ios::trunc);
        if (!file) {
          problem = "the server cannot store the upload";
          status = 503;
          return false;
        }
        return true;
      },
      [&](const char* data, size_t n) {
        if (in_file) {
          file_bytes += n;
          if (file_bytes > limits.max_file_bytes) {
            problem = "the file is larger than " + std::to_string(limits.max_file_bytes >> 20) +
                      " MiB; split it into several imports";
            status = 413;
            return false;
          }
          file.write(data, static_cast<std::streamsize>(n));
          return static_cast<bool>(file);
        }
        field_bytes += n;
        if (field_bytes > limits.max_field_bytes) {
          problem = "the form fields other than the file are larger than 1 MiB";
          status = 413;
          return false;
        }
        r.upload.fields[field].append(data, n);
        return true;
      });
  file.close();
  if (!read || !problem.empty()) {
    fs::remove(path, ec);
    if (problem.empty()) problem = "the multipart body could not be read";
    r.error =
        ApiError{status, status == 413 ? "payload_too_large" : "malformed_request", problem, {}};
    return r;
  }
  if (had_file) r.upload.temp_path = path;
  r.ok = true;
  return r;
}

}  // namespace relance::http
