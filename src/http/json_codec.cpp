#include "http/json_codec.h"

#include <cmath>
#include <limits>
#include <set>

#include "core/ids.h"
#include "core/money.h"

namespace relance::http {
namespace {

using domain::FieldType;
using domain::FieldValue;
using nlohmann::json;

constexpr int kMaxDepth = 32;

// The common members every record has; clients may echo them back.
constexpr std::string_view kMetaMembers[] = {"id", "version", "created_at", "updated_at"};

std::string Join(const std::vector<std::string_view>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    out += values[i];
  }
  return out;
}

std::string Describe(const json& v) {
  std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

// One field's JSON value to its FieldValue; nullopt after recording why not.
template <typename T>
std::optional<FieldValue> DecodeValue(const domain::FieldSpec<T>& f, const json& v,
                                      std::vector<FieldError>& problems) {
  const std::string name(f.name);
  if (v.is_null()) {
    if (f.nullable() || f.type == FieldType::kMap) return FieldValue{};
    problems.push_back({name, "must not be null"});
    return std::nullopt;
  }
  switch (f.type) {
    case FieldType::kText: {
      auto s = ReadString(v, name, problems);
      if (!s) return std::nullopt;
      if (!f.allowed.empty()) {
        bool ok = false;
        for (auto a : f.allowed) ok = ok || a == *s;
        if (!ok) {
          problems.push_back({name, "must be one of " + Join(f.allowed) + ", not \"" + *s + "\""});
          return std::nullopt;
        }
      }
      if (!f.ref_prefix.empty() && !IsValidId(*s, f.ref_prefix)) {
        problems.push_back({name, "must be an id of the form " + std::string(f.ref_prefix) +
                                      "_..., not \"" + *s + "\""});
        return std::nullopt;
      }
      return FieldValue(std::move(*s));
    }
    case FieldType::kInt: {
      auto i = ReadInt64(v, name, problems);
      if (!i) return std::nullopt;
      return FieldValue(*i);
    }
    case FieldType::kMoney: {
      auto i = ReadAmount(v, name, problems);
      if (!i) return std::nullopt;
      return FieldValue(*i);
    }
    case FieldType::kBool:
      if (!v.is_boolean()) {
        problems.push_back({name, "must be a boolean (true or false), not " + JsonTypeName(v)});
        return std::nullopt;
      }
      return FieldValue(v.get<bool>());
    case FieldType::kDate: {
      if (!v.is_string()) {
        problems.push_back({name, "must be a date string \"YYYY-MM-DD\", not " + JsonTypeName(v)});
        return std::nullopt;
      }
      auto d = Date::Parse(v.get_ref<const std::string&>());
      if (!d.ok()) {
        problems.push_back({name, "is not a date that exists (expected YYYY-MM-DD): \"" +
                                      v.get<std::string>() + "\""});
        return std::nullopt;
      }
      return FieldValue(*d);
    }
    case FieldType::kMap: {
      if (!v.is_object()) {
        problems.push_back({name, "must be an object of strings, not " + JsonTypeName(v)});
        return std::nullopt;
      }
      domain::StringMap m;
      bool ok = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!it.value().is_string()) {
          problems.push_back(
              {name + "." + it.key(), "must be a string, not " + JsonTypeName(it.value())});
          ok = false;
          continue;
        }
        m[it.key()] = it.value().get<std::string>();
      }
      if (!ok) return std::nullopt;
      return FieldValue(std::move(m));
    }
  }
  problems.push_back({name, "has a type this server cannot read"});
  return std::nullopt;
}

}  // namespace

std::string JsonTypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a decimal number";
    default:
      return "an unsupported value";
  }
}

