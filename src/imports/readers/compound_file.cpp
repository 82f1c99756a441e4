#include "imports/readers/compound_file.h"

#include <algorithm>
#include <cstring>

#include "imports/readers/binary_cursor.h"
#include "imports/readers/sheet_common.h"

namespace relance::imports {
namespace {

constexpr uint32_t kEndOfChain = 0xFFFFFFFEu;
constexpr uint32_t kFreeSect = 0xFFFFFFFFu;
constexpr uint32_t kMiniSector = 64;

Error Damaged(std::string_view what) {
  return DamagedWorkbook(std::string("the OLE container is invalid: ") + std::string(what));
}

}  // namespace

Result<size_t> CfbStream::ReadAt(uint64_t offset, void* buf, size_t n) {
  size_t done = 0;
  const uint32_t unit = mini_ ? kMiniSector : file_->sector_size_;
  auto* out = static_cast<char*>(buf);
  while (done < n && offset < size_) {
    uint64_t idx = offset / unit;
    uint32_t within = static_cast<uint32_t>(offset % unit);
    if (idx >= chain_.size()) break;
    size_t k = std::min<uint64_t>({n - done, uint64_t{unit} - within, size_ - offset});
    if (mini_) {
      ASSIGN_OR_RETURN(
          size_t got,
          file_->mini_stream_->ReadAt(uint64_t{chain_[idx]} * kMiniSector + within, out + done, k));
      if (got < k) return Damaged("a stream runs past the mini stream");
    } else {
      RETURN_IF_ERROR(file_->ReadSector(chain_[idx], within, out + done, k));
    }
    done += k;
    offset += k;
  }
  return done;
}

Result<void> CompoundFile::ReadSector(uint32_t sector, uint32_t offset, void* buf, size_t n) {
  if (sector >= sector_count_) return Damaged("a sector number is out of range");
  uint64_t pos = (uint64_t{sector} + 1) * sector_size_ + offset;
  ASSIGN_OR_RETURN(size_t got, source_->ReadAt(pos, buf, n));
  if (got < n) return Damaged("the file is truncated");
  return Ok();
}

Result<std::vector<uint32_t>> CompoundFile::Chain(uint32_t start, const std::vector<uint32_t>& fat,
                                                  uint64_t max_len) const {
  std::vector<uint32_t> chain;
  uint32_t s = start;
  while (s != kEndOfChain && s != kFreeSect) {
    if (s >= fat.size()) return Damaged("a sector chain points outside the file");
    if (chain.size() >= max_len) return Damaged("a sector chain loops");
    chain.push_back(s);
    s = fat[s];
  }
  return chain;
}

std::optional<size_t> CompoundFile::FindStream(std::string_view name) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].type == 2 && AsciiLower(entries_[i].name) == AsciiLower(name)) return i;
  }
  return std::nullopt;
}

Result<std::unique_ptr<CfbStream>> CompoundFile::OpenStream(size_t entry) {
  const Entry& e = entries_.at(entry);
  auto stream = std::make_unique<CfbStream>();
  stream->file_ = this;
  stream->mini_ = e.type == 2 && e.size < mini_cutoff_;
  if (stream->mini_) {
    if (!mini_stream_) return Damaged("the mini stream is missing");
    ASSIGN_OR_RETURN(stream->chain_, Chain(e.start, minifat_, minifat_.size()));
    stream->size_ = std::min<uint64_t>(e.size, stream->chain_.size() * uint64_t{kMiniSector});
  } else {
    ASSIGN_OR_RETURN(stream->chain_, Chain(e.start, fat_, sector_count_));
    stream->size_ = std::min<uint64_t>(e.size, stream->chain_.size() * uint64_t{sector_size_});
  }
  return stream;
}

