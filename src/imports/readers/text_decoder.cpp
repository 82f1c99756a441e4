#include "imports/readers/text_decoder.h"

#include <iconv.h>
#include <uchardet/uchardet.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "imports/readers/simd_scan.h"

namespace relance::imports {
namespace {

constexpr size_t kRawBlock = 64 * 1024;

// Windows-1252 0x80..0x9F; the five unassigned bytes map to the C1 control
// of the same value, as ISO-8859-1 (and WHATWG) do.
constexpr std::array<uint16_t, 32> kCp1252High = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

inline size_t EncodeUtf8(uint32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

inline uint32_t Cp1252ToCodePoint(unsigned char c) {
  return (c >= 0x80 && c < 0xA0) ? kCp1252High[c - 0x80] : c;
}

// Length of the UTF-8 sequence at p (n bytes available): >0 valid length,
// 0 invalid, -k incomplete (needs k bytes in all, only n present).
inline int Utf8SequenceLength(const unsigned char* p, size_t n) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  int len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  for (int k = 1; k < len; ++k) {
    if (static_cast<size_t>(k) >= n) return -len;
    unsigned char b = p[k];
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
  }
  return len;
}

bool LooksLikeUtf16(std::string_view head, bool* little_endian) {
  size_t n = std::min<size_t>(head.size(), 4096) & ~size_t{1};
  if (n < 4) return false;
  size_t zero_even = 0, zero_odd = 0;
  for (size_t i = 0; i < n; i += 2) {
    zero_even += head[i] == 0;
    zero_odd += head[i + 1] == 0;
  }
  size_t pairs = n / 2;
  if (zero_odd * 10 > pairs * 3 && zero_even * 20 < pairs) {
    *little_endian = true;
    return true;
  }
  if (zero_even * 10 > pairs * 3 && zero_odd * 20 < pairs) {
    *little_endian = false;
    return true;
  }
  return false;
}

// uchardet is only trusted for multi-byte East-Asian encodings, whose byte
// patterns are distinctive; for short European texts it often names a wrong
// single-byte code page (ISO-8859-2 for "Café"), where Windows-1252 is right.
std::string CjkEncoding(std::string_view head) {
  uchardet_t u = uchardet_new();
  if (u == nullptr) return {};
  std::string result;
  if (uchardet_handle_data(u, head.data(), head.size()) == 0) {
    uchardet_data_end(u);
    std::string name = uchardet_get_charset(u);
    static constexpr std::string_view kTrusted[] = {"SHIFT_JIS", "EUC-JP", "ISO-2022-JP", "GB18030",
                                                    "BIG5",      "EUC-KR", "EUC-TW",      "UHC"};
    for (auto t : kTrusted) {
      if (name == t) result = name;
    }
  }
  uchardet_delete(u);
  return result;
}

}  // namespace

bool IsValidUtf8(std::string_view s, size_t* incomplete_tail) {
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  if (incomplete_tail) *incomplete_tail = 0;
  bool pairs = false;
  const auto skip = simd::ActiveKernels().skip_ascii_and_pairs;
  while (true) {
    i = skip(p, i, n, &pairs);
    if (i >= n) return true;
    int len = Utf8SequenceLength(p + i, n - i);
    if (len > 0) {
      i += static_cast<size_t>(len);
      continue;
    }
    if (len < 0 && incomplete_tail) {
      *incomplete_tail = n - i;
      return true;
    }
    return false;
  }
}

void AppendUtf16Le(const unsigned char* units, size_t count, std::string* out) {
  char tmp[4];
  for (size_t i = 0; i < count; ++i) {
    uint32_t u = units[2 * i] | (uint32_t{units[2 * i + 1]} << 8);
    if (u < 0x80) {
      out->push_back(static_cast<char>(u));
      continue;
    }
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < count) {
      uint32_t lo = units[2 * i + 2] | (uint32_t{units[2 * i + 3]} << 8);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        ++i;
      }
    }
    if (u >= 0xD800 && u <= 0xDFFF) u = 0xFFFD;
    out->append(tmp, EncodeUtf8(u, tmp));
  }
}