Result<json> ParseJsonObject(std::string_view body) {
  if (body.empty()) {
    return Error(ErrorCode::kMalformed, "the request body is empty; send a JSON object");
  }
  // The callback sees every object open and close, so duplicate members and
  // excessive nesting are caught while parsing, before anything is built.
  std::vector<std::set<std::string>> keys;
  int depth = 0;
  std::string problem;
  json::parser_callback_t cb = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        keys.emplace_back();
        [[fallthrough]];
      case json::parse_event_t::array_start:
        if (++depth > kMaxDepth && problem.empty()) {
          problem = "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels";
        }
        break;
      case json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        --depth;
        break;
      case json::parse_event_t::array_end:
        --depth;
        break;
      case json::parse_event_t::key:
        if (!keys.empty() && !keys.back().insert(parsed.get<std::string>()).second &&
            problem.empty()) {
          problem = "member \"" + parsed.get<std::string>() + "\" appears twice in one object";
        }
        break;
      default:
        break;
    }
    return problem.empty();
  };
  json parsed;
  try {
    parsed = json::parse(body.begin(), body.end(), cb, /*allow_exceptions=*/true,
                         /*ignore_comments=*/false);
  } catch (const json::exception& e) {
    // parse_error names the byte offset and what was expected, quoting at
    // most a few bytes of the input; out_of_range is a number too large
    // for a double (1e400).
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    return Error(ErrorCode::kMalformed, "the request body is not valid JSON: " + what);
  }
  if (!problem.empty())
    return Error(ErrorCode::kMalformed, "the request body is refused: " + problem);
  if (!parsed.is_object()) {
    return Error(ErrorCode::kMalformed,
                 "the request body must be a JSON object, not " + JsonTypeName(parsed));
  }
  return parsed;
}

OrderedJson FieldValueToJson(const FieldValue& v) {
  return std::visit(
      [](const auto& x) -> OrderedJson {
        using V = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<V, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<V, Date>) {
          return x.ToString();
        } else if constexpr (std::is_same_v<V, domain::StringMap>) {
          OrderedJson m = OrderedJson::object();
          for (const auto& [k, val] : x) m[k] = val;
          return m;
        } else {
          return x;
        }
      },
      v);
}

template <typename T>
OrderedJson RecordToJson(const T& r) {
  OrderedJson j = OrderedJson::object();
  j["id"] = r.meta.id;
  for (const auto& f : domain::SpecOf<T>().fields) {
    if (f.Has(domain::kSecret)) continue;
    j[std::string(f.name)] = FieldValueToJson(f.Get(r));
  }
  j["version"] = r.meta.version;
  j["created_at"] = r.meta.created_at;
  j["updated_at"] = r.meta.updated_at;
  return j;
}

namespace {

void AppendName(std::string& out, std::string_view name) {
  out += '"';
  out += name;  // member names are plain identifiers
  out += "\":";
}

}  // namespace

template <typename T>
void AppendRecordJson(std::string& out, const T& r, std::span<const JsonMember> extra) {
  out += "{\"id\":";
  AppendJsonString(out, r.meta.id);
  for (const auto& f : domain::SpecOf<T>().fields) {
    if (f.Has(domain::kSecret)) continue;
    out += ',';
    AppendName(out, f.name);
    domain::AppendFieldValueJson(out, f.Get(r));
  }
  for (const auto& m : extra) {
    out += ',';
    AppendName(out, m.name);
    out += m.json;
  }
  out += ",\"version\":" + std::to_string(r.meta.version) + ",\"created_at\":";
  AppendJsonString(out, r.meta.created_at);
  out += ",\"updated_at\":";
  AppendJsonString(out, r.meta.updated_at);
  out += '}';
}

template <typename T>
void DecodeFields(const domain::EntitySpec<T>& spec, const json& object, DecodeMode mode,
                  std::span<const std::string_view> handled,
                  std::vector<services::FieldAssignment>& out, std::vector<FieldError>& problems) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string& key = it.key();
    bool skip = false;
    for (auto h : handled) skip = skip || h == key;
    if (skip) continue;
    const domain::FieldSpec<T>* f = spec.Find(key);
    bool meta = false;
    for (auto m : kMetaMembers) meta = meta || m == key;
    if (meta || (f != nullptr && f->Has(domain::kOutputOnly))) {
      problems.push_back({key, "is read-only"});
      continue;
    }
    if (f == nullptr || f->Has(domain::kSecret)) {
      problems.push_back({key, "is not a field of " + std::string(spec.entity)});
      continue;
    }
    if (mode == DecodeMode::kUpdate && f->Has(domain::kCreateOnly)) {
      problems.push_back({key, "cannot be changed after creation"});
      continue;
    }
    auto value = DecodeValue(*f, it.value(), problems);
    if (value) out.push_back({key, std::move(*value)});
  }
  if (mode == DecodeMode::kCreate) {
    for (const auto& f : spec.fields) {
      if (f.Has(domain::kRequired) && !f.Has(domain::kOutputOnly) &&
          !object.contains(std::string(f.name))) {
        problems.push_back({std::string(f.name), "is required"});
      }
    }
  }
}

