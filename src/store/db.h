// The one small SQL interface both backends implement (sqlite/, postgres/).
// Repositories write portable SQL against it: `?` placeholders (the
// PostgreSQL backend numbers them), TEXT / BIGINT / INTEGER columns, no
// backend-only functions on the shared path, so the same schema also runs on
// PostgreSQL-compatible distributed engines.
//
// A Connection is used by one thread at a time. A Database is thread-safe and
// hands out pooled connections.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace relance::store {

enum class Dialect { kSqlite, kPostgres };

// A parameter or a column value. Booleans are stored as 0/1 integers, dates
// and timestamps as ISO-8601 text, money as integer minor units.
using SqlValue = std::variant<std::monostate, int64_t, double, std::string>;

inline SqlValue Null() { return std::monostate{}; }

class SqlRow {
 public:
  explicit SqlRow(std::vector<SqlValue> columns) : columns_(std::move(columns)) {}
  size_t size() const { return columns_.size(); }
  bool IsNull(size_t i) const { return std::holds_alternative<std::monostate>(columns_.at(i)); }
  // Conversions are lenient across the two backends' native types: an
  // integer column read as text and vice versa both work.
  int64_t Int(size_t i) const;
  double Double(size_t i) const;
  std::string Text(size_t i) const;
  // Text(i), moved out of the row when the column holds text: for readers
  // that are done with the row.
  std::string TakeText(size_t i);
  const SqlValue& Raw(size_t i) const { return columns_.at(i); }
  // For backends that fill one row again and again (QueryEach): text
  // assigned into a column that held text reuses its buffer.
  std::vector<SqlValue>& mutable_columns() { return columns_; }

 private:
  std::vector<SqlValue> columns_;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;

  // Runs one statement; returns the number of rows it changed.
  virtual Result<int64_t> Exec(std::string_view sql, std::span<const SqlValue> params = {}) = 0;
  virtual Result<std::vector<SqlRow>> Query(std::string_view sql,
                                            std::span<const SqlValue> params = {}) = 0;
  // Calls `fn` for each row, in order, without keeping them: for scans of
  // many rows. The row is valid during the call only, and `fn` must not use
  // this connection (the statement is still running). An error from `fn`
  // stops the scan and is returned.
  virtual Result<void> QueryEach(std::string_view sql, std::span<const SqlValue> params,
                                 const std::function<Result<void>(const SqlRow&)>& fn);
  // Runs several statements separated by ';' with no parameters (migrations).
  virtual Result<void> ExecScript(std::string_view sql) = 0;

  virtual Result<void> Begin() = 0;
  virtual Result<void> Commit() = 0;
  virtual Result<void> Rollback() = 0;

  // Bulk load: inserts `rows` (each of columns.size() values) into `table`
  // within the current transaction, as fast as the backend allows (prepared
  // statement reuse on SQLite, COPY on PostgreSQL).
  virtual Result<void> BulkInsert(std::string_view table, std::span<const std::string> columns,
                                  std::span<const std::vector<SqlValue>> rows) = 0;
};

// Hands a pooled connection back when it goes out of scope.
using PooledConnection = std::unique_ptr<Connection, std::function<void(Connection*)>>;

class Database {
 public:
  virtual ~Database() = default;
  virtual Dialect dialect() const = 0;
  // Waits for a free connection (or opens one, up to the pool size).
  virtual Result<PooledConnection> Acquire() = 0;
  // The most connections Acquire hands out at once: a caller that would
  // hold several at a time checks it, lest it wait on itself.
  virtual int pool_size() const = 0;
  // Human-readable location, without any password ("sqlite:var/relance.db").
  virtual std::string Describe() const = 0;
};

// Opens "postgresql://..." / "postgres://..." with libpq, anything else as a
// SQLite file path (created if missing). `pool_size` connections at most.
Result<std::unique_ptr<Database>> OpenDatabase(const std::string& location, int pool_size = 8);

// Runs `fn` inside one transaction: commits when it returns ok, rolls back
// otherwise. Contention before the commit (busy database, serialization
// failure: kUnavailable) runs `fn` again, a few times with backoff, so `fn`
// must start from scratch each call. A failed COMMIT is returned, not
// retried (the outcome is unknown; retrying could apply the work twice).
Result<void> InTransaction(Database& db, const std::function<Result<void>(Connection&)>& fn);

// Brings the planner's statistics of `tables` up to date after a large
// write. PostgreSQL: ANALYZE. Autovacuum gets to it a minute or more later,
// and until then a table that grew from nearly empty is planned as if it
// were still small: a lookup of 100 invoices by key walked an index of
// every invoice of the organization (75 ms instead of 1). SQLite keeps no
// statistics unless asked and plans by its indexes' shapes: nothing to do.
Result<void> RefreshPlannerStatistics(Database& db, std::span<const std::string_view> tables);

}  // namespace relance::store
