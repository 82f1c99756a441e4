#include "imports/readers/xml_pull.h"

#include <cstring>

#include "imports/readers/sheet_common.h"

namespace relance::imports {
namespace {

constexpr size_t kChunk = 256 * 1024;

// memchr for the short distances of XML tags: a plain loop first (most
// names, values and texts are a few bytes), memchr for the long tail.
inline const char* FindByte(const char* p, const char* end, char c) {
  const char* stop = end - p > 24 ? p + 24 : end;
  for (; p < stop; ++p) {
    if (*p == c) return p;
  }
  if (p >= end) return nullptr;
  return static_cast<const char*>(std::memchr(p, c, static_cast<size_t>(end - p)));
}

inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Names of open elements are kept as hashes (FNV-1a): comparing them is
// enough to catch a damaged part, and costs no copy.
inline uint64_t NameHash(std::string_view s) {
  uint64_t h = 1469598103934665603ull ^ s.size();
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

inline std::string_view LocalName(std::string_view qname) {
  size_t colon = qname.rfind(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

XmlPullParser::XmlPullParser(std::unique_ptr<ZipEntryReader> input, size_t max_token_bytes)
    : input_(std::move(input)), max_token_(std::max<size_t>(max_token_bytes, 64 * 1024)) {
  buf_.resize(std::min<uint64_t>(2 * kChunk, input_->declared_size() + 4096));
}

int XmlPullParser::Fail(Error e) {
  if (!error_) error_ = std::move(e);
  return -1;
}

XmlPullParser::Event XmlPullParser::FailEvent(Error e) {
  Fail(std::move(e));
  return Event::kError;
}

Error XmlPullParser::Malformed(std::string_view what) const {
  return DamagedWorkbook("part " + input_->name() +
                         " is not well-formed XML: " + std::string(what));
}

int XmlPullParser::Fill() {
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (eof_) return 0;
  if (end_ > max_token_) {
    return Fail(TooLarge("part " + input_->name() + " holds a tag or a text longer than " +
                         std::to_string(max_token_ >> 10) + " KB; the file was refused"));
  }
  if (buf_.size() - end_ < 4096) buf_.resize(end_ + 2 * kChunk);
  const bool first = !started_;
  auto read = input_->Read(buf_.data() + end_, buf_.size() - end_);
  if (!read.ok()) return Fail(std::move(read).take_error());
  size_t n = *read;
  if (n == 0) {
    eof_ = true;
    return 0;
  }
  end_ += n;
  if (first) {
    started_ = true;
    if (end_ >= 3 && std::memcmp(buf_.data(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
    if (end_ >= 2 && (std::memcmp(buf_.data(), "\xFF\xFE", 2) == 0 ||
                      std::memcmp(buf_.data(), "\xFE\xFF", 2) == 0)) {
      return Fail(Malformed("UTF-16 parts are not supported"));
    }
  }
  return 1;
}

bool XmlPullParser::Decode(std::string_view raw, std::string* out, bool attribute) const {
  out->clear();
  const size_t n = raw.size();
  for (size_t i = 0; i < n; ++i) {
    char c = raw[i];
    if (c == '&') {
      size_t semi = raw.find(';', i + 1);
      if (semi == std::string_view::npos || semi - i > 12) return false;
      std::string_view ent = raw.substr(i + 1, semi - i - 1);
      if (ent == "lt") {
        out->push_back('<');
      } else if (ent == "gt") {
        out->push_back('>');
      } else if (ent == "amp") {
        out->push_back('&');
      } else if (ent == "quot") {
        out->push_back('"');
      } else if (ent == "apos") {
        out->push_back('\'');
      } else if (ent.size() >= 2 && ent[0] == '#') {
        uint32_t cp = 0;
        bool hex = ent[1] == 'x';
        if (ent.size() < (hex ? 3u : 2u)) return false;
        for (size_t k = hex ? 2 : 1; k < ent.size(); ++k) {
          char d = ent[k];
          uint32_t v;
          if (d >= '0' && d <= '9') {
            v = static_cast<uint32_t>(d - '0');
          } else if (hex && d >= 'a' && d <= 'f') {
            v = static_cast<uint32_t>(d - 'a' + 10);
          } else if (hex && d >= 'A' && d <= 'F') {
            v = static_cast<uint32_t>(d - 'A' + 10);
          } else {
            return false;
          }
          cp = cp * (hex ? 16 : 10) + v;
          if (cp > 0x10FFFF) return false;
        }
        if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        AppendUtf8(cp, out);
      } else {
        return false;  // no DTD, so no other entity exists
      }
      i = semi;
    } else if (c == '\r') {  // XML line-end normalization
      out->push_back(attribute ? ' ' : '\n');
      if (i + 1 < n && raw[i + 1] == '\n') ++i;
    } else if (attribute && (c == '\t' || c == '\n')) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

std::optional<std::string_view> XmlPullParser::attr_value(size_t i) {
  std::string_view v = attrs_[i].value;
  bool plain = true;
  for (char c : v) {
    if (c == '&' || c == '\r' || c == '\n' || c == '\t') {
      plain = false;
      break;
    }
  }
  if (plain) return v;
  if (attr_scratch_.size() < attrs_.size()) attr_scratch_.resize(attrs_.size());
  if (!Decode(v, &attr_scratch_[i], true)) return std::nullopt;
  return std::string_view(attr_scratch_[i]);
}

std::optional<std::string_view> XmlPullParser::Attr(std::string_view local) {
  for (size_t i = 0; i < attrs_.size(); ++i) {
    if (attrs_[i].name == local) return attr_value(i);
  }
  return std::nullopt;
}

int XmlPullParser::ParseTag(Event* event) {
  const char* b = buf_.data();
  const size_t n = end_;
  size_t p = pos_ + 1;
  if (p >= n) return 0;
  const char c = b[p];
  if (c == '/') {
    const char* gt = FindByte(b + p, b + n, '>');
    if (gt == nullptr) return 0;
    size_t e = static_cast<size_t>(gt - b);
    size_t s = p + 1;
    size_t t = e;
    while (t > s && IsSpace(b[t - 1])) --t;
    name_ = LocalName(std::string_view(b + s, t - s));
    pos_ = e + 1;
    *event = Event::kEnd;
    return 1;
  }
  if (c == '?' || c == '!') {
    std::string_view rest(b + p, n - p);
    if (c == '?') {
      size_t e = rest.find("?>");
      if (e == std::string_view::npos) return 0;
      pos_ = p + e + 2;
      *event = Event::kDone;  // nothing to report: the caller goes on
      return 1;
    }
    if (rest.size() < 8 && !eof_) return 0;
    if (rest.substr(0, 3) == "!--") {
      size_t e = rest.find("-->", 3);
      if (e == std::string_view::npos) return 0;
      pos_ = p + e + 3;
      *event = Event::kDone;
      return 1;
    }
    if (rest.substr(0, 8) == "![CDATA[") {
      size_t e = rest.find("]]>", 8);
      if (e == std::string_view::npos) return 0;
      text_ = rest.substr(8, e - 8);
      pos_ = p + e + 3;
      *event = Event::kText;
      return 1;
    }
    if (rest.substr(0, 8) == "!DOCTYPE") {
      return Fail(
          InvalidArgument("part " + input_->name() +
                          " contains a document type declaration (DTD), which a spreadsheet "
                          "never needs (it can hide an entity-expansion attack); the file was "
                          "refused"));
    }
    return Fail(Malformed("unexpected \"<!\""));
  }
  // Start tag.
  attrs_.clear();
  size_t i = p;
  while (i < n && !IsSpace(b[i]) && b[i] != '>' && b[i] != '/') ++i;
  if (i >= n) return 0;
  if (i == p) return Fail(Malformed("empty element name"));
  std::string_view name = LocalName(std::string_view(b + p, i - p));
  bool self_closing = false;
  while (true) {
    while (i < n && IsSpace(b[i])) ++i;
    if (i >= n) return 0;
    if (b[i] == '>') {
      ++i;
      break;
    }
    if (b[i] == '/') {
      if (i + 1 >= n) return 0;
      if (b[i + 1] != '>') return Fail(Malformed("'/' inside a tag"));
      self_closing = true;
      i += 2;
      break;
    }
    size_t a = i;
    while (i < n && b[i] != '=' && !IsSpace(b[i]) && b[i] != '>' && b[i] != '/') ++i;
    if (i >= n) return 0;
    std::string_view aname(b + a, i - a);
    while (i < n && IsSpace(b[i])) ++i;
    if (i >= n) return 0;
    if (b[i] != '=' || aname.empty()) return Fail(Malformed("attribute without a value"));
    ++i;
    while (i < n && IsSpace(b[i])) ++i;
    if (i >= n) return 0;
    char q = b[i];
    if (q != '"' && q != '\'') return Fail(Malformed("unquoted attribute value"));
    const char* close = FindByte(b + i + 1, b + n, q);
    if (close == nullptr) return 0;
    size_t e = static_cast<size_t>(close - b);
    if (attrs_.size() < 256) {
      attrs_.push_back({LocalName(aname), std::string_view(b + i + 1, e - i - 1)});
    }
    i = e + 1;
  }
  name_ = name;
  pos_ = i;
  pending_end_ = self_closing;
  *event = Event::kStart;
  return 1;
}

bool XmlPullParser::TryText(std::string_view name, std::string_view* text) {
  if (pending_end_) return false;
  const char* b = buf_.data() + pos_;
  const char* e = buf_.data() + end_;
  const size_t k = name.size();
  if (static_cast<size_t>(e - b) < 2 * k + 5 || b[0] != '<' ||
      std::memcmp(b + 1, name.data(), k) != 0 || b[k + 1] != '>') {
    return false;
  }
  const char* t = b + k + 2;
  const char* lt = t;
  for (; lt < e && *lt != '<'; ++lt) {
    if (*lt == '&' || *lt == '\r') return false;
  }
  if (static_cast<size_t>(e - lt) < k + 3 || lt[1] != '/' ||
      std::memcmp(lt + 2, name.data(), k) != 0 || lt[k + 2] != '>') {
    return false;
  }
  *text = std::string_view(t, static_cast<size_t>(lt - t));
  pos_ = static_cast<size_t>(lt + k + 3 - buf_.data());
  return true;
}

bool XmlPullParser::TryStart(std::string_view name) {
  if (pending_end_ || open_.size() >= 1000) return false;
  const char* b = buf_.data() + pos_;
  const size_t k = name.size();
  if (end_ - pos_ < k + 2 || b[0] != '<' || std::memcmp(b + 1, name.data(), k) != 0 ||
      b[k + 1] != '>') {
    return false;
  }
  open_.push_back(NameHash(name));
  pos_ += k + 2;
  return true;
}

bool XmlPullParser::TryEnd(std::string_view name) {
  if (pending_end_ || open_.empty() || open_.back() != NameHash(name)) return false;
  const char* b = buf_.data() + pos_;
  const size_t k = name.size();
  if (end_ - pos_ < k + 3 || b[0] != '<' || b[1] != '/' ||
      std::memcmp(b + 2, name.data(), k) != 0 || b[k + 2] != '>') {
    return false;
  }
  open_.pop_back();
  pos_ += k + 3;
  return true;
}

XmlPullParser::Event XmlPullParser::Next() {
  Event event = NextToken();
  if (event == Event::kStart) {
    if (open_.size() >= 1000) return FailEvent(Malformed("elements nested too deep"));
    open_.push_back(NameHash(name_));
  } else if (event == Event::kEnd) {
    if (open_.empty() || open_.back() != NameHash(name_)) {
      return FailEvent(Malformed("mismatched end tag"));
    }
    open_.pop_back();
  } else if (event == Event::kDone && !open_.empty()) {
    return FailEvent(Malformed("the part ends inside an element"));
  }
  return event;
}

XmlPullParser::Event XmlPullParser::NextToken() {
  if (pending_end_) {
    pending_end_ = false;
    return Event::kEnd;
  }
  while (true) {
    if (pos_ >= end_) {
      int more = Fill();
      if (more < 0) return Event::kError;
      if (more == 0) return Event::kDone;
      continue;
    }
    const char* b = buf_.data();
    if (b[pos_] != '<') {
      // One pass for the end of the text and for what needs decoding.
      const char* lt = nullptr;
      bool special = false;
      {
        const char* q = b + pos_;
        const char* e = b + end_;
        const char* stop24 = e - q > 24 ? q + 24 : e;
        for (; q < stop24; ++q) {
          char ch = *q;
          if (ch == '<') {
            lt = q;
            break;
          }
          special |= ch == '&' || ch == '\r';
        }
        if (lt == nullptr && q < e) {
          lt = static_cast<const char*>(std::memchr(q, '<', static_cast<size_t>(e - q)));
          const char* scan_end = lt ? lt : e;
          special = special || std::memchr(q, '&', static_cast<size_t>(scan_end - q)) ||
                    std::memchr(q, '\r', static_cast<size_t>(scan_end - q));
        }
      }
      size_t stop = lt ? static_cast<size_t>(lt - b) : end_;
      if (lt == nullptr && !eof_) {
        // The text goes on past the buffer: hand out what is safe (not an
        // entity or a CR LF cut in two), or read more.
        const void* amp = memrchr(b + pos_, '&', end_ - pos_);
        if (amp != nullptr) {
          size_t a = static_cast<size_t>(static_cast<const char*>(amp) - b);
          if (std::memchr(b + a, ';', end_ - a) == nullptr) stop = a;
        }
        if (stop > pos_ && b[stop - 1] == '\r') --stop;
        if (stop == pos_) {
          if (Fill() < 0) return Event::kError;
          continue;
        }
      }
      std::string_view raw(b + pos_, stop - pos_);
      pos_ = stop;
      if (!special) {
        text_ = raw;
      } else {
        if (!Decode(raw, &text_scratch_, false)) return FailEvent(Malformed("unknown entity"));
        text_ = text_scratch_;
      }
      return Event::kText;
    }
    Event event;
    int complete = ParseTag(&event);
    if (complete < 0) return Event::kError;
    if (complete > 0) {
      if (event == Event::kDone) continue;  // comment or processing instruction
      return event;
    }
    if (eof_) return FailEvent(Malformed("truncated tag"));
    int more = Fill();
    if (more < 0) return Event::kError;
    if (more == 0 && pos_ < end_) {
      complete = ParseTag(&event);
      if (complete < 0) return Event::kError;
      if (complete == 0) return FailEvent(Malformed("truncated tag"));
      if (event == Event::kDone) continue;
      return event;
    }
  }
}

}  // namespace relance::imports
