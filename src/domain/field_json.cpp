#include "domain/field_json.h"

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

void AppendFieldValueJson(std::string& out, const FieldValue& v) {
  std::visit(
      [&out](const auto& x) {
        using V = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<V, std::monostate>) {
          out += "null";
        } else if constexpr (std::is_same_v<V, bool>) {
          out += x ? "true" : "false";
        } else if constexpr (std::is_same_v<V, int64_t>) {
          out += std::to_string(x);
        } else if constexpr (std::is_same_v<V, std::string>) {
          AppendJsonString(out, x);
        } else if constexpr (std::is_same_v<V, Date>) {
          AppendJsonString(out, x.ToString());
        } else {
          out += '{';
          bool first = true;
          for (const auto& [k, val] : x) {
            if (!first) out += ',';
            first = false;
            AppendJsonString(out, k);
            out += ':';
            AppendJsonString(out, val);
          }
          out += '}';
        }
      },
      v);
}

}  // namespace relance::domain
