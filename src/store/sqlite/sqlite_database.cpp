#include "store/sqlite/sqlite_database.h"

#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "store/change_stamps.h"
#include "store/connection_pool.h"

namespace relance::store {
namespace {

// Long enough to ride out another writer's transaction; BEGIN IMMEDIATE
// waits here instead of failing, so writers queue rather than error.
constexpr int kBusyTimeoutMs = 5000;
// Far more distinct statements than the repositories issue. When full the
// cache starts over instead of tracking recency: simpler, and a hot
// statement only pays one extra prepare.
constexpr size_t kMaxCachedStatements = 256;
constexpr size_t kSqlExcerptChars = 200;

// Errors quote the statement (never its parameters, which may hold
// personal data), trimmed so a migration script doesn't flood a log line.
std::string Excerpt(std::string_view sql) {
  size_t start = sql.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  sql.remove_prefix(start);
  if (sql.size() <= kSqlExcerptChars) return std::string(sql);
  return std::string(sql.substr(0, kSqlExcerptChars)) + "...";
}

// The one place SQLite result codes become ErrorCodes. `extended` is an
// extended result code, whose low byte is the primary code.
ErrorCode CodeFor(int extended) {
  switch (extended) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return ErrorCode::kAlreadyExists;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return ErrorCode::kFailedPrecondition;
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
      return ErrorCode::kInvalidArgument;
  }
  switch (extended & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorCode::kUnavailable;  // another writer; InTransaction retries
  }
  return ErrorCode::kInternal;
}

// Must be called right after the failing call, before anything else
// touches `db` and overwrites its last error.
Error LastError(sqlite3* db, std::string_view sql) {
  return Error(CodeFor(sqlite3_extended_errcode(db)),
               "sqlite: " + std::string(sqlite3_errmsg(db)) + " (in: " + Excerpt(sql) + ")");
}

// Table and column names are spliced into SQL text, so only plain names
// (a table may be schema-qualified) get through.
bool IsPlainName(std::string_view name, bool allow_dot) {
  if (name.empty()) return false;
  bool word_start = true;
  for (char c : name) {
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (c == '.' && allow_dot && !word_start) {
      word_start = true;
    } else if (letter || (digit && !word_start)) {
      word_start = false;
    } else {
      return false;
    }
  }
  return !word_start;
}

struct StatementDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

// Lets the statement cache be searched by string_view without a copy.
struct TransparentHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Puts a cached statement back to its idle state however the use ends: a
// statement left mid-step would keep its read snapshot open and block
// checkpoints, and its bindings point into the caller's parameters.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StatementUse() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

// Fills `row` in place: a text column that held text keeps its buffer.
void ReadRowInto(sqlite3_stmt* stmt, SqlRow& row) {
  const int n = sqlite3_column_count(stmt);
  auto& values = row.mutable_columns();
  values.resize(n);
  for (int i = 0; i < n; ++i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_NULL: values[i] = std::monostate{}; break;
      case SQLITE_INTEGER: values[i] = static_cast<int64_t>(sqlite3_column_int64(stmt, i)); break;
      case SQLITE_FLOAT: values[i] = sqlite3_column_double(stmt, i); break;
      default: {  // SQLITE_TEXT, SQLITE_BLOB
        const void* p = sqlite3_column_type(stmt, i) == SQLITE_BLOB
                            ? sqlite3_column_blob(stmt, i)
                            : static_cast<const void*>(sqlite3_column_text(stmt, i));
        const int size = sqlite3_column_bytes(stmt, i);  // after the pointer, per the docs
        if (!std::holds_alternative<std::string>(values[i])) values[i] = std::string();
        std::get<std::string>(values[i]).assign(static_cast<const char*>(p), size > 0 ? size : 0);
        break;
      }
    }
  }
}

SqlRow ReadRow(sqlite3_stmt* stmt) {
  const int n = sqlite3_column_count(stmt);
  std::vector<SqlValue> values;
  values.reserve(n);
  for (int i = 0; i < n; ++i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_NULL:
        values.emplace_back(std::monostate{});
        break;
      case SQLITE_INTEGER:
        values.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, i)));
        break;
      case SQLITE_FLOAT:
        values.emplace_back(sqlite3_column_double(stmt, i));
        break;
      case SQLITE_BLOB: {
        const void* blob = sqlite3_column_blob(stmt, i);
        const int size = sqlite3_column_bytes(stmt, i);  // after the pointer, per the docs
        values.emplace_back(size == 0 ? std::string()
                                      : std::string(static_cast<const char*>(blob), size));
        break;
      }
      default: {  // SQLITE_TEXT
        const unsigned char* text = sqlite3_column_text(stmt, i);
        const int size = sqlite3_column_bytes(stmt, i);
        values.emplace_back(std::string(reinterpret_cast<const char*>(text), size));
        break;
      }
    }
  }
  return SqlRow(std::move(values));
}

