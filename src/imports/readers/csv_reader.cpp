#include "imports/readers/csv_reader.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

#include "imports/readers/simd_scan.h"

namespace relance::imports {
namespace {

constexpr size_t kSampleBytes = 64 * 1024;
constexpr size_t kInitialBuffer = 1 << 20;
// Text is decoded into the buffer this much at a time, so that the bytes
// just read are still in the core's cache when they are parsed.
constexpr size_t kReadBytes = 128 << 10;
constexpr size_t kPadding = 64;  // SIMD loads may read this far past the data

Error ResourceExhausted(std::string m) {
  return Error(ErrorCode::kResourceExhausted, std::move(m));
}

std::string Fields(size_t n) { return std::to_string(n) + (n == 1 ? " field" : " fields"); }

std::string SeparatorName(char sep) {
  switch (sep) {
    case '\t':
      return "tab";
    default:
      return std::string("'") + sep + "'";
  }
}

// Number of fields of each record in `s` (blank lines skipped), with the
// same quoting rules as the parser. Stops after max_records.
std::vector<int> FieldCounts(std::string_view s, char sep, bool whole, size_t max_records) {
  std::vector<int> counts;
  size_t i = 0, n = s.size();
  while (i < n && counts.size() < max_records) {
    if (s[i] == '\n' || s[i] == '\r') {
      ++i;
      continue;
    }
    int fields = 1;
    bool complete = false;
    while (i < n) {
      if (s[i] == '"') {
        ++i;
        bool closed = false;
        while (i < n) {
          if (s[i] == '"') {
            if (i + 1 < n && s[i + 1] == '"') {
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          ++i;
        }
        if (!closed) break;
      }
      while (i < n && s[i] != sep && s[i] != '\n' && s[i] != '\r') ++i;
      if (i >= n) {
        complete = whole;
        break;
      }
      if (s[i] == sep) {
        ++fields;
        ++i;
        continue;
      }
      complete = true;  // at a line break; the blank-line skip eats it
      break;
    }
    if (!complete) break;
    counts.push_back(fields);
  }
  return counts;
}

class CsvReader final : public RowReader {
 public:
  CsvReader(std::unique_ptr<ByteSource> source, const CsvDialect& dialect,
            const ReaderOptions& options, DetectedFormat format)
      : RowReader(std::move(format), options.limits.max_issues),
        source_(std::move(source)),
        text_(source_.get(), dialect.encoding),
        sep_(dialect.separator),
        limits_(options.limits),
        block_masks_(simd::ActiveKernels().block_masks) {
    // Small files get a small buffer (it grows when a record needs it).
    const uint64_t want = std::max<uint64_t>(source_->size() * 2 + 64, 4096);
    cap_ =
        static_cast<size_t>(std::min<uint64_t>({kInitialBuffer, want, limits_.max_record_bytes}));
    cap_ = std::max<size_t>(cap_, 4096);
    buf_.reset(static_cast<char*>(std::aligned_alloc(64, RoundUp(cap_ + kPadding))));
    std::memset(buf_.get(), 0, cap_ + kPadding);
  }

  Result<std::optional<Row>> Next() override {
    while (true) {
      if (begin_ >= end_) {
        if (eof_) return std::optional<Row>();
        RETURN_IF_ERROR(Refill());
        continue;
      }
      size_t next = 0;
      int64_t lines = 0;
      Parse st = ParseRecord(&next, &lines);
      if (st == Parse::kTooManyFields) {
        return ResourceExhausted("line " + std::to_string(line_) + " has more than " +
                                 std::to_string(limits_.max_columns) +
                                 " fields: this is not a table that can be imported");
      }
      if (st == Parse::kNeedMore) {
        if (eof_) {
          return InvalidArgument("line " + std::to_string(line_) +
                                 ": a quoted field starting on this line is never closed "
                                 "(a '\"' is missing); fix the quotes and import again");
        }
        RETURN_IF_ERROR(Refill());
        continue;
      }
      const int64_t record_line = line_;
      const uint64_t record_begin = buf_abs_ + begin_;
      const uint64_t record_end = buf_abs_ + next;
      line_ += lines;
      begin_ = next;
      if (st == Parse::kBlank) continue;

      problem_.clear();
      auto& bad = text_.bad_offsets();
      while (!bad.empty() && bad.front() < record_begin) bad.pop_front();
      if (!bad.empty() && bad.front() < record_end) {
        while (!bad.empty() && bad.front() < record_end) bad.pop_front();
        AppendProblem(record_line, "line " + std::to_string(record_line) +
                                       " contains bytes that are not valid " +
                                       text_.encoding_name() +
                                       " (replaced): save the file as UTF-8 and import again");
      }
      if (malformed_quote_) {
        AppendProblem(record_line, "line " + std::to_string(record_line) +
                                       ": a quote inside a quoted field must be doubled (\"\")");
      }
      FinishCells();
      if (header_fields_ == 0) {
        header_fields_ = ncells_;
        header_line_ = record_line;
      } else if (ncells_ != header_fields_ && !AllEmpty()) {
        AppendProblem(record_line, "line " + std::to_string(record_line) + " has " +
                                       Fields(ncells_) + " but the header (line " +
                                       std::to_string(header_line_) + ") has " +
                                       Fields(header_fields_) +
                                       ": every line must have the same number of separators (" +
                                       SeparatorName(sep_) + ")");
      }
      if (AllEmpty()) continue;
      if (text_.encoding_name() != format_.encoding) format_.encoding = text_.encoding_name();
      Row row;
      row.line = record_line;
      row.cells = std::span<const std::string_view>(cells_.data(), ncells_);
      row.problem = problem_;
      return std::optional<Row>(row);
    }
  }

 private:
  enum class Parse { kRecord, kBlank, kNeedMore, kTooManyFields };
  struct FreeDeleter {
    void operator()(char* p) const { std::free(p); }
  };
  static size_t RoundUp(size_t n) { return (n + 63) & ~size_t{63}; }

  void AppendProblem(int64_t line, std::string message) {
    std::string_view stored = AddIssue(line, std::move(message));
    if (!problem_.empty()) problem_ += "; ";
    problem_ += stored;
  }

  bool AllEmpty() const {
    for (size_t i = 0; i < ncells_; ++i) {
      if (!cells_[i].empty()) return false;
    }
    return true;
  }

  // Appends a cell, growing cells_ when it is full (the byte-by-byte path).
  void AddCell(const char* p, size_t n) {
    if (ncells_ == cells_.size()) cells_.resize(ncells_ + 64);
    cells_[ncells_++] = std::string_view(p, n);
  }

  // First separator, LF or CR at or after i (end if none before end). The
  // buffer is scanned in aligned 64-byte blocks, each turned once into a
  // bitmask of those bytes; consecutive short fields of a record then cost a
  // shift and a count of trailing zeros each.
  size_t FindFieldEnd(const char* b, size_t i, size_t end) {
    size_t block = i & ~size_t{63};
    uint64_t mask = MasksAt(b, block).ends & (~uint64_t{0} << (i - block));
    while (mask == 0) {
      block += 64;
      if (block >= end) return end;
      mask = MasksAt(b, block).ends;
    }
    size_t k = block + static_cast<size_t>(__builtin_ctzll(mask));
    return k < end ? k : end;
  }

  // The masks of the block at `block` (a multiple of 64, at most end_: the
  // padding keeps the 64 bytes readable; bits at end_ and after are for
  // bytes that are not data). They are computed kMaskBatch blocks at a time
  // (one call for about five records of a usual file), and kept until the
  // buffer changes (Refill).
  const simd::BlockMasks& MasksAt(const char* b, size_t block) {
    size_t offset = block - masks_begin_;  // wraps around below masks_begin_
    if (offset >= masks_bytes_) {
      const size_t blocks =
          std::clamp<size_t>((end_ - std::min(block, end_) + 63) / 64, 1, kMaskBatch);
      block_masks_(b + block, blocks, sep_, masks_.data());
      masks_begin_ = block;
      masks_bytes_ = blocks * 64;
      offset = 0;
    }
    return masks_[offset / 64];
  }

  // The record at `pos` when no quote comes before its line break (most
  // records): each field ends at the next bit of the blocks' masks, with no
  // look at the bytes. nullopt when a quote comes first, or the buffer ends
  // before the line break: ParseRecord reads the record byte by byte.
  std::optional<Parse> ParseUnquotedRecord(const char* b, size_t pos, size_t* next,
                                           int64_t* lines) {
    const size_t end = end_;
    size_t block = pos & ~size_t{63};
    uint64_t from = ~uint64_t{0} << (pos - block);  // the bits at pos and after
    const char* cell = b + pos;                     // where the next cell starts
    // The cells are written through `out`, and the room left for them
    // counted down, rather than both read back from the vector each block.
    std::string_view* first = cells_.data();
    std::string_view* out = first + ncells_;
    size_t room = cells_.size() - ncells_;
    while (block < end) {
      const simd::BlockMasks& m = MasksAt(b, block);
      uint64_t lines_here = m.lines & from;
      uint64_t quotes = m.quotes & from;
      uint64_t ends = m.ends & from;
      if (end - block < 64) {  // the buffer's last block: its bits at end and after are no data
        const uint64_t data = (uint64_t{1} << (end - block)) - 1;
        lines_here &= data;
        quotes &= data;
        ends &= data;
      }
      // The bits up to the line break, included.
      const uint64_t upto = lines_here != 0 ? (lines_here ^ (lines_here - 1)) : ~uint64_t{0};
      if ((quotes & upto) != 0) return std::nullopt;
      ends &= upto;
      // Room for every end of the block first, so that each cell costs a
      // store, not a check of the room left.
      if (room < 64) {
        const auto used = static_cast<size_t>(out - first);
        cells_.resize(used + 64);
        first = cells_.data();
        out = first + used;
        room = 64;
      }
      const char* const here = b + block;
      const std::string_view* const block_first = out;
      while (ends != 0) {
        const char* fend = here + __builtin_ctzll(ends);
        ends &= ends - 1;
        *out++ = std::string_view(cell, static_cast<size_t>(fend - cell));
        cell = fend + 1;
      }
      room -= static_cast<size_t>(out - block_first);
      ncells_ = static_cast<size_t>(out - first);
      if (ncells_ > limits_.max_columns) return Parse::kTooManyFields;
      if (lines_here != 0) {
        const size_t fend = static_cast<size_t>(cell - 1 - b);  // the line break
        if (b[fend] == '\r') {
          if (fend + 1 >= end && !eof_) return std::nullopt;
          *next = fend + 1 + (fend + 1 < end && b[fend + 1] == '\n');
        } else {
          *next = fend + 1;
        }
        *lines = 1;
        return Parse::kRecord;
      }
      block += 64;
      from = ~uint64_t{0};
    }
    return std::nullopt;
  }

  static int64_t CountLineBreaks(const char* b, size_t from, size_t to) {
    const void* lf = std::memchr(b + from, '\n', to - from);
    const void* cr = std::memchr(b + from, '\r', to - from);
    if (lf == nullptr && cr == nullptr) return 0;
    int64_t n = 0;
    for (size_t i = from; i < to; ++i) {
      if (b[i] == '\n') {
        ++n;
      } else if (b[i] == '\r' && (i + 1 >= to || b[i + 1] != '\n')) {
        ++n;
      }
    }
    return n;
  }

  // Parses the record at begin_. Fields go to cells_ as views into buf_
  // (quoted fields with "" are unescaped later, in FinishCells, because a
  // kNeedMore restart must see the raw bytes again).
  Parse ParseRecord(size_t* next, int64_t* lines) {
    ncells_ = 0;
    escaped_.clear();
    malformed_quote_ = false;
    const char* b = buf_.get();
    const size_t end = end_;
    const size_t pos = begin_;
    if (b[pos] == '\n' || b[pos] == '\r') {
      if (b[pos] == '\r') {
        if (pos + 1 >= end && !eof_) return Parse::kNeedMore;
        *next = pos + 1 + (pos + 1 < end && b[pos + 1] == '\n');
      } else {
        *next = pos + 1;
      }
      *lines = 1;
      return Parse::kBlank;
    }
    if (auto st = ParseUnquotedRecord(b, pos, next, lines)) return *st;
    return ParseRecordByBytes(next, lines);
  }

  // ParseRecord for a record with a quote, or cut by the buffer's end: byte
  // by byte. Out of line, so that the usual record does not pay for its
  // stack frame.
  [[gnu::noinline]] Parse ParseRecordByBytes(size_t* next, int64_t* lines) {
    ncells_ = 0;
    const char* b = buf_.get();
    const size_t end = end_;
    size_t pos = begin_;
    int64_t extra = 0;
    while (true) {
      size_t fend;
      if (pos < end && b[pos] == '"') {
        size_t q = pos + 1;
        bool escaped = false;
        size_t close;
        while (true) {
          const void* f = q < end ? std::memchr(b + q, '"', end - q) : nullptr;
          if (f == nullptr) return Parse::kNeedMore;
          size_t k = static_cast<const char*>(f) - b;
          if (k + 1 >= end) {
            if (!eof_) return Parse::kNeedMore;
            close = k;
            break;
          }
          if (b[k + 1] == '"') {
            escaped = true;
            q = k + 2;
            continue;
          }
          close = k;
          break;
        }
        extra += CountLineBreaks(b, pos + 1, close);
        size_t after = close + 1;
        if (after < end && b[after] != sep_ && b[after] != '\n' && b[after] != '\r') {
          // Text after the closing quote: read on, quotes toggling, to the
          // next separator outside quotes (what Excel and DuckDB's lenient
          // mode do), and keep the inner text as written.
          malformed_quote_ = true;
          size_t k = after;
          bool in_quotes = false;
          while (true) {
            if (k >= end) {
              if (!eof_) return Parse::kNeedMore;
              break;
            }
            char c = b[k];
            if (c == '"') {
              in_quotes = !in_quotes;
            } else if (c == '\n' || c == '\r') {
              if (!in_quotes) break;
              if (c == '\n' || k + 1 >= end || b[k + 1] != '\n') ++extra;
            } else if (c == sep_ && !in_quotes) {
              break;
            }
            ++k;
          }
          size_t value_end = (k > after && b[k - 1] == '"') ? k - 1 : k;
          AddCell(b + pos + 1, value_end - pos - 1);
          fend = k;
        } else {
          if (escaped) escaped_.push_back(ncells_);
          AddCell(b + pos + 1, close - pos - 1);
          fend = after;
        }
      } else {
        fend = FindFieldEnd(b, pos, end);
        if (fend >= end && !eof_) return Parse::kNeedMore;
        AddCell(b + pos, fend - pos);
      }
      if (ncells_ > limits_.max_columns) return Parse::kTooManyFields;
      if (fend >= end) {  // end of file without a final line break
        *next = end;
        *lines = extra;
        return Parse::kRecord;
      }
      char c = b[fend];
      if (c == sep_) {
        pos = fend + 1;
        continue;
      }
      if (c == '\n') {
        *next = fend + 1;
      } else {
        if (fend + 1 >= end && !eof_) return Parse::kNeedMore;
        *next = fend + 1 + (fend + 1 < end && b[fend + 1] == '\n');
      }
      *lines = extra + 1;
      return Parse::kRecord;
    }
  }

  // Unescapes "" in place (the text only shrinks).
  void FinishCells() {
    for (size_t idx : escaped_) {
      std::string_view v = cells_[idx];
      char* w = const_cast<char*>(v.data());
      const char* r = v.data();
      const char* e = r + v.size();
      char* start = w;
      while (r < e) {
        char c = *r++;
        *w++ = c;
        if (c == '"' && r < e && *r == '"') ++r;
      }
      cells_[idx] = std::string_view(start, static_cast<size_t>(w - start));
    }
  }

  Result<void> Refill() {
    masks_bytes_ = 0;  // the bytes move or change
    if (begin_ > 0) {
      std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
      buf_abs_ += begin_;
      end_ -= begin_;
      begin_ = 0;
    }
    if (cap_ - end_ < 64) {
      if (cap_ >= limits_.max_record_bytes) {
        return ResourceExhausted(
            "line " + std::to_string(line_) + ": a record longer than " +
            std::to_string(limits_.max_record_bytes >> 20) +
            " MB; probably a quote that is never closed: check the quotes on this line");
      }
      size_t new_cap = std::min<size_t>(cap_ * 2, limits_.max_record_bytes);
      if (new_cap < cap_ + 64) new_cap = cap_ + 64;
      std::unique_ptr<char, FreeDeleter> nb(
          static_cast<char*>(std::aligned_alloc(64, RoundUp(new_cap + kPadding))));
      std::memcpy(nb.get(), buf_.get(), end_);
      std::memset(nb.get() + end_, 0, new_cap + kPadding - end_);
      buf_ = std::move(nb);
      cap_ = new_cap;
    }
    ASSIGN_OR_RETURN(size_t n,
                     text_.Read(buf_.get() + end_, std::min(cap_ - end_, kReadBytes)));
    if (n == 0) eof_ = true;
    end_ += n;
    return Ok();
  }

  std::unique_ptr<ByteSource> source_;
  TextStream text_;
  char sep_;
  ReaderLimits limits_;
  std::unique_ptr<char, FreeDeleter> buf_;
  size_t cap_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
  uint64_t buf_abs_ = 0;  // decoded offset of buf_[0]
  bool eof_ = false;
  int64_t line_ = 1;  // line of buf_[begin_]
  size_t header_fields_ = 0;
  int64_t header_line_ = 0;
  // The record's cells are the first ncells_: the vector is only grown, so
  // that the cells of a block can be stored without a check each.
  std::vector<std::string_view> cells_;
  size_t ncells_ = 0;
  std::vector<size_t> escaped_;
  bool malformed_quote_ = false;
  std::string problem_;
  // MasksAt's batch: the masks of the masks_bytes_ / 64 blocks from masks_begin_.
  static constexpr size_t kMaskBatch = 16;
  void (*block_masks_)(const char* p, size_t blocks, char sep, simd::BlockMasks* out);
  std::array<simd::BlockMasks, kMaskBatch> masks_;
  size_t masks_begin_ = 0;
  size_t masks_bytes_ = 0;
};

}  // namespace

char DetectSeparator(std::string_view sample, bool whole) {
  static constexpr std::array<char, 4> kCandidates = {';', ',', '\t', '|'};
  char best = ',';
  bool best_valid = false;
  double best_frac = 0;
  int best_mode = 0;
  for (char sep : kCandidates) {
    std::vector<int> counts = FieldCounts(sample, sep, whole, 200);
    if (counts.empty()) continue;
    std::map<int, int> freq;
    for (int c : counts) ++freq[c];
    int mode = 0, mode_freq = 0;
    for (auto [count, f] : freq) {
      if (f >= mode_freq) {  // ties: the larger count
        mode = count;
        mode_freq = f;
      }
    }
    if (mode < 2) continue;
    double frac = static_cast<double>(mode_freq) / static_cast<double>(counts.size());
    bool better =
        !best_valid || frac > best_frac + 1e-9 || (frac > best_frac - 1e-9 && mode > best_mode);
    if (better) {
      best = sep;
      best_valid = true;
      best_frac = frac;
      best_mode = mode;
    }
  }
  return best;
}

Result<CsvDialect> SniffCsv(ByteSource* source) {
  std::string head(std::min<uint64_t>(source->size(), kSampleBytes), '\0');
  ASSIGN_OR_RETURN(size_t got, source->ReadAt(0, head.data(), head.size()));
  head.resize(got);
  const bool whole = got >= source->size();
  CsvDialect d;
  d.encoding = DetectEncoding(head, whole);
  if (d.encoding.encoding == TextEncoding::kUtf8 ||
      d.encoding.encoding == TextEncoding::kWindows1252) {
    // Binary content has many control bytes; text has almost none (a stray
    // NUL in a field is tolerated).
    size_t controls = 0;
    for (unsigned char c : head) {
      controls += (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7F;
    }
    if (controls >= 16 && controls * 10 > head.size()) {
      return InvalidArgument(
          "this file is not a text (CSV) file nor a spreadsheet: export your data as CSV or "
          "XLSX and import that file");
    }
  }
  // Decode the sample to find the separator.
  TextStream text(source, d.encoding);
  std::string sample(std::min<uint64_t>(kSampleBytes, source->size() * 4) + 64, '\0');
  size_t n = 0;
  bool text_whole = false;
  while (n + 64 <= sample.size()) {  // Read needs room for one character
    ASSIGN_OR_RETURN(size_t k, text.Read(sample.data() + n, sample.size() - n));
    if (k == 0) {
      text_whole = true;
      break;
    }
    n += k;
  }
  sample.resize(n);
  d.separator = DetectSeparator(sample, text_whole);
  return d;
}

Result<std::unique_ptr<RowReader>> OpenCsvReader(std::unique_ptr<ByteSource> source,
                                                 const ReaderOptions& options, std::string note) {
  ASSIGN_OR_RETURN(CsvDialect dialect, SniffCsv(source.get()));
  DetectedFormat format;
  format.format = FileFormat::kCsv;
  format.encoding = dialect.encoding.name;
  format.separator = dialect.separator;
  format.note = std::move(note);
  return std::unique_ptr<RowReader>(
      new CsvReader(std::move(source), dialect, options, std::move(format)));
}

}  // namespace relance::imports
