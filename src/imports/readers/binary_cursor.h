// BinaryCursor: bounds-checked little-endian reads over a record's bytes
// (XLSB and XLS). A read past the end sets ok() to false and returns zero,
// so a damaged record never reads outside its buffer.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "imports/readers/text_decoder.h"

namespace relance::imports {

class BinaryCursor {
 public:
  BinaryCursor(const void* data, size_t size)
      : p_(static_cast<const unsigned char*>(data)), n_(size) {}
  explicit BinaryCursor(std::string_view s) : BinaryCursor(s.data(), s.size()) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return ok_ ? n_ - i_ : 0; }
  size_t position() const { return i_; }
  const unsigned char* here() const { return p_ + i_; }

  bool Skip(size_t k) {
    if (!ok_ || k > n_ - i_) return ok_ = false;
    i_ += k;
    return true;
  }
  uint8_t U8() { return static_cast<uint8_t>(Get(1)); }
  uint16_t U16() { return static_cast<uint16_t>(Get(2)); }
  uint32_t U32() { return static_cast<uint32_t>(Get(4)); }
  double F64() {
    uint64_t bits = Get(8);
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }
  // `count` UTF-16LE code units, appended as UTF-8.
  bool Utf16(size_t count, std::string* out) {
    if (!ok_ || count > (n_ - i_) / 2) return ok_ = false;
    AppendUtf16Le(p_ + i_, count, out);
    i_ += 2 * count;
    return true;
  }
  // XLWideString (XLSB): u32 length then UTF-16LE; `max_units` bounds it.
  bool WideString(std::string* out, uint32_t max_units) {
    uint32_t cch = U32();
    if (!ok_ || cch > max_units) return ok_ = false;
    return Utf16(cch, out);
  }

 private:
  uint64_t Get(size_t k) {
    if (!ok_ || k > n_ - i_) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (size_t j = 0; j < k; ++j) v |= uint64_t{p_[i_ + j]} << (8 * j);
    i_ += k;
    return v;
  }
  const unsigned char* p_;
  size_t n_;
  size_t i_ = 0;
  bool ok_ = true;
};

}  // namespace relance::imports