void AppendWindows1252(std::string_view in, std::string* out) {
  char tmp[4];
  for (unsigned char c : in) {
    if (c < 0x80) {
      out->push_back(static_cast<char>(c));
    } else {
      out->append(tmp, EncodeUtf8(Cp1252ToCodePoint(c), tmp));
    }
  }
}

EncodingGuess DetectEncoding(std::string_view head, bool whole) {
  EncodingGuess g;
  auto starts = [&](std::string_view bom) { return head.substr(0, bom.size()) == bom; };
  if (starts("\xEF\xBB\xBF")) {
    g.encoding = TextEncoding::kUtf8;
    g.name = "UTF-8 (BOM)";
    g.bom_bytes = 3;
    return g;
  }
  if (starts("\xFF\xFE")) {
    g.encoding = TextEncoding::kUtf16Le;
    g.name = "UTF-16LE";
    g.iconv_name = "UTF-16LE";
    g.bom_bytes = 2;
    return g;
  }
  if (starts("\xFE\xFF")) {
    g.encoding = TextEncoding::kUtf16Be;
    g.name = "UTF-16BE";
    g.iconv_name = "UTF-16BE";
    g.bom_bytes = 2;
    return g;
  }
  bool le = false;
  if (LooksLikeUtf16(head, &le)) {
    g.encoding = le ? TextEncoding::kUtf16Le : TextEncoding::kUtf16Be;
    g.name = g.iconv_name = le ? "UTF-16LE" : "UTF-16BE";
    return g;
  }
  size_t tail = 0;
  if (IsValidUtf8(head, whole ? nullptr : &tail)) {
    g.encoding = TextEncoding::kUtf8;
    g.name = "UTF-8";
    return g;
  }
  std::string cjk = CjkEncoding(head);
  if (!cjk.empty()) {
    g.encoding = TextEncoding::kIconv;
    g.name = g.iconv_name = cjk;
    return g;
  }
  g.encoding = TextEncoding::kWindows1252;
  g.name = "Windows-1252";
  return g;
}

TextStream::TextStream(ByteSource* source, const EncodingGuess& guess)
    : source_(source), raw_pos_(guess.bom_bytes), encoding_(guess.encoding), name_(guess.name) {
  if (encoding_ == TextEncoding::kUtf16Le || encoding_ == TextEncoding::kUtf16Be ||
      encoding_ == TextEncoding::kIconv) {
    iconv_t cd = iconv_open("UTF-8", guess.iconv_name.c_str());
    if (cd == reinterpret_cast<iconv_t>(-1)) {
      // Unknown to this libc: read it as Windows-1252 rather than fail.
      encoding_ = TextEncoding::kWindows1252;
      name_ = "Windows-1252";
    } else {
      iconv_ = cd;
      unit_ = (encoding_ == TextEncoding::kIconv) ? 1 : 2;
    }
  }
}

TextStream::~TextStream() {
  if (iconv_ != nullptr) iconv_close(static_cast<iconv_t>(iconv_));
}

Result<void> TextStream::FillRaw() {
  if (raw_begin_ > 0) {
    raw_.erase(0, raw_begin_);
    raw_begin_ = 0;
  }
  if (raw_eof_) return Ok();
  size_t old = raw_.size();
  raw_.resize(old + kRawBlock);
  auto r = source_->ReadAt(raw_pos_, raw_.data() + old, kRawBlock);
  if (!r.ok()) {
    raw_.resize(old);
    return std::move(r).take_error();
  }
  raw_.resize(old + *r);
  raw_pos_ += *r;
  if (*r < kRawBlock) raw_eof_ = true;
  return Ok();
}

Result<size_t> TextStream::Read(char* dst, size_t cap) {
  if (encoding_ == TextEncoding::kUtf8) return ReadUtf8(dst, cap);
  return ReadConverted(dst, cap);
}

