// The JSON of Sellsy's answers as simdjson's DOM: the paged hot path parses
// each answer once into a document, and the mappings read its elements
// (no nlohmann tree is built per page).
#pragma once

#include <simdjson.h>

#include <memory>
#include <optional>
#include <string_view>

namespace relance::sync::sellsy {

// A parsed answer, and a value in it. simdjson elements point into their
// document, so whoever keeps elements keeps the document: a page and its
// items share it, and the connector makes further calls (a credit note's
// invoices, a contact's companies) while it walks a page, each parsed into
// a document of its own.
using JsonDocument = std::shared_ptr<const simdjson::dom::document>;
using JsonElement = simdjson::dom::element;

// The member `key` of `obj`, or nullopt when `obj` is not an object or has
// no such member.
inline std::optional<JsonElement> JsonMember(JsonElement obj, std::string_view key) {
  JsonElement v;
  if (obj.at_key(key).get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}

// The text of the member `key` when it is a JSON string, else nullopt. The
// view points into the element's document.
inline std::optional<std::string_view> TextMember(JsonElement obj, std::string_view key) {
  std::optional<JsonElement> v = JsonMember(obj, key);
  std::string_view text;
  if (!v || v->get(text) != simdjson::SUCCESS) return std::nullopt;
  return text;
}

}  // namespace relance::sync::sellsy
