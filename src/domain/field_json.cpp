#include "domain/field_json.h"

#include <charconv>

#include <string>
#include <type_traits>
#include <variant>

#include "core/byte_scan.h"

namespace relance::domain {

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  size_t run = 0;  // start of the pending run of bytes that need no escape
  for (size_t i; (i = FindJsonSpecial(s, run)) != std::string_view::npos;) {
    const auto c = static_cast<unsigned char>(s[i]);
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(escaped, sizeof escaped);
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void AppendMemberJson(std::string& out, const std::string& v) { AppendJsonString(out, v); }

void AppendMemberJson(std::string& out, int64_t v) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
  out.append(digits, end);
}

void AppendMemberJson(std::string& out, bool v) { out += v ? "true" : "false"; }

void AppendMemberJson(std::string& out, const Date& v) {
  out += '"';
  out += v.ToString();
  out += '"';
}

void AppendMemberJson(std::string& out, const StringMap& v) {
  out += '{';
  bool first = true;
  for (const auto& [k, val] : v) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, k);
    out += ':';
    AppendJsonString(out, val);
  }
  out += '}';
}

void AppendFieldValueJson(std::string& out, const FieldValue& v) {
  std::visit(
      [&out](const auto& x) {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::monostate>) {
          out += "null";
        } else {
          AppendMemberJson(out, x);
        }
      },
      v);
}

}  // namespace relance::domain