Result<size_t> TextStream::ReadUtf8(char* dst, size_t cap) {
  while (true) {
    // Carry-over: an incomplete sequence held back from the previous block.
    size_t n = raw_.size() - raw_begin_;
    std::memcpy(dst, raw_.data() + raw_begin_, n);
    raw_.clear();
    raw_begin_ = 0;
    if (!raw_eof_) {
      size_t want = cap - n;
      auto r = source_->ReadAt(raw_pos_, dst + n, want);
      if (!r.ok()) return std::move(r).take_error();
      raw_pos_ += *r;
      if (*r < want) raw_eof_ = true;
      n += *r;
    }
    if (n == 0) return size_t{0};
    auto p = reinterpret_cast<unsigned char*>(dst);
    size_t i = 0;
    const auto skip = simd::ActiveKernels().skip_ascii_and_pairs;
    while (true) {
      i = skip(p, i, n, &seen_multibyte_);
      if (i >= n) break;
      int len = Utf8SequenceLength(p + i, n - i);
      if (len > 0) {
        seen_multibyte_ = true;
        i += static_cast<size_t>(len);
        continue;
      }
      if (len < 0 && !raw_eof_) {  // truncated by the block end: keep for next time
        raw_.assign(dst + i, n - i);
        n = i;
        break;
      }
      if (!seen_multibyte_) {
        // Everything so far was ASCII: the file is not UTF-8 but a single-byte
        // encoding; Windows-1252 reads what came before identically.
        raw_.assign(dst + i, n - i);
        encoding_ = TextEncoding::kWindows1252;
        name_ = "Windows-1252";
        n = i;
        break;
      }
      p[i] = '?';
      bad_offsets_.push_back(produced_ + i);
      ++i;
    }
    produced_ += n;
    if (n > 0) return n;
    if (encoding_ != TextEncoding::kUtf8) return ReadConverted(dst, cap);
    // Only an incomplete sequence was read: loop to read more.
  }
}

Result<size_t> TextStream::ReadConverted(char* dst, size_t cap) {
  size_t n = 0;
  while (n + 4 <= cap) {
    if (raw_begin_ >= raw_.size() ||
        (iconv_ != nullptr && raw_.size() - raw_begin_ < 8 && !raw_eof_)) {
      RETURN_IF_ERROR(FillRaw());
      if (raw_begin_ >= raw_.size()) break;
    }
    if (encoding_ == TextEncoding::kWindows1252) {
      auto in = reinterpret_cast<const unsigned char*>(raw_.data());
      size_t end = raw_.size();
      while (raw_begin_ < end && n + 4 <= cap) {
        unsigned char c = in[raw_begin_++];
        if (c < 0x80) {
          dst[n++] = static_cast<char>(c);
        } else {
          n += EncodeUtf8(Cp1252ToCodePoint(c), dst + n);
        }
      }
      continue;
    }
    char* in = raw_.data() + raw_begin_;
    size_t in_left = raw_.size() - raw_begin_;
    char* out = dst + n;
    size_t out_left = cap - n;
    size_t r = iconv(static_cast<iconv_t>(iconv_), &in, &in_left, &out, &out_left);
    int err = errno;
    raw_begin_ = raw_.size() - in_left;
    n = cap - out_left;
    if (r != static_cast<size_t>(-1)) continue;
    if (err == E2BIG) break;
    if (err == EINVAL && !raw_eof_) {  // incomplete sequence: read more
      RETURN_IF_ERROR(FillRaw());      // more bytes, or raw_eof_ set
      continue;
    }
    if (n + 3 > cap) break;
    // Invalid (or truncated at the end): one replacement character.
    bad_offsets_.push_back(produced_ + n);
    n += EncodeUtf8(0xFFFD, dst + n);
    raw_begin_ = std::min(raw_.size(), raw_begin_ + (err == EINVAL ? in_left : unit_));
  }
  produced_ += n;
  return n;
}

}  // namespace relance::imports