class SqliteConnection final : public Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const std::string& path);

  ~SqliteConnection() override {
    statements_.clear();  // finalized before the close, or the close fails
    sqlite3_close_v2(db_);
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

  Result<int64_t> Exec(std::string_view sql, std::span<const SqlValue> params) override {
    ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    // sqlite3_changes() keeps the count of the last INSERT/UPDATE/DELETE, so
    // a DDL statement would report a stale number; the total tells whether
    // this statement changed anything at all.
    const int64_t before = sqlite3_total_changes64(db_);
    RETURN_IF_ERROR(Run(stmt, sql, params, nullptr));
    return sqlite3_total_changes64(db_) == before ? 0 : sqlite3_changes64(db_);
  }

  Result<std::vector<SqlRow>> Query(std::string_view sql,
                                    std::span<const SqlValue> params) override {
    ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    std::vector<SqlRow> rows;
    RETURN_IF_ERROR(Run(stmt, sql, params, &rows));
    return rows;
  }

  Result<void> QueryEach(std::string_view sql, std::span<const SqlValue> params,
                         const std::function<Result<void>(const SqlRow&)>& fn) override {
    ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    StatementUse use(stmt);
    RETURN_IF_ERROR(Bind(stmt, sql, params));
    SqlRow row({});
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return Ok();
      if (rc != SQLITE_ROW) return LastError(db_, sql);
      ReadRowInto(stmt, row);
      RETURN_IF_ERROR(fn(row));
    }
  }

  Result<void> ExecScript(std::string_view sql) override;

  Result<void> Begin() override {
    // IMMEDIATE takes the write lock up front, waiting on busy_timeout. A
    // deferred transaction that reads first and then writes cannot wait: it
    // fails with SQLITE_BUSY whenever another writer committed meanwhile.
    return Status(Exec("BEGIN IMMEDIATE", {}));
  }

  Result<void> Commit() override { return Status(Exec("COMMIT", {})); }

  Result<void> Rollback() override {
    // SQLite rolls back by itself on some errors (SQLITE_FULL, IOERR, ...);
    // there is nothing left to undo then, and that is not a failure.
    if (sqlite3_get_autocommit(db_)) return Ok();
    return Status(Exec("ROLLBACK", {}));
  }

  Result<void> BulkInsert(std::string_view table, std::span<const std::string> columns,
                          std::span<const std::vector<SqlValue>> rows) override;

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}

  static Result<void> Status(const Result<int64_t>& r) {
    if (!r.ok()) return r.error();
    return Ok();
  }

  // Returns the cached statement for `sql`, preparing it on first use. The
  // pointer stays valid until the next call to Prepare (which may flush the
  // cache), so callers prepare first and then run.
  Result<sqlite3_stmt*> Prepare(std::string_view sql);
  Result<void> Bind(sqlite3_stmt* stmt, std::string_view sql, std::span<const SqlValue> params);
  // Binds, steps to the end (collecting rows when `rows` is set), resets.
  Result<void> Run(sqlite3_stmt* stmt, std::string_view sql, std::span<const SqlValue> params,
                   std::vector<SqlRow>* rows);

  sqlite3* db_;
  std::unordered_map<std::string, StatementPtr, TransparentHash, std::equal_to<>> statements_;
};

