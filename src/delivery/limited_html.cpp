#include "delivery/limited_html.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <vector>

namespace relance::delivery {
namespace {

constexpr std::string_view kAllowedElements[] = {
    "p",     "br",    "strong", "b",  "em", "i",  "u",  "ul", "ol",   "li",  "a",          "table",
    "thead", "tbody", "tr",     "th", "td", "h1", "h2", "h3", "span", "div", "blockquote", "hr"};

bool Contains(std::initializer_list<std::string_view> list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

bool AttributeAllowed(std::string_view element, std::string_view attribute) {
  if (attribute == "title") return true;
  if (element == "a") return attribute == "href";
  if (attribute == "align") {
    return Contains({"p", "div", "h1", "h2", "h3", "td", "th", "table", "tr"}, element);
  }
  if (attribute == "colspan" || attribute == "rowspan") return element == "td" || element == "th";
  return false;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool SafeHref(std::string_view href, bool allow_placeholder) {
  while (!href.empty() && std::isspace(static_cast<unsigned char>(href.front()))) {
    href.remove_prefix(1);
  }
  if (allow_placeholder && href.substr(0, 2) == "{{") return true;
  std::string lower = Lower(href.substr(0, 8));
  return lower.rfind("http://", 0) == 0 || lower.rfind("https://", 0) == 0 ||
         lower.rfind("mailto:", 0) == 0;
}

struct Attribute {
  std::string name;   // lower case
  std::string value;  // raw, entities not decoded
};

// One piece of the markup: text, a tag, or a comment.
struct Token {
  enum class Kind { kText, kOpen, kClose, kComment } kind;
  std::string name;  // element, lower case
  std::vector<Attribute> attributes;
  std::string_view text;
  int line = 1;
};

// Splits markup into tokens. A "<" that does not start a tag is text, as
// browsers read it.
class Tokenizer {
 public:
  explicit Tokenizer(std::string_view html) : html_(html) {}

  std::optional<Token> Next() {
    if (pos_ >= html_.size()) return std::nullopt;
    Token t;
    t.line = line_;
    if (html_.compare(pos_, 4, "<!--") == 0) {
      size_t end = html_.find("-->", pos_ + 4);
      end = end == std::string_view::npos ? html_.size() : end + 3;
      t.kind = Token::Kind::kComment;
      Advance(end);
      return t;
    }
    if (html_[pos_] == '<' && pos_ + 1 < html_.size() &&
        (std::isalpha(static_cast<unsigned char>(html_[pos_ + 1])) || html_[pos_ + 1] == '/' ||
         html_[pos_ + 1] == '!' || html_[pos_ + 1] == '?')) {
      return ReadTag(t);
    }
    size_t end = html_.find('<', pos_ + 1);
    while (end != std::string_view::npos && end + 1 < html_.size() &&
           !(std::isalpha(static_cast<unsigned char>(html_[end + 1])) || html_[end + 1] == '/' ||
             html_[end + 1] == '!' || html_[end + 1] == '?')) {
      end = html_.find('<', end + 1);
    }
    if (end == std::string_view::npos) end = html_.size();
    t.kind = Token::Kind::kText;
    t.text = html_.substr(pos_, end - pos_);
    Advance(end);
    return t;
  }

 private:
  void Advance(size_t to) {
    for (size_t i = pos_; i < to; ++i) {
      if (html_[i] == '\n') ++line_;
    }
    pos_ = to;
  }

  Token ReadTag(Token& t) {
    size_t i = pos_ + 1;
    t.kind = Token::Kind::kOpen;
    if (html_[i] == '/') {
      t.kind = Token::Kind::kClose;
      ++i;
    }
    size_t name_begin = i;
    while (i < html_.size() && (std::isalnum(static_cast<unsigned char>(html_[i])) ||
                                html_[i] == '!' || html_[i] == '?' || html_[i] == '-')) {
      ++i;
    }
    t.name = Lower(html_.substr(name_begin, i - name_begin));
    while (i < html_.size() && html_[i] != '>') {
      if (std::isspace(static_cast<unsigned char>(html_[i])) || html_[i] == '/') {
        ++i;
        continue;
      }
      size_t attr_begin = i;
      while (i < html_.size() && !std::isspace(static_cast<unsigned char>(html_[i])) &&
             html_[i] != '=' && html_[i] != '>' && html_[i] != '/') {
        ++i;
      }
      Attribute a{Lower(html_.substr(attr_begin, i - attr_begin)), ""};
      while (i < html_.size() && std::isspace(static_cast<unsigned char>(html_[i]))) ++i;
      if (i < html_.size() && html_[i] == '=') {
        ++i;
        while (i < html_.size() && std::isspace(static_cast<unsigned char>(html_[i]))) ++i;
        if (i < html_.size() && (html_[i] == '"' || html_[i] == '\'')) {
          char quote = html_[i++];
          size_t end = html_.find(quote, i);
          if (end == std::string_view::npos) end = html_.size();
          a.value = std::string(html_.substr(i, end - i));
          i = std::min(html_.size(), end + 1);
        } else {
          size_t value_begin = i;
          while (i < html_.size() && !std::isspace(static_cast<unsigned char>(html_[i])) &&
                 html_[i] != '>') {
            ++i;
          }
          a.value = std::string(html_.substr(value_begin, i - value_begin));
        }
      }
      t.attributes.push_back(std::move(a));
    }
    Advance(std::min(html_.size(), i + 1));
    return t;
  }

  std::string_view html_;
  size_t pos_ = 0;
  int line_ = 1;
};

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

struct NamedEntity {
  std::string_view name;
  uint32_t code_point;
};
// The entities French text written by hand tends to use.
constexpr NamedEntity kEntities[] = {
    {"amp", '&'},      {"lt", '<'},       {"gt", '>'},        {"quot", '"'},     {"apos", '\''},
    {"nbsp", 0xA0},    {"euro", 0x20AC},  {"eacute", 0xE9},   {"egrave", 0xE8},  {"ecirc", 0xEA},
    {"agrave", 0xE0},  {"acirc", 0xE2},   {"ccedil", 0xE7},   {"ocirc", 0xF4},   {"ucirc", 0xFB},
    {"ugrave", 0xF9},  {"icirc", 0xEE},   {"iuml", 0xEF},     {"Eacute", 0xC9},  {"laquo", 0xAB},
    {"raquo", 0xBB},   {"copy", 0xA9},    {"hellip", 0x2026}, {"rsquo", 0x2019}, {"lsquo", 0x2018},
    {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"ndash", 0x2013},  {"mdash", 0x2014}, {"deg", 0xB0},
};

std::string DecodeEntities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i + 1);
    if (semi == std::string_view::npos || semi - i > 12) {
      out += '&';
      continue;
    }
    std::string_view name = s.substr(i + 1, semi - i - 1);
    bool done = false;
    if (!name.empty() && name[0] == '#') {
      uint32_t cp = 0;
      bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
      std::string_view digits = name.substr(hex ? 2 : 1);
      bool valid = !digits.empty();
      for (char c : digits) {
        int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                : hex && std::isxdigit(static_cast<unsigned char>(c))
                    ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                    : -1;
        if (v < 0 || cp > 0x10FFFF) {
          valid = false;
          break;
        }
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
      }
      if (valid) {
        AppendUtf8(out, cp);
        done = true;
      }
    } else {
      for (const auto& e : kEntities) {
        if (e.name == name) {
          AppendUtf8(out, e.code_point);
          done = true;
          break;
        }
      }
    }
    if (done) {
      i = semi;
    } else {
      out += '&';
    }
  }
  return out;
}

// Builds the text alternative: whitespace collapsed as a browser would, line
// breaks only where the markup asks for them.
class TextBuilder {
 public:
  void Text(std::string_view raw) {
    std::string decoded = DecodeEntities(raw);
    for (char c : decoded) {
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        pending_space_ = true;
        continue;
      }
      if (pending_space_ && !out_.empty() && out_.back() != '\n' && out_.back() != ' ') {
        out_ += ' ';
      }
      pending_space_ = false;
      if (at_line_start_) {
        out_ += indent_;
        at_line_start_ = false;
      }
      out_ += c;
    }
  }
  // Ends the line and makes sure `n` line feeds (2 = a blank line) follow.
  void Break(int n) {
    pending_space_ = false;
    while (!out_.empty() && out_.back() == ' ') out_.pop_back();
    if (out_.empty()) return;
    int have = 0;
    for (auto it = out_.rbegin(); it != out_.rend() && *it == '\n'; ++it) ++have;
    for (; have < n; ++have) out_ += '\n';
    at_line_start_ = true;
  }
  void Literal(std::string_view s) {
    if (at_line_start_) {
      out_ += indent_;
      at_line_start_ = false;
    }
    out_ += s;
    pending_space_ = false;
  }
  void SetIndent(std::string indent) { indent_ = std::move(indent); }
  size_t size() const { return out_.size(); }
  std::string Since(size_t mark) const { return out_.substr(mark); }
  std::string Finish() {
    Break(0);
    while (!out_.empty() && out_.back() == '\n') out_.pop_back();
    return out_;
  }

