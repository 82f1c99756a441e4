// Writing CSV the way spreadsheet software reads it back: ';' separators
// (French locales open ';' files directly), RFC 4180 quoting of fields that
// hold the separator, a quote or a line break, CRLF line ends, and a UTF-8
// byte-order mark so Excel does not take the text for Windows-1252.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace relance::imports {

inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

inline void AppendCsvField(std::string& out, std::string_view v, char sep = ';') {
  bool quote = v.find_first_of(std::string{sep, '"', '\n', '\r'}) != std::string_view::npos;
  if (!quote) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

// One record: fields joined by `sep`, ended by CRLF.
template <typename Range>
void AppendCsvRecord(std::string& out, const Range& fields, char sep = ';') {
  bool first = true;
  for (const auto& f : fields) {
    if (!first) out += sep;
    AppendCsvField(out, std::string_view(f), sep);
    first = false;
  }
  out += "\r\n";
}
inline void AppendCsvRecord(std::string& out, std::initializer_list<std::string_view> fields,
                            char sep = ';') {
  AppendCsvRecord<std::initializer_list<std::string_view>>(out, fields, sep);
}

}  // namespace relance::imports
