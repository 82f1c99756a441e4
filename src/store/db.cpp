#include "store/db.h"

#include <charconv>
#include <chrono>
#include <thread>

#include "store/postgres/postgres_database.h"
#include "store/sqlite/sqlite_database.h"

namespace relance::store {

Result<void> Connection::QueryEach(std::string_view sql, std::span<const SqlValue> params,
                                   const std::function<Result<void>(const SqlRow&)>& fn) {
  // The backends without a cursor of their own read the whole result first.
  ASSIGN_OR_RETURN(auto rows, Query(sql, params));
  for (const auto& r : rows) RETURN_IF_ERROR(fn(r));
  return Ok();
}

int64_t SqlRow::Int(size_t i) const {
  const SqlValue& v = columns_.at(i);
  if (auto p = std::get_if<int64_t>(&v)) return *p;
  if (auto p = std::get_if<double>(&v)) return static_cast<int64_t>(*p);
  if (auto p = std::get_if<std::string>(&v)) {
    int64_t out = 0;
    std::from_chars(p->data(), p->data() + p->size(), out);
    return out;
  }
  return 0;
}

double SqlRow::Double(size_t i) const {
  const SqlValue& v = columns_.at(i);
  if (auto p = std::get_if<double>(&v)) return *p;
  if (auto p = std::get_if<int64_t>(&v)) return static_cast<double>(*p);
  if (auto p = std::get_if<std::string>(&v)) return std::strtod(p->c_str(), nullptr);
  return 0;
}

std::string SqlRow::Text(size_t i) const {
  const SqlValue& v = columns_.at(i);
  if (auto p = std::get_if<std::string>(&v)) return *p;
  if (auto p = std::get_if<int64_t>(&v)) return std::to_string(*p);
  if (auto p = std::get_if<double>(&v)) return std::to_string(*p);
  return {};
}

std::string SqlRow::TakeText(size_t i) {
  if (auto p = std::get_if<std::string>(&columns_.at(i))) return std::move(*p);
  return Text(i);
}

Result<std::unique_ptr<Database>> OpenDatabase(const std::string& location, int pool_size) {
  if (location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0) {
    return OpenPostgres(location, pool_size);
  }
  return OpenSqlite(location, pool_size);
}

Result<void> InTransaction(Database& db, const std::function<Result<void>(Connection&)>& fn) {
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(PooledConnection conn, db.Acquire());
    Result<void> result = conn->Begin();
    if (result.ok()) {
      result = fn(*conn);
      if (result.ok()) {
        // A failed COMMIT is never retried: the connection may have dropped
        // after the server committed, and running the work again could apply
        // it twice. The caller gets kUnavailable and decides.
        return conn->Commit();
      }
      (void)conn->Rollback();
    }
    // Only contention (busy database, serialization failure, lost link
    // before commit) is worth another try; a rejected input never is.
    if (result.error().code() != ErrorCode::kUnavailable || attempt == kAttempts) return result;
    std::this_thread::sleep_for(std::chrono::milliseconds(5 << attempt));
  }
}

Result<void> RefreshPlannerStatistics(Database& db, std::span<const std::string_view> tables) {
  if (db.dialect() != Dialect::kPostgres || tables.empty()) return Ok();
  std::string sql = "ANALYZE ";
  for (size_t i = 0; i < tables.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += tables[i];
  }
  ASSIGN_OR_RETURN(PooledConnection conn, db.Acquire());
  RETURN_IF_ERROR(conn->Exec(sql));
  return Ok();
}

}  // namespace relance::store
