// Records to JSON and JSON to field assignments, for every entity, driven by
// its EntitySpec (domain/entity_spec.h): nothing here knows a particular
// entity, so a field declared in the spec is in the API at once.
//
// Output: {"id", the fields in spec order except kSecret ones, then
// "version", "created_at", "updated_at"}; dates "YYYY-MM-DD", money integer
// minor units, absent optional values null.
//
// Input is strict: the body is one JSON object; unknown members, wrong JSON
// types, non-integers, numbers outside int64, dates that do not exist,
// values outside an enumeration, ids of the wrong kind, read-only members
// and (on update) create-only members are each reported with the field they
// concern, all of them in one error. Stateless; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/entity_spec.h"
#include "domain/field_json.h"
#include "services/record_service.h"

namespace relance::http {

using OrderedJson = nlohmann::ordered_json;

// Parses a request body that must be a JSON object. kMalformed (400) for
// text that is not JSON (with the byte offset), a member repeated in one
// object, nesting deeper than 32 or a body that is not an object.
Result<nlohmann::json> ParseJsonObject(std::string_view body);

OrderedJson FieldValueToJson(const domain::FieldValue& v);

template <typename T>
OrderedJson RecordToJson(const T& record);

// The JSON text of RecordToJson(record).dump(), written straight into `out`
// without building a JSON tree (list responses: a page of 1000 records is
// where the tree cost most of a request). `extra` members, already JSON
// text, go before "version" as InsertBefore puts them.
struct JsonMember {
  std::string_view name;
  std::string_view json;  // the value's JSON text
};
template <typename T>
void AppendRecordJson(std::string& out, const T& record, std::span<const JsonMember> extra = {});
using domain::AppendJsonString;  // domain/field_json.h
// Records, comma-separated, each as AppendRecordJson writes it.
template <typename T>
void AppendRecordsJson(std::string& out, std::span<const T> items) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    AppendRecordJson(out, items[i]);
  }
}

enum class DecodeMode { kCreate, kUpdate };

// Appends one assignment per member of `object` that is a field of `spec`,
// and one FieldError per problem. Members named in `handled` are left to the
// caller (e.g. "version", "allocations", "password"). On kCreate, required
// fields that are missing are reported too.
template <typename T>
void DecodeFields(const domain::EntitySpec<T>& spec, const nlohmann::json& object, DecodeMode mode,
                  std::span<const std::string_view> handled,
                  std::vector<services::FieldAssignment>& out, std::vector<FieldError>& problems);

// Convenience: DecodeFields, then one kInvalidArgument error if any problem.
template <typename T>
Result<std::vector<services::FieldAssignment>> DecodeBody(
    const domain::EntitySpec<T>& spec, const nlohmann::json& object, DecodeMode mode,
    std::span<const std::string_view> handled = {});

// One error for a list of field problems: "2 invalid fields in customer:
// name is required; ..." with every problem in details.
Error InvalidFields(std::string_view entity, std::vector<FieldError> problems);

// Strict readers for members a handler decodes itself. Each appends a
// problem naming `field` and returns nullopt when the value is wrong.
std::optional<std::string> ReadString(const nlohmann::json& v, const std::string& field,
                                      std::vector<FieldError>& problems);
std::optional<int64_t> ReadInt64(const nlohmann::json& v, const std::string& field,
                                 std::vector<FieldError>& problems);
// A money amount: an integer of minor units, 0..kMaxMinorUnits.
std::optional<int64_t> ReadAmount(const nlohmann::json& v, const std::string& field,
                                  std::vector<FieldError>& problems);

// The JSON type name of a value, for messages ("a string", "a number").
std::string JsonTypeName(const nlohmann::json& v);

}  // namespace relance::http