Result<std::unique_ptr<Connection>> SqliteConnection::Open(const std::string& path) {
  sqlite3* db = nullptr;
  // NOMUTEX: a connection is used by one thread at a time (db.h), so
  // SQLite's per-connection mutex would only cost.
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  // Owns the handle from here on: SQLite allocates one even when opening fails.
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db));
  if (rc != SQLITE_OK) {
    return Internal("sqlite: cannot open " + path + ": " +
                    (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(db, 1);
  // Before the journal_mode switch, which needs a lock another process may
  // briefly hold.
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // The first statements are where a file that is not a database, or is
  // locked, shows up: name the file rather than the pragma.
  auto failed = [&path](const Error& e) {
    std::string_view why = e.message();
    if (why.starts_with("sqlite: ")) why.remove_prefix(8);
    return Error(e.code(), "sqlite: cannot open " + path + ": " + std::string(why));
  };
  // WAL lets readers run beside the one writer; NORMAL only syncs at
  // checkpoints, which in WAL mode still never corrupts the file.
  auto mode = conn->Query("PRAGMA journal_mode=WAL", {});
  if (!mode.ok()) return failed(mode.error());
  if (path != ":memory:" && (mode->empty() || (*mode)[0].Text(0) != "wal")) {
    return Internal("sqlite: " + path + " cannot use WAL mode (journal_mode stays " +
                    (mode->empty() ? std::string("?") : (*mode)[0].Text(0)) + ")");
  }
  // Statement journals (one per savepoint: the sync writes each record in
  // its own) and sorts stay in memory instead of temporary files. A page
  // cache of up to 32 MiB per connection (SQLite's default is 2 MiB, filled
  // on demand): with 100,000 invoices and their indexes, a sync backfill on
  // the default cache spent half its time reading pages back from the OS.
  if (auto r = conn->ExecScript(
          "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768");
      !r.ok()) {
    return failed(r.error());
  }
  return std::unique_ptr<Connection>(std::move(conn));
}

Result<sqlite3_stmt*> SqliteConnection::Prepare(std::string_view sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) return it->second.get();
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &raw, &tail) != SQLITE_OK) {
    return LastError(db_, sql);
  }
  StatementPtr stmt(raw);
  if (!stmt) return InvalidArgument("sqlite: no statement in (" + Excerpt(sql) + ")");
  // SQLite compiles only the first statement and would silently drop the
  // rest. Preparing the tail tells real statements from trailing comments.
  const char* end = sql.data() + sql.size();
  if (tail < end) {
    sqlite3_stmt* next = nullptr;
    const int rc = sqlite3_prepare_v2(db_, tail, static_cast<int>(end - tail), &next, nullptr);
    sqlite3_finalize(next);
    if (rc != SQLITE_OK || next != nullptr) {
      return InvalidArgument(
          "sqlite: Exec and Query take one statement, use ExecScript (in: " + Excerpt(sql) + ")");
    }
  }
  if (statements_.size() >= kMaxCachedStatements) statements_.clear();
  auto [it, inserted] = statements_.emplace(std::string(sql), std::move(stmt));
  return it->second.get();
}

Result<void> SqliteConnection::Bind(sqlite3_stmt* stmt, std::string_view sql,
                                    std::span<const SqlValue> params) {
  const int expected = sqlite3_bind_parameter_count(stmt);
  if (static_cast<size_t>(expected) != params.size()) {
    return InvalidArgument("sqlite: statement takes " + std::to_string(expected) +
                           " parameters, got " + std::to_string(params.size()) +
                           " (in: " + Excerpt(sql) + ")");
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    const SqlValue& v = params[i];
    int rc = SQLITE_OK;
    if (const auto* n = std::get_if<int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, index, *n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, index, *d);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      // STATIC: the caller's strings outlive the step, and StatementUse
      // clears the bindings before they go away. data() is never null, so
      // an empty string stays an empty string, not NULL.
      rc = sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
    } else {
      rc = sqlite3_bind_null(stmt, index);
    }
    if (rc != SQLITE_OK) return LastError(db_, sql);
  }
  return Ok();
}

Result<void> SqliteConnection::Run(sqlite3_stmt* stmt, std::string_view sql,
                                   std::span<const SqlValue> params, std::vector<SqlRow>* rows) {
  StatementUse use(stmt);
  RETURN_IF_ERROR(Bind(stmt, sql, params));
  for (;;) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) return Ok();
    if (rc != SQLITE_ROW) return LastError(db_, sql);
    if (rows) rows->push_back(ReadRow(stmt));
  }
}