 private:
  std::string out_;
  std::string indent_;
  bool pending_space_ = false;
  bool at_line_start_ = true;
};

}  // namespace

Result<void> CheckLimitedHtml(std::string_view html, std::string_view where,
                              bool allow_placeholder_href) {
  Tokenizer tokenizer(html);
  auto on_line = [&](int line) {
    return " on line " + std::to_string(line) + " of the " + std::string(where);
  };
  while (auto t = tokenizer.Next()) {
    if (t->kind != Token::Kind::kOpen && t->kind != Token::Kind::kClose) continue;
    bool allowed = std::find(std::begin(kAllowedElements), std::end(kAllowedElements), t->name) !=
                   std::end(kAllowedElements);
    if (!allowed) {
      return FieldInvalid(std::string(where),
                          "the HTML element <" + t->name + "> is not allowed" + on_line(t->line));
    }
    for (const auto& a : t->attributes) {
      if (!AttributeAllowed(t->name, a.name)) {
        return FieldInvalid(std::string(where), "the attribute " + a.name + " on <" + t->name +
                                                    "> is not allowed" + on_line(t->line));
      }
      if (a.name == "href" && !SafeHref(DecodeEntities(a.value), allow_placeholder_href)) {
        return FieldInvalid(std::string(where), "the link \"" + a.value +
                                                    "\" is not an http, https or mailto address" +
                                                    on_line(t->line));
      }
    }
  }
  return Ok();
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string HtmlToText(std::string_view html) {
  TextBuilder b;
  Tokenizer tokenizer(html);
  struct OpenLink {
    size_t mark;
    std::string href;
  };
  std::vector<OpenLink> links;
  int list_depth = 0;
  bool first_cell = true;
  while (auto t = tokenizer.Next()) {
    const std::string& n = t->name;
    bool open = t->kind == Token::Kind::kOpen;
    switch (t->kind) {
      case Token::Kind::kText:
        b.Text(t->text);
        continue;
      case Token::Kind::kComment:
        continue;
      default:
        break;
    }
    if (n == "br") {
      b.Break(1);
    } else if (n == "p" || n == "h1" || n == "h2" || n == "h3" || n == "blockquote" ||
               n == "table") {
      b.Break(2);
    } else if (n == "ul" || n == "ol") {
      list_depth = std::max(0, list_depth + (open ? 1 : -1));
      b.SetIndent(std::string(static_cast<size_t>(std::max(0, list_depth - 1)) * 2, ' '));
      b.Break(list_depth > (open ? 1 : 0) ? 1 : 2);
    } else if (n == "li") {
      b.Break(1);
      if (open) b.Literal("- ");
    } else if (n == "div" || n == "tr" || n == "thead" || n == "tbody") {
      b.Break(1);
      first_cell = true;
    } else if (n == "td" || n == "th") {
      if (open && !first_cell) b.Literal(" | ");
      if (open) first_cell = false;
    } else if (n == "hr") {
      b.Break(1);
      b.Literal("----------");
      b.Break(1);
    } else if (n == "a") {
      if (open) {
        std::string href;
        for (const auto& a : t->attributes) {
          if (a.name == "href") href = DecodeEntities(a.value);
        }
        links.push_back({b.size(), href});
      } else if (!links.empty()) {
        OpenLink link = links.back();
        links.pop_back();
        std::string shown = link.href;
        if (Lower(shown.substr(0, 7)) == "mailto:") shown = shown.substr(7);
        std::string text = b.Since(link.mark);
        while (!text.empty() && text.front() == ' ') text.erase(0, 1);
        if (!shown.empty() && text != shown && text != link.href) {
          b.Literal(text.empty() ? shown : " (" + shown + ")");
        }
      }
    }
  }
  return b.Finish();
}

}  // namespace relance::delivery