template <typename T>
Result<std::vector<services::FieldAssignment>> DecodeBody(
    const domain::EntitySpec<T>& spec, const json& object, DecodeMode mode,
    std::span<const std::string_view> handled) {
  std::vector<services::FieldAssignment> out;
  std::vector<FieldError> problems;
  DecodeFields(spec, object, mode, handled, out, problems);
  if (!problems.empty()) return InvalidFields(spec.entity, std::move(problems));
  return out;
}

Error InvalidFields(std::string_view entity, std::vector<FieldError> problems) {
  std::string msg = std::to_string(problems.size()) + " invalid field" +
                    (problems.size() > 1 ? "s" : "") + " in " + std::string(entity) + ": ";
  for (size_t i = 0; i < problems.size() && i < 3; ++i) {
    if (i) msg += "; ";
    msg += problems[i].field + " " + problems[i].message;
  }
  if (problems.size() > 3) msg += "; ...";
  return InvalidArgument(std::move(msg), std::move(problems));
}

std::optional<std::string> ReadString(const json& v, const std::string& field,
                                      std::vector<FieldError>& problems) {
  if (!v.is_string()) {
    problems.push_back({field, "must be a string, not " + JsonTypeName(v)});
    return std::nullopt;
  }
  return v.get<std::string>();
}

std::optional<int64_t> ReadInt64(const json& v, const std::string& field,
                                 std::vector<FieldError>& problems) {
  // nlohmann keeps integers that fit int64 as number_integer, larger
  // positive ones as number_unsigned and anything larger still, or with a
  // fraction or an exponent, as a double: only the first is accepted.
  if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<int64_t>();
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return static_cast<int64_t>(u);
    }
    problems.push_back({field, "is out of range: at most 9223372036854775807"});
    return std::nullopt;
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    bool huge = std::abs(d) >= 9.2e18;
    problems.push_back({field, huge ? "is out of range for a 64-bit integer: " + Describe(v)
                                    : "must be an integer, not the decimal number " + Describe(v)});
    return std::nullopt;
  }
  problems.push_back({field, "must be an integer, not " + JsonTypeName(v)});
  return std::nullopt;
}

std::optional<int64_t> ReadAmount(const json& v, const std::string& field,
                                  std::vector<FieldError>& problems) {
  size_t before = problems.size();
  auto i = ReadInt64(v, field, problems);
  if (!i) {
    if (problems.size() > before && v.is_number_float()) {
      problems.back().message += " (amounts are integers of minor units: 12.50 EUR is 1250)";
    }
    return std::nullopt;
  }
  if (auto r = ValidateAmount(*i, field); !r.ok()) {
    const auto& d = r.error().details();
    problems.push_back({field, d.empty() ? r.error().message() : d[0].message});
    return std::nullopt;
  }
  return i;
}

#define RELANCE_INSTANTIATE(T)                                                                  \
  template OrderedJson RecordToJson<T>(const T&);                                               \
  template void AppendRecordJson<T>(std::string&, const T&, std::span<const JsonMember>);       \
  template void DecodeFields<T>(                                                                \
      const domain::EntitySpec<T>&, const json&, DecodeMode, std::span<const std::string_view>, \
      std::vector<services::FieldAssignment>&, std::vector<FieldError>&);                       \
  template Result<std::vector<services::FieldAssignment>> DecodeBody<T>(                        \
      const domain::EntitySpec<T>&, const json&, DecodeMode, std::span<const std::string_view>);

RELANCE_INSTANTIATE(domain::Organization)
RELANCE_INSTANTIATE(domain::User)
RELANCE_INSTANTIATE(domain::Customer)
RELANCE_INSTANTIATE(domain::Contact)
RELANCE_INSTANTIATE(domain::Invoice)
RELANCE_INSTANTIATE(domain::Payment)
RELANCE_INSTANTIATE(domain::Allocation)
RELANCE_INSTANTIATE(domain::Product)
RELANCE_INSTANTIATE(domain::DunningPlan)
RELANCE_INSTANTIATE(domain::ImportJob)
RELANCE_INSTANTIATE(domain::DunningStep)
RELANCE_INSTANTIATE(domain::Action)
RELANCE_INSTANTIATE(domain::SyncConnection)
RELANCE_INSTANTIATE(domain::SyncRun)
RELANCE_INSTANTIATE(domain::SyncChange)
#undef RELANCE_INSTANTIATE

}  // namespace relance::http
