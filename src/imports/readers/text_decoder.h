// Text encodings of CSV files: detection and streaming conversion to UTF-8.
//
// Detection (DetectEncoding, on the first 64 KiB): a byte-order mark wins
// (UTF-8, UTF-16LE, UTF-16BE); else UTF-16 without BOM when every other byte
// is zero; else valid UTF-8; else a CJK multi-byte encoding when uchardet is
// sure of one (Shift_JIS, EUC-JP, GB18030, Big5, EUC-KR), else Windows-1252
// (a superset of ISO-8859-1's printable range, what Excel on Windows writes
// for "CSV (separator: semicolon)" in France).
//
// A file whose first 64 KiB are pure ASCII is read as UTF-8; if a byte that is
// not UTF-8 shows up later while no multi-byte UTF-8 character came before,
// the rest is read as Windows-1252 (both agree on everything read so far).
// An invalid sequence after valid UTF-8 text is replaced (by '?' in UTF-8,
// U+FFFD otherwise) and its position is reported so the CSV reader can flag
// the row.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "imports/readers/byte_source.h"

namespace relance::imports {

enum class TextEncoding { kUtf8, kUtf16Le, kUtf16Be, kWindows1252, kIconv };

struct EncodingGuess {
  TextEncoding encoding = TextEncoding::kUtf8;
  std::string name;        // "UTF-8", "UTF-8 (BOM)", "UTF-16LE", "Windows-1252", "SHIFT_JIS"
  std::string iconv_name;  // for kIconv and UTF-16
  uint64_t bom_bytes = 0;  // bytes to skip at the start
};

// `head` is the start of the file; `whole` says it is the entire file.
EncodingGuess DetectEncoding(std::string_view head, bool whole);

// True when `s` is valid UTF-8; `*incomplete_tail` (optional) receives the
// length of a truncated sequence at the very end (accepted, not counted as
// invalid).
bool IsValidUtf8(std::string_view s, size_t* incomplete_tail = nullptr);

// Appends the UTF-8 form of UTF-16LE code units (unpaired surrogates become
// U+FFFD).
void AppendUtf16Le(const unsigned char* units, size_t count, std::string* out);

// Appends the UTF-8 form of Windows-1252 bytes.
void AppendWindows1252(std::string_view in, std::string* out);

// Converts the text of a ByteSource to UTF-8, block by block.
class TextStream {
 public:
  TextStream(ByteSource* source, const EncodingGuess& guess);
  ~TextStream();
  TextStream(const TextStream&) = delete;
  TextStream& operator=(const TextStream&) = delete;

  // Writes up to `cap` (>= 16) UTF-8 bytes to dst; returns how many; 0 at the
  // end of the text.
  Result<size_t> Read(char* dst, size_t cap);

  // Offsets (in decoded bytes from the start) where an invalid sequence was
  // replaced, oldest first; the consumer pops the ones it has reported.
  std::deque<uint64_t>& bad_offsets() { return bad_offsets_; }
  // The encoding now in use (it may switch from UTF-8 to Windows-1252).
  const std::string& encoding_name() const { return name_; }

 private:
  Result<size_t> ReadUtf8(char* dst, size_t cap);
  Result<size_t> ReadConverted(char* dst, size_t cap);
  Result<void> FillRaw();
  Result<void> SwitchToIconv(const std::string& from);

  ByteSource* source_;
  uint64_t raw_pos_;
  bool raw_eof_ = false;
  TextEncoding encoding_;
  std::string name_;
  void* iconv_ = nullptr;  // iconv_t
  size_t unit_ = 1;        // code unit size, to skip invalid input
  // Raw bytes not converted yet (non-UTF-8 paths, and UTF-8 carry-over).
  std::string raw_;
  size_t raw_begin_ = 0;
  bool seen_multibyte_ = false;
  uint64_t produced_ = 0;
  std::deque<uint64_t> bad_offsets_;
};

}  // namespace relance::imports
