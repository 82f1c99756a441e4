// The JSON text of field values, written straight into a string without
// building a JSON tree: the API's list pages and the sync change log write
// many of them, and the tree was most of their cost. The text is the one
// nlohmann's dump() gives for the same value.
#pragma once

#include <string>
#include <string_view>

#include "domain/entity_spec.h"

namespace relance::domain {

// A JSON string literal, escaped as nlohmann's dump() escapes (UTF-8 kept).
void AppendJsonString(std::string& out, std::string_view s);

// null, true/false, an integer, a string, a date as "YYYY-MM-DD", or a map
// as an object of strings.
void AppendFieldValueJson(std::string& out, const FieldValue& v);

// The same for each member type a field can have (an absent optional is
// null), written from the member itself rather than a FieldValue copy.
void AppendMemberJson(std::string& out, const std::string& v);
void AppendMemberJson(std::string& out, int64_t v);
void AppendMemberJson(std::string& out, bool v);
void AppendMemberJson(std::string& out, const Date& v);
void AppendMemberJson(std::string& out, const StringMap& v);
template <typename V>
void AppendMemberJson(std::string& out, const std::optional<V>& v) {
  if (v) {
    AppendMemberJson(out, *v);
  } else {
    out += "null";
  }
}

// AppendFieldValueJson(out, f.Get(record)), without the copy.
template <typename T>
void AppendFieldJson(std::string& out, const FieldSpec<T>& f, const T& record) {
  std::visit([&](auto p) { AppendMemberJson(out, record.*p); }, f.member);
}

}  // namespace relance::domain
