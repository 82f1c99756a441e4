#include "imports/readers/zip_archive.h"

#include <zip.h>

#include <cstring>
#include <system_error>

namespace relance::imports {
namespace {

Error ResourceExhausted(std::string m) {
  return Error(ErrorCode::kResourceExhausted, std::move(m));
}

Error Damaged(std::string_view detail) {
  return InvalidArgument("the file is damaged and cannot be read (" + std::string(detail) +
                         "): open it in Excel, save it again as XLSX, and import the new file");
}

std::string Mb(uint64_t bytes) { return std::to_string(bytes >> 20) + " MB"; }

}  // namespace

std::string NormalizePartName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c == '\\') c = '/';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    out.push_back(c);
  }
  size_t start = out.find_first_not_of('/');
  return start == std::string::npos ? std::string() : out.substr(start);
}

ZipEntryReader::~ZipEntryReader() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  if (file_ != nullptr) zip_fclose(file_);
}

void ZipEntryReader::StartPrefetch() {
  try {
    thread_ = std::thread([this] { PrefetchLoop(); });
  } catch (const std::system_error&) {
    // No thread to be had: read inline, as for small parts.
  }
}

void ZipEntryReader::PrefetchLoop() {
  constexpr size_t kBlock = 256 * 1024;
  constexpr size_t kAhead = 4;
  while (true) {
    std::string block;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || ready_.size() < kAhead; });
      if (stop_) return;
      if (!spare_.empty()) {
        block = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    block.resize(kBlock);
    auto r = ReadDirect(block.data(), block.size());
    std::lock_guard<std::mutex> lock(mu_);
    if (!r.ok()) {
      error_ = std::move(r).take_error();
      finished_ = true;
    } else if (*r == 0) {
      finished_ = true;
    } else {
      block.resize(*r);
      ready_.push_back(std::move(block));
    }
    cv_.notify_all();
    if (finished_) return;
  }
}

Result<size_t> ZipEntryReader::Read(char* buf, size_t n) {
  if (!thread_.joinable()) return ReadDirect(buf, n);
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !ready_.empty() || finished_; });
  if (ready_.empty()) {
    if (error_) return *error_;
    return size_t{0};
  }
  const std::string& front = ready_.front();
  size_t k = std::min(n, front.size() - front_offset_);
  std::memcpy(buf, front.data() + front_offset_, k);
  front_offset_ += k;
  if (front_offset_ == front.size()) {
    spare_.push_back(std::move(ready_.front()));
    ready_.pop_front();
    front_offset_ = 0;
    cv_.notify_all();
  }
  return k;
}

Result<size_t> ZipEntryReader::ReadDirect(char* buf, size_t n) {
  zip_int64_t r = zip_fread(file_, buf, n);
  if (r < 0) return Damaged("part " + name_ + ": " + zip_file_strerror(file_));
  read_ += static_cast<uint64_t>(r);
  if (read_ > declared_) {
    return InvalidArgument("part " + name_ +
                           " inflates to more than the size its header declares: the file is "
                           "damaged or a zip bomb, and was refused");
  }
  if (read_ > cap_) {
    return ResourceExhausted("part " + name_ + " is larger than " + Mb(cap_) +
                             " once uncompressed; the file was refused");
  }
  return static_cast<size_t>(r);
}

Result<std::unique_ptr<ZipArchive>> ZipArchive::Open(ByteSource* source,
                                                     const ReaderLimits& limits) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = nullptr;
  if (const std::string_view* mem = source->memory()) {
    src = zip_source_buffer_create(mem->data(), mem->size(), 0, &err);
  } else {
    src = zip_source_file_create(source->path().c_str(), 0, -1, &err);
  }
  if (src == nullptr) {
    std::string m = zip_error_strerror(&err);
    zip_error_fini(&err);
    return Damaged(m);
  }
  zip_t* z = zip_open_from_source(src, ZIP_RDONLY, &err);
  if (z == nullptr) {
    std::string m = zip_error_strerror(&err);
    zip_source_free(src);
    zip_error_fini(&err);
    return Damaged(m);
  }
  zip_error_fini(&err);
  std::unique_ptr<ZipArchive> a(new ZipArchive());
  a->zip_ = z;
  a->limits_ = limits;
  zip_int64_t n = zip_get_num_entries(z, 0);
  if (n < 0 || n > 1'000'000) return Damaged("too many entries");
  a->names_.reserve(static_cast<size_t>(n));
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(z, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW);
    std::string norm = name ? NormalizePartName(name) : std::string();
    a->index_.emplace(norm, static_cast<uint64_t>(i));  // first one wins
    a->names_.push_back(std::move(norm));
  }
  return a;
}

ZipArchive::~ZipArchive() {
  if (zip_ != nullptr) zip_discard(zip_);
}

bool ZipArchive::Has(std::string_view part) const {
  return index_.count(NormalizePartName(part)) != 0;
}

Result<std::unique_ptr<ZipEntryReader>> ZipArchive::OpenPart(std::string_view part, bool prefetch) {
  std::string norm = NormalizePartName(part);
  auto it = index_.find(norm);
  if (it == index_.end()) return Damaged("part " + norm + " is missing");
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(zip_, it->second, 0, &st) != 0) return Damaged("part " + norm);
  if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
    return InvalidArgument(
        "the file is password-protected: remove the password in Excel and import again");
  }
  const uint64_t size = (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
  const uint64_t comp = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
  if (size > limits_.max_part_bytes) {
    return ResourceExhausted("part " + norm + " would be " + Mb(size) +
                             " once uncompressed, more than the " + Mb(limits_.max_part_bytes) +
                             " accepted; the file was refused");
  }
  if (size > limits_.ratio_check_bytes &&
      size / std::max<uint64_t>(comp, 1) > limits_.max_compression_ratio) {
    return ResourceExhausted("part " + norm + " is compressed " +
                             std::to_string(size / std::max<uint64_t>(comp, 1)) +
                             " to 1, which no spreadsheet needs (a zip bomb?); the file was "
                             "refused");
  }
  zip_file_t* f = zip_fopen_index(zip_, it->second, 0);
  if (f == nullptr) {
    zip_error_t* e = zip_get_error(zip_);
    if (zip_error_code_zip(e) == ZIP_ER_NOPASSWD || zip_error_code_zip(e) == ZIP_ER_WRONGPASSWD) {
      return InvalidArgument(
          "the file is password-protected: remove the password in Excel and import again");
    }
    return Damaged("part " + norm + ": " + zip_error_strerror(e));
  }
  std::unique_ptr<ZipEntryReader> reader(new ZipEntryReader(f, norm, size, limits_.max_part_bytes));
  // A thread only pays for itself on big parts.
  if (prefetch && size > (uint64_t{1} << 20)) reader->StartPrefetch();
  return reader;
}

Result<std::string> ZipArchive::ReadPart(std::string_view part, uint64_t max_bytes) {
  ASSIGN_OR_RETURN(auto reader, OpenPart(part));
  std::string out;
  char buf[65536];
  while (true) {
    ASSIGN_OR_RETURN(size_t n, reader->Read(buf, sizeof buf));
    if (n == 0) break;
    out.append(buf, n);
    if (out.size() > max_bytes) {
      return ResourceExhausted("part " + reader->name() + " is larger than " + Mb(max_bytes) +
                               "; the file was refused");
    }
  }
  return out;
}

}  // namespace relance::imports
