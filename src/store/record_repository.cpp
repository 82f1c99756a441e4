#include "store/record_repository.h"

#include <sodium.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "store/change_stamps.h"

namespace relance::store {
namespace {

using domain::FieldType;
using domain::FieldValue;

constexpr std::string_view kCommonColumns[] = {"id", "org_id", "version", "created_at",
                                               "updated_at"};
constexpr size_t kCommonCount = std::size(kCommonColumns);

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string Base64Url(const std::string& raw) {
  std::string out(sodium_base64_encoded_len(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::optional<std::string> FromBase64Url(const std::string& text) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.c_str(),
                        text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

std::string_view OpSql(Condition::Op op) {
  switch (op) {
    case Condition::Op::kEq: return " = ?";
    case Condition::Op::kNe: return " <> ?";
    case Condition::Op::kLt: return " < ?";
    case Condition::Op::kLe: return " <= ?";
    case Condition::Op::kGt: return " > ?";
    case Condition::Op::kGe: return " >= ?";
    case Condition::Op::kIsNull: return " IS NULL";
    case Condition::Op::kIsNotNull: return " IS NOT NULL";
    case Condition::Op::kIn: return " IN ";
  }
  return " = ?";
}

SqlValue JsonToSql(const nlohmann::json& j) {
  if (j.is_null()) return Null();
  if (j.is_number_integer()) return j.get<int64_t>();
  return j.get<std::string>();
}

nlohmann::json SqlToJson(const SqlValue& v) {
  if (auto p = std::get_if<int64_t>(&v)) return *p;
  if (auto p = std::get_if<std::string>(&v)) return *p;
  if (auto p = std::get_if<double>(&v)) return static_cast<int64_t>(*p);
  return nullptr;
}

}  // namespace

SqlValue ToSql(FieldType type, const FieldValue& v) {
  if (std::holds_alternative<std::monostate>(v)) {
    return type == FieldType::kMap ? SqlValue(std::string("{}")) : Null();
  }
  switch (type) {
    case FieldType::kText: return std::get<std::string>(v);
    case FieldType::kInt:
    case FieldType::kMoney: return std::get<int64_t>(v);
    case FieldType::kBool: return int64_t{std::get<bool>(v) ? 1 : 0};
    case FieldType::kDate: return std::get<Date>(v).ToString();
    case FieldType::kMap: return nlohmann::json(std::get<domain::StringMap>(v)).dump();
  }
  return Null();
}

Result<FieldValue> FromSql(FieldType type, const SqlValue& v) {
  if (std::holds_alternative<std::monostate>(v)) return FieldValue{};
  SqlRow row({v});
  switch (type) {
    case FieldType::kText: return FieldValue(row.Text(0));
    case FieldType::kInt:
    case FieldType::kMoney: return FieldValue(row.Int(0));
    case FieldType::kBool: return FieldValue(row.Int(0) != 0);
    case FieldType::kDate: {
      ASSIGN_OR_RETURN(Date d, Date::Parse(row.Text(0)));
      return FieldValue(d);
    }
    case FieldType::kMap: {
      auto j = nlohmann::json::parse(row.Text(0), nullptr, /*allow_exceptions=*/false);
      if (!j.is_object()) return Internal("stored map is not a JSON object");
      domain::StringMap m;
      for (auto& [k, val] : j.items()) {
        if (val.is_string()) m[k] = val.get<std::string>();
      }
      return FieldValue(std::move(m));
    }
  }
  return Internal("unknown field type");
}

template <typename T>
RecordRepository<T>::RecordRepository(const domain::EntitySpec<T>& spec) : spec_(spec) {
  std::vector<std::string> cols(std::begin(kCommonColumns), std::end(kCommonColumns));
  for (const auto& f : spec_.fields) cols.emplace_back(f.name);
  column_names_ = cols;
  columns_ = Join(cols, ", ");
  std::vector<std::string> marks(cols.size(), "?");
  insert_sql_ = "INSERT INTO " + std::string(spec_.table) + " (" + columns_ + ") VALUES (" +
                Join(marks, ", ") + ")";
  std::vector<std::string> sets = {"version = ?", "updated_at = ?"};
  for (const auto& f : spec_.fields) sets.push_back(std::string(f.name) + " = ?");
  update_sql_ = "UPDATE " + std::string(spec_.table) + " SET " + Join(sets, ", ") +
                " WHERE org_id = ? AND id = ? AND version = ?";
  select_sql_ = "SELECT " + columns_ + " FROM " + std::string(spec_.table) + " WHERE org_id = ?";
  stamped_ = IsChangeStamped(spec_.table);
}

template <typename T>
Result<void> RecordRepository<T>::Stamp(Connection& c, const std::string& org_id) const {
  if (!stamped_) return Ok();
  return BumpChangeStamp(c, org_id, spec_.table);
}

template <typename T>
std::vector<SqlValue> RecordRepository<T>::ToValues(const T& r) const {
  std::vector<SqlValue> v;
  ToValuesInto(r, v);
  return v;
}

namespace {

// out = text, keeping out's buffer when it holds text already.
void AssignText(SqlValue& out, std::string_view text) {
  if (auto* s = std::get_if<std::string>(&out)) {
    s->assign(text);
  } else {
    out.emplace<std::string>(text);
  }
}

// out = text: moved when the record is the caller's to give up (Record
// is T, not const T), else copied into out's buffer.
template <typename Record>
void AssignMemberText(SqlValue& out, std::string& text) {
  if constexpr (std::is_const_v<Record>) {
    AssignText(out, text);
  } else {
    out = std::move(text);
  }
}
template <typename Record>
void AssignMemberText(SqlValue& out, const std::string& text) {
  AssignText(out, text);
}

// out = ToSql(f.type, f.Get(record)), without the FieldValue in between.
// Record is const T (copy the texts) or T (move them).
template <typename T, typename Record>
void AssignSql(const domain::FieldSpec<T>& f, Record& record, SqlValue& out) {
  std::visit(
      [&](auto p) {
        auto& m = record.*p;
        using M = std::remove_cvref_t<decltype(m)>;
        if constexpr (std::is_same_v<M, std::string>) {
          if (f.type == FieldType::kText) return AssignMemberText<Record>(out, m);
        } else if constexpr (std::is_same_v<M, std::optional<std::string>>) {
          if (f.type == FieldType::kText) {
            if (m) return AssignMemberText<Record>(out, *m);
            out = Null();
            return;
          }
        } else if constexpr (std::is_same_v<M, domain::StringMap>) {
          if (m.empty() && f.type == FieldType::kMap) {
            AssignText(out, "{}");
            return;
          }
        }
        // Numbers, flags, dates and maps: no buffer worth keeping.
        out = ToSql(f.type, f.Get(record));
      },
      f.member);
}

// The row of `r` into `out`; Record is const T (copying) or T (moving).
template <typename T, typename Record>
void FillRow(const domain::EntitySpec<T>& spec, Record& r, std::vector<SqlValue>& out) {
  out.resize(kCommonCount + spec.fields.size());
  AssignMemberText<Record>(out[0], r.meta.id);
  AssignMemberText<Record>(out[1], r.meta.org_id);
  out[2] = r.meta.version;
  AssignMemberText<Record>(out[3], r.meta.created_at);
  AssignMemberText<Record>(out[4], r.meta.updated_at);
  for (size_t i = 0; i < spec.fields.size(); ++i) {
    AssignSql(spec.fields[i], r, out[kCommonCount + i]);
  }
}

}  // namespace

template <typename T>
void RecordRepository<T>::ToValuesInto(const T& r, std::vector<SqlValue>& out) const {
  FillRow<T, const T>(spec_, r, out);
}

template <typename T>
void RecordRepository<T>::MoveValuesInto(T&& r, std::vector<SqlValue>& out) const {
  FillRow<T, T>(spec_, r, out);
}

template <typename T>
T RecordRepository<T>::FromRow(const SqlRow& row) const {
  T r;
  r.meta.id = row.Text(0);
  r.meta.org_id = row.Text(1);
  r.meta.version = row.Int(2);
  r.meta.created_at = row.Text(3);
  r.meta.updated_at = row.Text(4);
  for (size_t i = 0; i < spec_.fields.size(); ++i) {
    const auto& f = spec_.fields[i];
    auto value = FromSql(f.type, row.Raw(kCommonCount + i));
    // Stored data was validated on the way in; a value that no longer reads
    // (e.g. hand-edited) is left at its default rather than failing the page.
    if (value.ok()) (void)f.Set(r, *value);
  }
  return r;
}

template <typename T>
Result<void> RecordRepository<T>::Insert(Connection& c, const T& record) const {
  auto values = ToValues(record);
  auto r = c.Exec(insert_sql_, values);
  if (!r.ok()) {
    if (r.error().code() == ErrorCode::kAlreadyExists) {
      return Error(ErrorCode::kAlreadyExists,
                   "a " + std::string(spec_.entity) + " with the same unique key already exists");
    }
    return std::move(r).take_error();
  }
  return Stamp(c, record.meta.org_id);
}

template <typename T>
Result<void> RecordRepository<T>::Update(Connection& c, const T& record) const {
  std::vector<SqlValue> params = {record.meta.version, record.meta.updated_at};
  for (const auto& f : spec_.fields) params.push_back(ToSql(f.type, f.Get(record)));
  params.push_back(record.meta.org_id);
  params.push_back(record.meta.id);
  params.push_back(record.meta.version - 1);
  auto changed = c.Exec(update_sql_, params);
  if (!changed.ok()) {
    if (changed.error().code() == ErrorCode::kAlreadyExists) {
      return Error(ErrorCode::kAlreadyExists,
                   "a " + std::string(spec_.entity) + " with the same unique key already exists");
    }
    return std::move(changed).take_error();
  }
  if (*changed == 1) return Stamp(c, record.meta.org_id);
  ASSIGN_OR_RETURN(auto current, Find(c, record.meta.org_id, record.meta.id));
  if (!current) return NotFound(std::string(spec_.entity) + " " + record.meta.id + " not found");
  return Conflict(std::string(spec_.entity) + " " + record.meta.id +
                  " was changed by someone else (now at version " +
                  std::to_string(current->meta.version) + "); reload it and try again");
}

template <typename T>
Result<std::optional<T>> RecordRepository<T>::Find(Connection& c, const std::string& org_id,
                                                   const std::string& id) const {
  return FindBy(c, org_id, "id", id);
}

template <typename T>
Result<T> RecordRepository<T>::Get(Connection& c, const std::string& org_id,
                                   const std::string& id) const {
  ASSIGN_OR_RETURN(auto found, Find(c, org_id, id));
  if (!found) return NotFound(std::string(spec_.entity) + " " + id + " not found");
  return std::move(*found);
}

template <typename T>
Result<std::optional<T>> RecordRepository<T>::FindBy(Connection& c, const std::string& org_id,
                                                     const std::string& column,
                                                     const SqlValue& value) const {
  std::vector<SqlValue> params = {org_id};
  ASSIGN_OR_RETURN(std::string where, Where({{column, Condition::Op::kEq, value}}, params));
  ASSIGN_OR_RETURN(auto rows, c.Query(select_sql_ + where + " LIMIT 1", params));
  if (rows.empty()) return std::optional<T>();
  return std::optional<T>(FromRow(rows[0]));
}

template <typename T>
Result<std::vector<T>> RecordRepository<T>::FindAll(Connection& c, const std::string& org_id,
                                                    const std::vector<Condition>& conditions) const {
  std::vector<SqlValue> params = {org_id};
  ASSIGN_OR_RETURN(std::string where, Where(conditions, params));
  ASSIGN_OR_RETURN(auto rows, c.Query(select_sql_ + where, params));
  std::vector<T> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(FromRow(r));
  return out;
}

template <typename T>
Result<void> RecordRepository<T>::Delete(Connection& c, const std::string& org_id,
                                         const std::string& id) const {
  SqlValue params[] = {org_id, id};
  auto deleted =
      c.Exec("DELETE FROM " + std::string(spec_.table) + " WHERE org_id = ? AND id = ?", params);
  if (!deleted.ok()) {
    if (deleted.error().code() == ErrorCode::kFailedPrecondition) {
      return Error(ErrorCode::kFailedPrecondition,
                   std::string(spec_.entity) + " " + id +
                       " is still referenced by other records (invoices, payments or "
                       "subsidiaries); remove those first");
    }
    return std::move(deleted).take_error();
  }
  if (*deleted == 0) return NotFound(std::string(spec_.entity) + " " + id + " not found");
  return Stamp(c, org_id);
}

template <typename T>
Result<std::string> RecordRepository<T>::Where(const std::vector<Condition>& conditions,
                                               std::vector<SqlValue>& params) const {
  std::string sql;
  for (const auto& cond : conditions) {
    bool known = spec_.Find(cond.column) != nullptr;
    for (auto common : kCommonColumns) known = known || cond.column == common;
    if (!known) {
      return InvalidArgument("unknown field \"" + cond.column + "\" for " +
                             std::string(spec_.resource));
    }
    std::string column = cond.column;
    if (cond.unindexed) {
      // Portable expressions that keep the value and hide the index.
      const auto* f = spec_.Find(cond.column);
      bool numeric = f && (f->type == domain::FieldType::kInt ||
                           f->type == domain::FieldType::kMoney ||
                           f->type == domain::FieldType::kBool);
      column = numeric ? "(" + column + " + 0)" : "(" + column + " || '')";
    }
    sql += " AND " + column + std::string(OpSql(cond.op));
    if (cond.op == Condition::Op::kIn) {
      if (cond.values.empty() || cond.values.size() > 1000) {
        return InvalidArgument("a list filter on \"" + cond.column + "\" takes 1 to 1000 values");
      }
      sql += "(";
      for (size_t i = 0; i < cond.values.size(); ++i) {
        sql += i ? ", ?" : "?";
        params.push_back(cond.values[i]);
      }
      sql += ")";
    } else if (cond.op != Condition::Op::kIsNull && cond.op != Condition::Op::kIsNotNull) {
      params.push_back(cond.value);
    }
  }
  return sql;
}

template <typename T>
Result<Page<T>> RecordRepository<T>::List(Connection& c, const std::string& org_id,
                                          const ListQuery& q) const {
  if (q.limit < 1 || q.limit > 1000) {
    return FieldInvalid("limit", "must be between 1 and 1000");
  }
  std::string sort_expr = "id";
  const domain::FieldSpec<T>* sort_field = nullptr;
  if (q.sort != "id") {
    sort_field = spec_.Find(q.sort);
    if (sort_field == nullptr || !sort_field->Has(domain::kSortable)) {
      return FieldInvalid("sort", "cannot sort " + std::string(spec_.resource) + " by \"" +
                                      q.sort + "\"");
    }
    sort_expr = q.sort;
    if (sort_field->nullable()) {
      // NULLs sort differently on SQLite and PostgreSQL; fold them to the
      // lowest value so pages are the same on both.
      bool numeric = sort_field->type == domain::FieldType::kInt ||
                     sort_field->type == domain::FieldType::kMoney;
      sort_expr = "COALESCE(" + q.sort + (numeric ? ", -1)" : ", '')");
    }
  }
  std::vector<SqlValue> params = {org_id};
  ASSIGN_OR_RETURN(std::string where, Where(q.conditions, params));
  const char* cmp = q.descending ? " < " : " > ";
  if (q.cursor) {
    auto raw = FromBase64Url(*q.cursor);
    auto j = raw ? nlohmann::json::parse(*raw, nullptr, false) : nlohmann::json();
    if (!j.is_array() || j.size() != 2 || !j[1].is_string()) {
      return FieldInvalid("cursor", "is not a cursor this server returned");
    }
    if (sort_field == nullptr) {
      where += std::string(" AND id") + cmp + "?";
      params.push_back(j[1].get<std::string>());
    } else {
      where += " AND (" + sort_expr + cmp + "? OR (" + sort_expr + " = ? AND id" + cmp + "?))";
      params.push_back(JsonToSql(j[0]));
      params.push_back(JsonToSql(j[0]));
      params.push_back(j[1].get<std::string>());
    }
  }
  const char* dir = q.descending ? " DESC" : " ASC";
  std::string order = " ORDER BY " + sort_expr + dir;
  if (sort_field != nullptr) order += std::string(", id") + dir;
  // One row more than asked tells whether there is a next page.
  std::string sql = select_sql_ + where + order + " LIMIT " + std::to_string(q.limit + 1);
  ASSIGN_OR_RETURN(auto rows, c.Query(sql, params));
  Page<T> page;
  bool more = static_cast<int>(rows.size()) > q.limit;
  if (more) rows.pop_back();
  page.items.reserve(rows.size());
  for (const auto& row : rows) page.items.push_back(FromRow(row));
  if (more && !page.items.empty()) {
    const T& last = page.items.back();
    nlohmann::json sort_value = nullptr;
    if (sort_field != nullptr) {
      SqlValue v = ToSql(sort_field->type, sort_field->Get(last));
      if (std::holds_alternative<std::monostate>(v)) {
        bool numeric = sort_field->type == domain::FieldType::kInt ||
                       sort_field->type == domain::FieldType::kMoney;
        v = numeric ? SqlValue(int64_t{-1}) : SqlValue(std::string());
      }
      sort_value = SqlToJson(v);
    }
    page.next_cursor = Base64Url(nlohmann::json::array({sort_value, last.meta.id}).dump());
  }
  return page;
}

template <typename T>
Result<int64_t> RecordRepository<T>::Count(Connection& c, const std::string& org_id,
                                           const std::vector<Condition>& conditions) const {
  std::vector<SqlValue> params = {org_id};
  ASSIGN_OR_RETURN(std::string where, Where(conditions, params));
  ASSIGN_OR_RETURN(auto rows, c.Query("SELECT COUNT(*) FROM " + std::string(spec_.table) +
                                          " WHERE org_id = ?" + where,
                                      params));
  return rows.empty() ? 0 : rows[0].Int(0);
}

template class RecordRepository<domain::Organization>;
template class RecordRepository<domain::User>;
template class RecordRepository<domain::Customer>;
template class RecordRepository<domain::Contact>;
template class RecordRepository<domain::Invoice>;
template class RecordRepository<domain::Payment>;
template class RecordRepository<domain::Allocation>;
template class RecordRepository<domain::Product>;
template class RecordRepository<domain::DunningPlan>;
template class RecordRepository<domain::ImportJob>;
template class RecordRepository<domain::DunningStep>;
template class RecordRepository<domain::Action>;
template class RecordRepository<domain::SyncConnection>;
template class RecordRepository<domain::SyncRun>;
template class RecordRepository<domain::SyncChange>;

}  // namespace relance::store
