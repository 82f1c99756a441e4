#include "http/list_query.h"

#include <charconv>
#include <set>

namespace relance::http {
namespace {

using domain::FieldType;

std::string AllowedList(const std::vector<std::string_view>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    out += values[i];
  }
  return out;
}

// A filter's text to the value stored in its column.
template <typename T>
std::optional<store::SqlValue> FilterValue(const domain::FieldSpec<T>& f, const std::string& text,
                                           std::vector<FieldError>& problems) {
  std::string name(f.name);
  switch (f.type) {
    case FieldType::kText:
      if (!f.allowed.empty()) {
        bool ok = false;
        for (auto a : f.allowed) ok = ok || a == text;
        if (!ok) {
          problems.push_back(
              {name, "must be one of " + AllowedList(f.allowed) + ", not \"" + text + "\""});
          return std::nullopt;
        }
      }
      return store::SqlValue(text);
    case FieldType::kInt:
    case FieldType::kMoney: {
      auto i = ParseStrictInt(text);
      if (!i) {
        problems.push_back({name, "must be an integer, not \"" + text + "\""});
        return std::nullopt;
      }
      return store::SqlValue(*i);
    }
    case FieldType::kBool:
      if (text == "true") return store::SqlValue(int64_t{1});
      if (text == "false") return store::SqlValue(int64_t{0});
      problems.push_back({name, "must be true or false, not \"" + text + "\""});
      return std::nullopt;
    case FieldType::kDate: {
      auto d = Date::Parse(text);
      if (!d.ok()) {
        problems.push_back(
            {name, "is not a date that exists (expected YYYY-MM-DD): \"" + text + "\""});
        return std::nullopt;
      }
      return store::SqlValue(d->ToString());
    }
    case FieldType::kMap:
      break;
  }
  problems.push_back({name, "cannot be used as a filter"});
  return std::nullopt;
}

std::string TypeOf(FieldType t) {
  switch (t) {
    case FieldType::kInt:
    case FieldType::kMoney:
      return "integer";
    case FieldType::kBool:
      return "boolean";
    default:
      return "string";
  }
}

}  // namespace

std::optional<int64_t> ParseStrictInt(const std::string& text) {
  int64_t v = 0;
  if (text.empty()) return std::nullopt;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

template <typename T>
Result<store::ListQuery> ParseListQuery(const domain::EntitySpec<T>& spec, const ApiRequest& req,
                                        const std::vector<ListParam>& extra) {
  store::ListQuery q;
  q.limit = kDefaultLimit;
  std::vector<FieldError> problems;
  std::set<std::string> seen;
  std::vector<std::pair<const ListParam*, std::string>> extras_given;
  for (const auto& [name, value] : req.http.params) {
    if (!seen.insert(name).second) {
      problems.push_back({name, "is given more than once"});
      continue;
    }
    if (name == "limit") {
      auto n = ParseStrictInt(value);
      if (!n || *n < 1 || *n > kMaxLimit) {
        problems.push_back({name, "must be an integer from 1 to " + std::to_string(kMaxLimit)});
      } else {
        q.limit = static_cast<int>(*n);
      }
      continue;
    }
    if (name == "cursor") {
      if (value.empty()) {
        problems.push_back({name, "must not be empty"});
      } else {
        q.cursor = value;
      }
      continue;
    }
    if (name == "sort") {
      std::string field = value;
      bool descending = !field.empty() && field[0] == '-';
      if (descending) field.erase(0, 1);
      const auto* f = spec.Find(field);
      if (field != "id" && (f == nullptr || !f->Has(domain::kSortable))) {
        std::vector<std::string_view> sortable = {"id"};
        for (const auto& sf : spec.fields) {
          if (sf.Has(domain::kSortable)) sortable.push_back(sf.name);
        }
        problems.push_back({name, "cannot sort " + std::string(spec.resource) + " by \"" + value +
                                      "\"; use one of " + AllowedList(sortable) +
                                      " (prefix - for descending)"});
      } else {
        q.sort = field;
        q.descending = descending;
      }
      continue;
    }
    bool is_extra = false;
    for (const auto& p : extra) {
      if (p.doc.name == name) {
        extras_given.emplace_back(&p, value);
        is_extra = true;
      }
    }
    if (is_extra) continue;
    const auto* f = spec.Find(name);
    if (f == nullptr || !f->Has(domain::kFilterable) || f->Has(domain::kSecret)) {
      problems.push_back({name, "is not a query parameter of " + std::string(spec.resource) +
                                    " lists; see /api/v1/openapi.json"});
      continue;
    }
    auto v = FilterValue(*f, value, problems);
    if (v) q.conditions.push_back({name, store::Condition::Op::kEq, std::move(*v)});
  }
  if (!problems.empty()) {
    std::string msg = "invalid query parameter";
    msg += problems.size() > 1 ? "s: " : ": ";
    for (size_t i = 0; i < problems.size(); ++i) {
      if (i) msg += "; ";
      msg += problems[i].field + " " + problems[i].message;
    }
    return InvalidArgument(std::move(msg), std::move(problems));
  }
  for (const auto& [param, value] : extras_given) {
    RETURN_IF_ERROR(param->apply(req, value, q));
  }
  return q;
}

template <typename T>
std::vector<ParamDoc> ListParamDocs(const domain::EntitySpec<T>& spec,
                                    const std::vector<ListParam>& extra) {
  std::vector<ParamDoc> docs;
  docs.push_back({"limit", "integer",
                  "Page size, 1 to " + std::to_string(kMaxLimit) + " (default " +
                      std::to_string(kDefaultLimit) + ")"});
  docs.push_back({"cursor", "string", "The next_cursor of the previous page"});
  ParamDoc sort{"sort", "string",
                "Sort field; prefix with - for descending. Default: id (creation order)"};
  sort.enum_values.push_back("id");
  sort.enum_values.push_back("-id");
  for (const auto& f : spec.fields) {
    if (!f.Has(domain::kSortable)) continue;
    sort.enum_values.emplace_back(f.name);
    sort.enum_values.push_back("-" + std::string(f.name));
  }
  docs.push_back(std::move(sort));
  for (const auto& f : spec.fields) {
    if (!f.Has(domain::kFilterable) || f.Has(domain::kSecret)) continue;
    ParamDoc d{std::string(f.name), TypeOf(f.type),
               "Only records whose " + std::string(f.name) + " equals this value"};
    for (auto a : f.allowed) d.enum_values.emplace_back(a);
    if (f.type == FieldType::kDate) d.format = "date";
    docs.push_back(std::move(d));
  }
  for (const auto& p : extra) docs.push_back(p.doc);
  return docs;
}

#define RELANCE_INSTANTIATE(T)                                                         \
  template Result<store::ListQuery> ParseListQuery<T>(                                 \
      const domain::EntitySpec<T>&, const ApiRequest&, const std::vector<ListParam>&); \
  template std::vector<ParamDoc> ListParamDocs<T>(const domain::EntitySpec<T>&,        \
                                                  const std::vector<ListParam>&);

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
