// Receiving a file upload (multipart/form-data) without holding it in
// memory: the part named "file" streams to a temporary file in the uploads
// folder, the other parts (small form fields) are kept as text. Internal to
// src/http.
#pragma once

#include <httplib.h>

#include <map>
#include <string>

#include "http/error_response.h"

namespace relance::http {

struct Upload {
  std::string temp_path;  // empty when the request had no file part
  std::string file_name;  // as the client named it
  std::map<std::string, std::string> fields;
};

struct UploadLimits {
  size_t max_file_bytes = size_t{256} << 20;
  size_t max_field_bytes = size_t{1} << 20;  // all other fields together
};

// Reads the whole multipart body. On failure the temporary file is removed
// and the error says why (413 too large, 400 unreadable or two files).
struct UploadResult {
  bool ok = false;
  Upload upload;
  ApiError error;
};
UploadResult ReceiveUpload(const httplib::ContentReader& reader, const std::string& temp_dir,
                           const UploadLimits& limits);

}  // namespace relance::http