Result<void> SqliteConnection::ExecScript(std::string_view sql) {
  // Statement by statement rather than sqlite3_exec, so an error names the
  // statement that failed instead of the top of the script.
  const char* next = sql.data();
  const char* const end = sql.data() + sql.size();
  while (next < end) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    const std::string_view current(next, end - next);
    if (sqlite3_prepare_v2(db_, next, static_cast<int>(end - next), &raw, &tail) != SQLITE_OK) {
      return LastError(db_, current);
    }
    StatementPtr stmt(raw);
    if (tail == next) break;  // nothing but whitespace or comments left
    next = tail;
    if (!stmt) continue;  // an empty statement (";;")
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) return LastError(db_, current);
  }
  return Ok();
}

Result<void> SqliteConnection::BulkInsert(std::string_view table,
                                          std::span<const std::string> columns,
                                          std::span<const std::vector<SqlValue>> rows) {
  if (!IsPlainName(table, /*allow_dot=*/true)) {
    return InvalidArgument("sqlite: bulk insert: bad table name");
  }
  if (columns.empty())
    return InvalidArgument("sqlite: bulk insert into " + std::string(table) + " without columns");
  std::string sql = "INSERT INTO " + std::string(table) + " (";
  std::string placeholders;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!IsPlainName(columns[i], /*allow_dot=*/false)) {
      return InvalidArgument("sqlite: bulk insert into " + std::string(table) +
                             ": bad column name");
    }
    sql += (i ? ", " : "") + columns[i];
    placeholders += i ? ", ?" : "?";
  }
  sql += ") VALUES (" + placeholders + ")";
  for (const auto& row : rows) {
    if (row.size() != columns.size()) {
      return InvalidArgument("sqlite: bulk insert into " + std::string(table) + ": a row has " +
                             std::to_string(row.size()) + " values for " +
                             std::to_string(columns.size()) + " columns");
    }
  }
  if (rows.empty()) return Ok();

  // All rows or none, like PostgreSQL's COPY: a savepoint inside the
  // caller's transaction, else a transaction of our own (which also spares
  // a commit per row).
  const bool own_transaction = sqlite3_get_autocommit(db_) != 0;
  RETURN_IF_ERROR(own_transaction ? Begin() : Status(Exec("SAVEPOINT relance_bulk_insert", {})));
  Result<void> result;
  {
    // Prepared after Begin: preparing may flush the cache, which would free
    // a statement obtained earlier.
    auto stmt = Prepare(sql);
    if (!stmt.ok()) {
      result = stmt.error();
    } else {
      for (const auto& row : rows) {
        result = Run(*stmt, sql, row, nullptr);
        if (!result.ok()) break;
      }
    }
  }
  if (result.ok()) result = StampBulkRows(*this, table, columns, rows);
  if (own_transaction) {
    if (result.ok()) result = Commit();
    if (!result.ok()) (void)Rollback();
  } else if (result.ok()) {
    result = Status(Exec("RELEASE relance_bulk_insert", {}));
  } else {
    (void)Exec("ROLLBACK TO relance_bulk_insert", {});
    (void)Exec("RELEASE relance_bulk_insert", {});
  }
  return result;
}

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, int pool_size)
      : path_(std::move(path)),
        pool_(pool_size, [this] { return SqliteConnection::Open(path_); }) {}

  Dialect dialect() const override { return Dialect::kSqlite; }
  Result<PooledConnection> Acquire() override { return pool_.Acquire(); }
  int pool_size() const override { return pool_.size(); }
  std::string Describe() const override { return "sqlite:" + path_; }

 private:
  const std::string path_;
  ConnectionPool pool_;
};

}  // namespace

Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path, int pool_size) {
  if (pool_size < 1) return InvalidArgument("sqlite: pool size must be at least 1");
  // "" would give each connection its own private temporary database.
  if (path.empty()) return InvalidArgument("sqlite: empty database path");
  if (path == ":memory:") {
    // Each connection to ":memory:" is a separate database, so a pool of
    // them would scatter the data; one connection keeps it whole.
    pool_size = 1;
  } else if (auto folder = std::filesystem::path(path).parent_path(); !folder.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec)
      return Internal("sqlite: cannot create folder " + folder.string() + ": " + ec.message());
  }
  // One connection now, so a bad path or a file that is not a database
  // fails here rather than at the first query, and the file is switched to
  // WAL (a persistent setting) before the pool opens connections in parallel.
  ASSIGN_OR_RETURN(auto probe, SqliteConnection::Open(path));
  probe.reset();
  return std::unique_ptr<Database>(std::make_unique<SqliteDatabase>(path, pool_size));
}

}  // namespace relance::store
