// CompoundFile: a reader of the OLE2 / Compound File Binary format
// ([MS-CFB]), the container of XLS workbooks and of password-protected OOXML
// files (EncryptionInfo + EncryptedPackage streams).
//
// Hardened: every sector number is range-checked, sector chains are bounded
// by the number of sectors (no loop runs forever), and a stream never reads
// beyond its chain. Streams are read sector by sector on demand (the FAT and
// a stream's chain are held, 4 bytes per sector), never loaded whole.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "imports/readers/byte_source.h"

namespace relance::imports {

class CompoundFile;

// One stream of a compound file, with random-access reads.
class CfbStream {
 public:
  uint64_t size() const { return size_; }
  // Up to n bytes at `offset`; less only at the end of the stream.
  Result<size_t> ReadAt(uint64_t offset, void* buf, size_t n);

 private:
  friend class CompoundFile;
  CompoundFile* file_ = nullptr;
  bool mini_ = false;
  std::vector<uint32_t> chain_;
  uint64_t size_ = 0;
};

class CompoundFile {
 public:
  static constexpr std::string_view kMagic{"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8};

  // `source` must outlive the file. InvalidArgument when damaged.
  static Result<std::unique_ptr<CompoundFile>> Open(ByteSource* source);

  struct Entry {
    std::string name;  // UTF-8
    uint8_t type = 0;  // 1 storage, 2 stream, 5 root
    uint32_t start = 0;
    uint64_t size = 0;
  };
  const std::vector<Entry>& entries() const { return entries_; }
  // Index of the first stream named `name` (ASCII case-insensitive).
  std::optional<size_t> FindStream(std::string_view name) const;
  Result<std::unique_ptr<CfbStream>> OpenStream(size_t entry);

 private:
  friend class CfbStream;
  CompoundFile() = default;
  Result<std::vector<uint32_t>> Chain(uint32_t start, const std::vector<uint32_t>& fat,
                                      uint64_t max_len) const;
  Result<void> ReadSector(uint32_t sector, uint32_t offset, void* buf, size_t n);

  ByteSource* source_ = nullptr;
  uint32_t sector_size_ = 512;
  uint32_t mini_cutoff_ = 4096;
  uint64_t sector_count_ = 0;  // sectors the file can hold
  std::vector<uint32_t> fat_;
  std::vector<uint32_t> minifat_;
  std::vector<Entry> entries_;
  std::unique_ptr<CfbStream> mini_stream_;
};

}  // namespace relance::imports
