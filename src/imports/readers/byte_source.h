// ByteSource: random-access reads over a file (pread) or a buffer in memory,
// so every reader works the same on an uploaded file and in a fuzzer.
// Not thread-safe; one reader owns one source.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace relance::imports {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  uint64_t size() const { return size_; }
  // Reads up to `n` bytes at `offset`; returns how many were read (less than
  // n only at the end of the source).
  virtual Result<size_t> ReadAt(uint64_t offset, void* buf, size_t n) = 0;
  // The whole source when it is in memory, else nullptr (libzip reads memory
  // directly).
  virtual const std::string_view* memory() const { return nullptr; }
  // The file path when the source is a file, else empty.
  virtual const std::string& path() const = 0;

 protected:
  uint64_t size_ = 0;
};

Result<std::unique_ptr<ByteSource>> OpenFileSource(const std::string& path);
// `data` must outlive the source.
std::unique_ptr<ByteSource> MemorySource(std::string_view data);

// Sequential reads over a ByteSource with a position.
class SequentialReader {
 public:
  explicit SequentialReader(ByteSource* source, uint64_t start = 0)
      : source_(source), pos_(start) {}
  Result<size_t> Read(void* buf, size_t n) {
    auto r = source_->ReadAt(pos_, buf, n);
    if (r.ok()) pos_ += *r;
    return r;
  }
  uint64_t position() const { return pos_; }

 private:
  ByteSource* source_;
  uint64_t pos_;
};

}  // namespace relance::imports
