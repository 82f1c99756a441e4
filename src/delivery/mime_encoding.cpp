#include "delivery/mime_encoding.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace relance::delivery {
namespace {

constexpr char kBase64Chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kHex[] = "0123456789ABCDEF";

// Length of the UTF-8 sequence a lead byte starts (1 for stray bytes, so a
// malformed input still advances).
size_t Utf8SequenceLength(unsigned char lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

std::string SanitizeHeaderText(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  return out;
}

// Encoded words separated by CRLF + space, each line at most 76 characters
// (RFC 2047 §2): the first word shares its line with the header name.
std::string EncodedWords(std::string_view text, size_t first_line_used) {
  static constexpr std::string_view kPrefix = "=?utf-8?B?";
  static constexpr std::string_view kSuffix = "?=";
  static constexpr size_t kFraming = kPrefix.size() + kSuffix.size();
  std::string out;
  size_t line_used = std::min<size_t>(first_line_used, 40);
  size_t i = 0;
  while (i < text.size()) {
    // Whole groups of 3 bytes, so only the last word carries padding.
    size_t max_bytes = (76 - line_used - kFraming) / 4 * 3;
    size_t end = i;
    while (end < text.size()) {
      size_t len = Utf8SequenceLength(static_cast<unsigned char>(text[end]));
      if (end + len - i > max_bytes) break;
      end += len;
    }
    if (end == i) end = std::min(text.size(), i + max_bytes);
    if (!out.empty()) out += "\r\n ";
    out += kPrefix;
    out += Base64(text.substr(i, end - i));
    out += kSuffix;
    line_used = 1;
    i = end;
  }
  return out;
}

bool IsAtextOrSpace(unsigned char c) {
  if (std::isalnum(c) || c == ' ') return true;
  static constexpr std::string_view kAtextSpecials = "!#$%&'*+-/=?^_`{|}~";
  return kAtextSpecials.find(static_cast<char>(c)) != std::string_view::npos;
}

}  // namespace

std::string Base64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kBase64Chars[(n >> 18) & 63];
    out += kBase64Chars[(n >> 12) & 63];
    out += kBase64Chars[(n >> 6) & 63];
    out += kBase64Chars[n & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kBase64Chars[(n >> 18) & 63];
    out += kBase64Chars[(n >> 12) & 63];
    out += rest == 2 ? kBase64Chars[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string Base64Lines(std::string_view bytes) {
  std::string flat = Base64(bytes);
  std::string out;
  out.reserve(flat.size() + flat.size() / 76 * 2 + 2);
  for (size_t i = 0; i < flat.size(); i += 76) {
    out.append(flat, i, 76);
    out += "\r\n";
  }
  return out;
}

std::string QuotedPrintable(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 11 / 10 + 16);
  size_t line_length = 0;
  auto emit = [&](std::string_view piece) {
    // A soft break leaves room for the "=" that ends the line.
    if (line_length + piece.size() > 75) {
      out += "=\r\n";
      line_length = 0;
    }
    out += piece;
    line_length += piece.size();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\r\n";
      line_length = 0;
      continue;
    }
    bool at_line_end = i + 1 == text.size() || text[i + 1] == '\r' || text[i + 1] == '\n';
    bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_line_end);
    // "From " opening a line is encoded so mbox-style relays do not mangle
    // it. A leading "." stays literal: libcurl dot-stuffs the DATA stream.
    if (c == 'F' && line_length == 0 && text.substr(i, 5) == "From ") literal = false;
    if (literal) {
      char s[1] = {static_cast<char>(c)};
      emit(std::string_view(s, 1));
    } else {
      char s[3] = {'=', kHex[c >> 4], kHex[c & 15]};
      emit(std::string_view(s, 3));
    }
  }
  return out;
}

bool IsAscii(std::string_view text) {
  for (unsigned char c : text) {
    if (c >= 0x80) return false;
  }
  return true;
}

std::string EncodeHeaderText(std::string_view text, size_t header_name_length) {
  std::string clean = SanitizeHeaderText(text);
  if (IsAscii(clean) && clean.size() + header_name_length <= 998) return clean;
  return EncodedWords(clean, header_name_length);
}

std::string EncodeDisplayName(std::string_view name) {
  std::string clean = SanitizeHeaderText(name);
  if (!IsAscii(clean)) return EncodedWords(clean, 6);
  bool plain = true;
  for (unsigned char c : clean) plain = plain && IsAtextOrSpace(c);
  if (plain) return clean;
  std::string quoted = "\"";
  for (char c : clean) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string Rfc2231Value(std::string_view value) {
  std::string out = "utf-8''";
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace relance::delivery
