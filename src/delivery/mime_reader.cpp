#include "delivery/mime_reader.h"

#include <cctype>

namespace relance::delivery::mime {
namespace {

bool IsFieldNameChar(unsigned char c) { return c > 32 && c < 127 && c != ':'; }

// Calls `fn(line)` for each LF-terminated line (the last may lack its LF);
// stops when `fn` returns false.
template <typename F>
void EachLine(std::string_view text, F fn) {
  size_t start = 0;
  while (start < text.size()) {
    size_t eol = text.find('\n', start);
    std::string_view line =
        text.substr(start, eol == std::string_view::npos ? std::string_view::npos : eol - start);
    if (!fn(line, start)) return;
    if (eol == std::string_view::npos) return;
    start = eol + 1;
  }
}

int Base64Value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::string DecodeBase64(std::string_view in) {
  std::string out;
  out.reserve(in.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    if (c == '=') break;
    int v = Base64Value(c);
    if (v < 0) continue;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

int HexValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<unsigned char>(std::toupper(c));
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string DecodeQuotedPrintable(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '=') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 1 < in.size() && in[i + 1] == '\n') {  // soft line break
      ++i;
      continue;
    }
    int hi = i + 2 < in.size() ? HexValue(in[i + 1]) : -1;
    int lo = hi >= 0 ? HexValue(in[i + 2]) : -1;
    if (lo < 0) {
      out.push_back('=');  // not an escape: kept, as readers do
      continue;
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

// "value" or token, from `s` at `i`; moves `i` past it.
std::string ReadParamValue(std::string_view s, size_t& i) {
  std::string out;
  if (i < s.size() && s[i] == '"') {
    for (++i; i < s.size() && s[i] != '"'; ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      out.push_back(s[i]);
    }
    if (i < s.size()) ++i;  // the closing quote
    return out;
  }
  while (i < s.size() && s[i] != ';') out.push_back(s[i++]);
  return std::string(Trim(out));
}

}  // namespace

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string NormalizeLineEnds(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') {
      out.push_back(text[i]);
    } else {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    }
  }
  return out;
}

std::vector<Field> ParseFields(std::string_view block, size_t max_fields) {
  std::vector<Field> fields;
  bool in_field = false;  // a continuation line belongs to the last field
  EachLine(block, [&](std::string_view line, size_t) {
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      std::string_view more = Trim(line);
      if (in_field && !more.empty()) {
        std::string& v = fields.back().value;
        if (!v.empty()) v.push_back(' ');
        v.append(more);
      }
      return true;
    }
    size_t colon = line.find(':');
    size_t n = 0;
    while (n < line.size() && IsFieldNameChar(static_cast<unsigned char>(line[n]))) ++n;
    // "Name : value" (obsolete syntax) has spaces before the colon.
    size_t after = n;
    while (after < line.size() && (line[after] == ' ' || line[after] == '\t')) ++after;
    in_field = colon != std::string_view::npos && n > 0 && after == colon;
    if (!in_field) return true;
    if (fields.size() >= max_fields) return false;
    fields.push_back({std::string(line.substr(0, n)), std::string(Trim(line.substr(colon + 1)))});
    return true;
  });
  return fields;
}

const std::string* FindField(const std::vector<Field>& fields, std::string_view name) {
  const std::string want = Lower(name);
  for (const auto& f : fields) {
    if (f.name.size() == want.size() && Lower(f.name) == want) return &f.value;
  }
  return nullptr;
}

Entity ParseEntity(std::string_view text) {
  Entity e;
  size_t end = std::string_view::npos;
  if (!text.empty() && text[0] == '\n') {
    end = 0;  // no header at all
  } else {
    size_t blank = text.find("\n\n");
    if (blank != std::string_view::npos) end = blank + 1;
  }
  std::string_view head = end == std::string_view::npos ? text : text.substr(0, end);
  e.headers = ParseFields(head);
  if (end != std::string_view::npos) e.body = text.substr(end + 1);
  return e;
}

std::string ContentType::Param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

ContentType ParseContentType(const std::string* value) {
  ContentType ct;
  if (value == nullptr) return ct;
  std::string_view s = *value;
  size_t semi = s.find(';');
  std::string_view media = Trim(s.substr(0, semi));
  size_t slash = media.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == media.size()) return ct;
  ct.type = Lower(Trim(media.substr(0, slash)));
  ct.subtype = Lower(Trim(media.substr(slash + 1)));
  size_t i = semi == std::string_view::npos ? s.size() : semi + 1;
  while (i < s.size()) {
    size_t eq = s.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string name = Lower(Trim(s.substr(i, eq - i)));
    i = eq + 1;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::string v = ReadParamValue(s, i);
    if (!name.empty() && !ct.params.count(name)) ct.params[name] = std::move(v);
    size_t next = s.find(';', i);
    i = next == std::string_view::npos ? s.size() : next + 1;
  }
  return ct;
}

Result<std::vector<std::string_view>> SplitMultipart(std::string_view body,
                                                     std::string_view boundary, size_t max_parts) {
  if (boundary.empty() || boundary.size() > 200) {
    return InvalidArgument("the multipart body has no usable boundary parameter");
  }
  const std::string delimiter = "--" + std::string(boundary);
  std::vector<std::string_view> parts;
  size_t part_start = std::string_view::npos;
  bool closed = false, too_many = false;
  EachLine(body, [&](std::string_view line, size_t at) {
    if (line.substr(0, delimiter.size()) != delimiter) return true;
    std::string_view rest = line.substr(delimiter.size());
    const bool close = rest.substr(0, 2) == "--";
    if (!close && !Trim(rest).empty()) return true;  // a line that merely starts alike
    if (part_start != std::string_view::npos) {
      // The LF before the delimiter belongs to the delimiter (RFC 2046 §5.1.1).
      size_t end = at > part_start ? at - 1 : part_start;
      parts.push_back(body.substr(part_start, end - part_start));
      if (parts.size() > max_parts) {
        too_many = true;
        return false;
      }
    }
    if (close) {
      closed = true;
      return false;
    }
    part_start = std::min(body.size(), at + line.size() + 1);
    return true;
  });
  if (too_many) {
    return InvalidArgument("the multipart body has more than " + std::to_string(max_parts) +
                           " parts");
  }
  if (!closed && part_start != std::string_view::npos) {
    parts.push_back(body.substr(part_start));  // unterminated: keep what came
  }
  if (parts.empty()) {
    return InvalidArgument("the multipart body never uses its boundary \"" + std::string(boundary) +
                           "\"");
  }
  return parts;
}

std::string DecodeBody(const Entity& entity) {
  const std::string* cte = FindField(entity.headers, "Content-Transfer-Encoding");
  const std::string encoding = cte ? Lower(Trim(*cte)) : "";
  // Decoded bytes may carry CRLF again: back to the LF convention.
  if (encoding == "base64") return NormalizeLineEnds(DecodeBase64(entity.body));
  if (encoding == "quoted-printable") return NormalizeLineEnds(DecodeQuotedPrintable(entity.body));
  return std::string(entity.body);
}

}  // namespace relance::delivery::mime
