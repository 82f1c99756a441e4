#include "delivery/mustache_scan.h"

namespace relance::delivery {
namespace {

Error SyntaxError(std::string_view where, std::string message) {
  return FieldInvalid(std::string(where), std::move(message));
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::string OnLine(int line, std::string_view where) {
  return " on line " + std::to_string(line) + " of the " + std::string(where);
}

}  // namespace

Result<std::vector<MustacheTag>> ScanMustache(std::string_view text, std::string_view where) {
  std::vector<MustacheTag> tags;
  std::vector<MustacheTag> open;  // the sections not yet closed
  int line = 1;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '\n') {
      ++line;
      ++i;
      continue;
    }
    if (text.compare(i, 2, "{{") != 0) {
      ++i;
      continue;
    }
    int tag_line = line;
    bool triple = text.compare(i, 3, "{{{") == 0;
    size_t content_begin = i + (triple ? 3 : 2);
    std::string_view closer = triple ? "}}}" : "}}";
    size_t close = text.find(closer, content_begin);
    size_t newline = text.find('\n', content_begin);
    // A tag may not span lines, except a comment.
    bool comment = content_begin < text.size() && text[content_begin] == '!';
    if (close == std::string_view::npos || (!comment && newline < close)) {
      size_t shown_end = std::min(text.find('\n', i), std::min(text.size(), i + 30));
      return SyntaxError(where, "unclosed tag \"" + std::string(text.substr(i, shown_end - i)) +
                                    "\"" + OnLine(tag_line, where));
    }
    std::string_view content = text.substr(content_begin, close - content_begin);
    for (char c : content) {
      if (c == '\n') ++line;
    }
    i = close + closer.size();
    if (comment) continue;

    MustacheTag tag{MustacheTag::Kind::kVariable, "", tag_line};
    char sigil = content.empty() ? '\0' : content.front();
    if (!triple && (sigil == '#' || sigil == '^' || sigil == '/' || sigil == '&' || sigil == '>' ||
                    sigil == '=' || sigil == '<' || sigil == '$')) {
      content.remove_prefix(1);
    }
    tag.name = Trim(content);
    if (!triple && (sigil == '>' || sigil == '<' || sigil == '$')) {
      return SyntaxError(
          where, "partial templates ({{> ...}}) are not supported" + OnLine(tag_line, where));
    }
    if (!triple && sigil == '=') {
      return SyntaxError(
          where, "changing the delimiters ({{= =}}) is not supported" + OnLine(tag_line, where));
    }
    if (tag.name.empty()) return SyntaxError(where, "empty tag {{}}" + OnLine(tag_line, where));
    if (!triple && sigil == '#') tag.kind = MustacheTag::Kind::kSectionOpen;
    if (!triple && sigil == '^') tag.kind = MustacheTag::Kind::kInvertedOpen;
    if (!triple && sigil == '/') {
      tag.kind = MustacheTag::Kind::kSectionClose;
      if (open.empty()) {
        return SyntaxError(where, "{{/" + tag.name + "}}" + OnLine(tag_line, where) +
                                      " closes a section that was never opened");
      }
      if (open.back().name != tag.name) {
        return SyntaxError(where, "{{/" + tag.name + "}}" + OnLine(tag_line, where) +
                                      " does not match {{#" + open.back().name +
                                      "}} opened on line " + std::to_string(open.back().line));
      }
      open.pop_back();
    }
    if (tag.kind == MustacheTag::Kind::kSectionOpen ||
        tag.kind == MustacheTag::Kind::kInvertedOpen) {
      open.push_back(tag);
    }
    tags.push_back(std::move(tag));
  }
  if (!open.empty()) {
    return SyntaxError(where, "section {{#" + open.back().name + "}}" +
                                  OnLine(open.back().line, where) +
                                  " is never closed (missing {{/" + open.back().name + "}})");
  }
  return tags;
}

}  // namespace relance::delivery