Result<std::unique_ptr<CompoundFile>> CompoundFile::Open(ByteSource* source) {
  unsigned char header[512];
  ASSIGN_OR_RETURN(size_t got, source->ReadAt(0, header, sizeof header));
  if (got < sizeof header || std::memcmp(header, kMagic.data(), kMagic.size()) != 0) {
    return Damaged("bad header");
  }
  BinaryCursor h(header, sizeof header);
  h.Skip(0x1A);
  const uint16_t major = h.U16();
  h.U16();  // byte order
  const uint16_t sector_shift = h.U16();
  h.U16();        // mini sector shift (always 6)
  h.Skip(6 + 4);  // reserved, number of directory sectors
  const uint32_t num_fat = h.U32();
  const uint32_t first_dir = h.U32();
  h.U32();  // transaction signature
  const uint32_t mini_cutoff = h.U32();
  const uint32_t first_minifat = h.U32();
  const uint32_t num_minifat = h.U32();
  const uint32_t first_difat = h.U32();
  const uint32_t num_difat = h.U32();
  if (sector_shift != 9 && sector_shift != 12) return Damaged("bad sector size");

  std::unique_ptr<CompoundFile> f(new CompoundFile());
  f->source_ = source;
  f->sector_size_ = 1u << sector_shift;
  f->mini_cutoff_ = mini_cutoff == 0 ? 4096 : mini_cutoff;
  const uint64_t size = source->size();
  f->sector_count_ =
      size > f->sector_size_ ? (size - f->sector_size_ + f->sector_size_ - 1) / f->sector_size_ : 0;
  if (num_fat > f->sector_count_) return Damaged("too many FAT sectors");

  // FAT sector numbers: 109 in the header, the rest in the DIFAT chain.
  std::vector<uint32_t> fat_sectors;
  for (int i = 0; i < 109 && fat_sectors.size() < num_fat; ++i) {
    uint32_t s = h.U32();
    if (s != kFreeSect) fat_sectors.push_back(s);
  }
  const uint32_t per_sector = f->sector_size_ / 4;
  std::vector<unsigned char> sec(f->sector_size_);
  uint32_t d = first_difat;
  for (uint32_t k = 0; k < num_difat && fat_sectors.size() < num_fat; ++k) {
    if (d == kEndOfChain || d == kFreeSect) break;
    if (k >= f->sector_count_) return Damaged("the DIFAT chain loops");
    RETURN_IF_ERROR(f->ReadSector(d, 0, sec.data(), sec.size()));
    BinaryCursor c(sec.data(), sec.size());
    for (uint32_t i = 0; i + 1 < per_sector && fat_sectors.size() < num_fat; ++i) {
      uint32_t s = c.U32();
      if (s != kFreeSect) fat_sectors.push_back(s);
    }
    BinaryCursor next(sec.data() + sec.size() - 4, 4);
    d = next.U32();
  }
  f->fat_.reserve(fat_sectors.size() * per_sector);
  for (uint32_t s : fat_sectors) {
    RETURN_IF_ERROR(f->ReadSector(s, 0, sec.data(), sec.size()));
    BinaryCursor c(sec.data(), sec.size());
    for (uint32_t i = 0; i < per_sector; ++i) f->fat_.push_back(c.U32());
  }
  if (f->fat_.size() > f->sector_count_) f->fat_.resize(f->sector_count_);

  // Directory.
  ASSIGN_OR_RETURN(auto dir_chain, f->Chain(first_dir, f->fat_, f->sector_count_));
  if (dir_chain.empty()) return Damaged("no directory");
  for (uint32_t s : dir_chain) {
    RETURN_IF_ERROR(f->ReadSector(s, 0, sec.data(), sec.size()));
    for (uint32_t off = 0; off + 128 <= f->sector_size_; off += 128) {
      BinaryCursor c(sec.data() + off, 128);
      Entry e;
      c.Skip(64);
      uint16_t name_len = c.U16();
      e.type = c.U8();
      size_t units = std::min<size_t>(name_len / 2, 32);
      if (units > 0) --units;  // terminating NUL
      AppendUtf16Le(sec.data() + off, units, &e.name);
      c.Skip(1 + 12 + 16 + 4 + 16);  // color, siblings/child, CLSID, state, times
      e.start = c.U32();
      uint64_t lo = c.U32(), hi = c.U32();
      e.size = major == 3 ? lo : (lo | (hi << 32));
      f->entries_.push_back(std::move(e));
    }
  }
  if (f->entries_.empty() || f->entries_[0].type != 5) return Damaged("no root entry");

  // Mini FAT and the mini stream (held by the root entry).
  ASSIGN_OR_RETURN(auto minifat_chain, f->Chain(first_minifat, f->fat_, f->sector_count_));
  for (size_t k = 0; k < minifat_chain.size() && k < num_minifat; ++k) {
    RETURN_IF_ERROR(f->ReadSector(minifat_chain[k], 0, sec.data(), sec.size()));
    BinaryCursor c(sec.data(), sec.size());
    for (uint32_t i = 0; i < per_sector; ++i) f->minifat_.push_back(c.U32());
  }
  const Entry& root = f->entries_[0];
  if (root.start != kEndOfChain && root.start != kFreeSect) {
    auto ms = std::make_unique<CfbStream>();
    ms->file_ = f.get();
    ASSIGN_OR_RETURN(ms->chain_, f->Chain(root.start, f->fat_, f->sector_count_));
    ms->size_ = std::min<uint64_t>(root.size, ms->chain_.size() * uint64_t{f->sector_size_});
    f->mini_stream_ = std::move(ms);
    uint64_t mini_sectors = f->mini_stream_->size_ / kMiniSector;
    if (f->minifat_.size() > mini_sectors) f->minifat_.resize(mini_sectors);
  }
  return f;
}

}  // namespace relance::imports
