// ZipArchive: the parts of an XLSX/XLSB (or any ZIP) package, read through
// libzip with zip-bomb defences: a part is refused before inflating when its
// declared size exceeds limits.max_part_bytes or its compression ratio
// exceeds limits.max_compression_ratio (for parts above
// limits.ratio_check_bytes), and inflating stops as soon as the output
// exceeds the declared size (a lying header) or the cap.
//
// Part names are matched as OPC requires: case-insensitively, with '\' read
// as '/' (some writers use Windows separators), without a leading '/'.
// Not thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "imports/readers/byte_source.h"
#include "imports/readers/row_reader.h"

struct zip;
struct zip_file;

namespace relance::imports {

// "xl\Workbook.xml" -> "xl/workbook.xml".
std::string NormalizePartName(std::string_view name);

// One part being inflated. With prefetch, a background thread inflates the
// next blocks (at most 4 x 256 KiB ahead) while the caller parses, so a big
// worksheet costs max(inflate, parse) rather than their sum; the archive must
// then not be used for anything else until this reader is destroyed.
class ZipEntryReader {
 public:
  ~ZipEntryReader();
  ZipEntryReader(const ZipEntryReader&) = delete;
  ZipEntryReader& operator=(const ZipEntryReader&) = delete;
  // Up to n bytes; 0 at the end of the part.
  Result<size_t> Read(char* buf, size_t n);
  const std::string& name() const { return name_; }
  // The uncompressed size the archive declares (bounded by the limits).
  uint64_t declared_size() const { return declared_; }

 private:
  friend class ZipArchive;
  ZipEntryReader(zip_file* file, std::string name, uint64_t declared, uint64_t cap)
      : file_(file), name_(std::move(name)), declared_(declared), cap_(cap) {}
  Result<size_t> ReadDirect(char* buf, size_t n);
  void StartPrefetch();
  void PrefetchLoop();

  zip_file* file_;
  std::string name_;
  uint64_t declared_;
  uint64_t cap_;
  uint64_t read_ = 0;
  // Prefetch state (guarded by mu_).
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> ready_;
  std::vector<std::string> spare_;  // consumed blocks, reused
  size_t front_offset_ = 0;
  bool finished_ = false;
  bool stop_ = false;
  std::optional<Error> error_;
};

class ZipArchive {
 public:
  // `source` must outlive the archive. Errors: InvalidArgument("damaged").
  static Result<std::unique_ptr<ZipArchive>> Open(ByteSource* source, const ReaderLimits& limits);
  ~ZipArchive();
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  // Normalized names of every entry, in archive order.
  const std::vector<std::string>& names() const { return names_; }
  bool Has(std::string_view part) const;

  Result<std::unique_ptr<ZipEntryReader>> OpenPart(std::string_view part, bool prefetch = false);
  // The whole part, refused above `max_bytes`.
  Result<std::string> ReadPart(std::string_view part, uint64_t max_bytes);

 private:
  ZipArchive() = default;
  zip* zip_ = nullptr;
  ReaderLimits limits_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, uint64_t> index_;
};

}  // namespace relance::imports
