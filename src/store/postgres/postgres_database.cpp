#include "store/postgres/postgres_database.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/byte_scan.h"
#include "store/change_stamps.h"
#include "store/connection_pool.h"

namespace relance::store {
namespace {

// Type OIDs from pg_type.h, which only the server's headers ship; they are
// fixed by the catalog and never change.
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;

// Named statements kept per connection. When full the cache starts over
// (DEALLOCATE ALL) instead of tracking recency: a hot statement only pays
// one extra prepare.
constexpr size_t kMaxPreparedStatements = 256;
// COPY data goes to libpq in chunks of about this size.
constexpr size_t kCopyChunkBytes = 256 * 1024;
constexpr size_t kSqlExcerptChars = 200;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// Errors quote the statement (never its parameters, which may hold
// personal data), trimmed so a migration script doesn't flood a log line.
std::string Excerpt(std::string_view sql) {
  size_t start = sql.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  sql.remove_prefix(start);
  if (sql.size() <= kSqlExcerptChars) return std::string(sql);
  return std::string(sql.substr(0, kSqlExcerptChars)) + "...";
}

// libpq's own messages run over several lines of hints; the first says it.
std::string FirstLine(const char* message) {
  std::string_view m = message ? message : "";
  return std::string(m.substr(0, m.find('\n')));
}

// The one place SQLSTATEs become ErrorCodes.
ErrorCode CodeFor(std::string_view sqlstate, bool connection_lost) {
  if (connection_lost) return ErrorCode::kUnavailable;
  if (sqlstate == "23505") return ErrorCode::kAlreadyExists;       // unique_violation
  if (sqlstate == "23503") return ErrorCode::kFailedPrecondition;  // foreign_key_violation
  if (sqlstate == "23514" || sqlstate == "23502") {                // check, not_null
    return ErrorCode::kInvalidArgument;
  }
  // Serialization failure and deadlock: the transaction lost a race and
  // InTransaction retries it. Class 08 and 57P01-03: the server went away or
  // is restarting.
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate.starts_with("08") ||
      sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03") {
    return ErrorCode::kUnavailable;
  }
  return ErrorCode::kInternal;
}

// Builds the Error for a failed command from its result (may be null when
// libpq could not even build one).
Error CommandError(PGconn* conn, const PGresult* res, std::string_view sql) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  // Only the primary message: DETAIL repeats key values ("Key (email)=(...)
  // already exists") and CONTEXT whole rows of a COPY.
  std::string message = primary ? primary : FirstLine(res ? PQresultErrorMessage(res) : "");
  if (message.empty()) message = FirstLine(PQerrorMessage(conn));
  std::string_view sqlstate = state ? state : "";
  // Data exceptions quote the offending input ('invalid input syntax for
  // type bigint: "..."'), which is a parameter value.
  if (sqlstate.starts_with("22")) {
    if (size_t quote = message.find(": \""); quote != std::string::npos) message.resize(quote);
  }
  std::string text = "postgres: " + message;
  if (!sqlstate.empty()) text += " [" + std::string(sqlstate) + "]";
  text += " (in: " + Excerpt(sql) + ")";
  return Error(CodeFor(sqlstate, PQstatus(conn) != CONNECTION_OK), std::move(text));
}

// Rewrites the portable `?` placeholders to PostgreSQL's $1..$n, leaving
// alone string literals (E'' ones with backslash escapes), quoted
// identifiers and comments. Sets `count` to the number of placeholders.
// Dollar-quoted strings are not recognized: they are not portable SQL.
std::string NumberPlaceholders(std::string_view sql, int& count) {
  std::string out;
  out.reserve(sql.size() + 16);
  count = 0;
  size_t i = 0;
  // Copies up to and including the first `close` at or after `from`.
  auto copy_through = [&](size_t from, std::string_view close) {
    size_t end = sql.find(close, from);
    end = end == std::string_view::npos ? sql.size() : end + close.size();
    out.append(sql.substr(i, end - i));
    i = end;
  };
  while (i < sql.size()) {
    const char c = sql[i];
    const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
    if (c == '\'') {
      const bool escapes =
          i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
          (i == 1 || !(std::isalnum(static_cast<unsigned char>(sql[i - 2])) || sql[i - 2] == '_'));
      size_t j = i + 1;
      while (j < sql.size() && sql[j] != '\'') j += (escapes && sql[j] == '\\') ? 2 : 1;
      // A doubled '' simply closes and reopens, which this loop does anyway.
      const size_t end = std::min(j + 1, sql.size());
      out.append(sql.substr(i, end - i));
      i = end;
    } else if (c == '"') {
      copy_through(i + 1, "\"");
    } else if (c == '-' && next == '-') {
      copy_through(i + 2, "\n");
    } else if (c == '/' && next == '*') {
      // PostgreSQL block comments nest.
      size_t j = i + 2;
      for (int depth = 1; j < sql.size() && depth > 0;) {
        if (sql.compare(j, 2, "/*") == 0) {
          ++depth;
          j += 2;
        } else if (sql.compare(j, 2, "*/") == 0) {
          --depth;
          j += 2;
        } else {
          ++j;
        }
      }
      j = std::min(j, sql.size());
      out.append(sql.substr(i, j - i));
      i = j;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++count);
      ++i;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

// Shortest text that reads back to the same double; PostgreSQL's own
// spellings for the values strtod-style parsing disagrees on.
void AppendDouble(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "NaN";
  } else if (std::isinf(d)) {
    out += d > 0 ? "Infinity" : "-Infinity";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    out.append(buf, end);
  }
}

void AppendInt(std::string& out, int64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

// Rows in COPY's text format, written into a buffer by pointer: the
// fields of a backfill's rows are many and short, and appending each piece
// through std::string (a call per tab, per run of text) was most of the
// writing. \N is NULL; the four characters that delimit fields and rows,
// or escape, are backslash-escaped.
class CopyText {
 public:
  explicit CopyText(size_t capacity)
      : buf_(std::make_unique_for_overwrite<char[]>(capacity)), capacity_(capacity) {}

  void Row(const std::vector<SqlValue>& row) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i) Put('\t');
      Field(row[i]);
    }
    Put('\n');
  }
  std::string_view text() const { return {buf_.get(), used_}; }
  void Clear() { used_ = 0; }

 private:
  void Field(const SqlValue& v) {
    if (const auto* n = std::get_if<int64_t>(&v)) {
      char* p = Room(24);
      used_ += static_cast<size_t>(std::to_chars(p, p + 24, *n).ptr - p);
    } else if (const auto* d = std::get_if<double>(&v)) {
      std::string text;
      AppendDouble(text, *d);
      Copy(text);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      // FindCopySpecial tests eight bytes at a time; find_first_of called
      // memchr on the set for every byte.
      const std::string_view text = *s;
      char* out = Room(2 * text.size());  // every byte escaped, at worst
      size_t run = 0;  // start of the pending bytes that need no escape
      for (size_t i; (i = FindCopySpecial(text, run)) != std::string_view::npos;) {
        std::memcpy(out, text.data() + run, i - run);
        out += i - run;
        run = i + 1;
        const char c = text[i];
        *out++ = '\\';
        *out++ = c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
      }
      std::memcpy(out, text.data() + run, text.size() - run);
      out += text.size() - run;
      used_ = static_cast<size_t>(out - buf_.get());
    } else {
      Copy("\\N");
    }
  }
  void Put(char c) {
    *Room(1) = c;
    used_ += 1;
  }
  void Copy(std::string_view text) {
    std::memcpy(Room(text.size()), text.data(), text.size());
    used_ += text.size();
  }
  // Where the next `n` bytes go, growing the buffer when it has not room.
  char* Room(size_t n) {
    if (used_ + n > capacity_) Grow(n);
    return buf_.get() + used_;
  }
  void Grow(size_t n) {
    capacity_ = std::max(2 * capacity_, used_ + n);
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity_);
    std::memcpy(bigger.get(), buf_.get(), used_);
    buf_ = std::move(bigger);
  }

  std::unique_ptr<char[]> buf_;  // not zeroed: only the first used_ bytes are read
  size_t capacity_;
  size_t used_ = 0;
};

// Text-format result value → SqlValue, by the column's type. numeric stays
// text: it is exact and may not fit a double (SUM(bigint) is numeric);
// SqlRow::Int / Double convert it on demand.
SqlValue ReadValue(Oid type, const char* text, int size) {
  switch (type) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
      int64_t n = 0;
      if (std::from_chars(text, text + size, n).ec == std::errc()) return n;
      break;
    }
    case kFloat4Oid:
    case kFloat8Oid: {
      double d = 0;
      if (std::from_chars(text, text + size, d).ec == std::errc()) return d;
      break;
    }
    case kBoolOid:
      return int64_t{text[0] == 't' ? 1 : 0};
  }
  return std::string(text, size);
}

// Fills `value` in place, as ReadValue would: text assigned into a column
// that held text keeps its buffer, so a scan allocates nothing per row.
void ReadValueInto(Oid type, const char* text, int size, SqlValue& value) {
  switch (type) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid:
    case kFloat4Oid:
    case kFloat8Oid:
    case kBoolOid:
      value = ReadValue(type, text, size);
      return;
  }
  if (!std::holds_alternative<std::string>(value)) value = std::string();
  std::get<std::string>(value).assign(text, size);
}

// Row `r` of `res` into `values` (sized to the columns), in place.
void ReadRowInto(const PGresult* res, int r, std::vector<SqlValue>& values) {
  for (int c = 0; c < static_cast<int>(values.size()); ++c) {
    if (PQgetisnull(res, r, c)) {
      values[c] = std::monostate{};
    } else {
      ReadValueInto(PQftype(res, c), PQgetvalue(res, r, c), PQgetlength(res, r, c), values[c]);
    }
  }
}

// Identical rule to the SQLite backend: table and column names are
// spliced into SQL text, so only plain names get through.
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

// "postgresql://user:secret@host/db?password=x&sslmode=require" →
// "postgresql://user@host/db?sslmode=require".
std::string WithoutPassword(std::string_view url) {
  std::string out(url);
  size_t authority = out.find("://");
  authority = authority == std::string::npos ? 0 : authority + 3;
  // libpq ends the user info at the first '@' before any '/'.
  const size_t at = out.find_first_of("@/", authority);
  if (at != std::string::npos && out[at] == '@') {
    const size_t colon = out.find(':', authority);
    if (colon < at) out.erase(colon, at - colon);
  }
  const size_t query = out.find('?', authority);
  if (query == std::string::npos) return out;
  std::string kept;
  for (size_t start = query + 1; start <= out.size();) {
    size_t end = out.find('&', start);
    if (end == std::string::npos) end = out.size();
    std::string_view param(out.data() + start, end - start);
    if (!param.empty() && !param.starts_with("password=")) {
      // Appended piecewise: GCC 12 mis-warns (-Wrestrict) on "..." + string.
      if (!kept.empty()) kept += '&';
      kept.append(param);
    }
    start = end + 1;
  }
  out.resize(query);
  if (!kept.empty()) {
    out += '?';
    out += kept;
  }
  return out;
}

// libpq keyword/value pairs, kept as strings so every connection of the
// pool (and every PQreset) uses the same settings.
struct ConnectParams {
  std::vector<std::string> keywords;
  std::vector<std::string> values;
};

class PostgresConnection final : public Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const ConnectParams& params,
                                                  const std::string& description);

  ~PostgresConnection() override { PQfinish(conn_); }

  Dialect dialect() const override { return Dialect::kPostgres; }

  Result<int64_t> Exec(std::string_view sql, std::span<const SqlValue> params) override {
    ASSIGN_OR_RETURN(PgResult res, Run(sql, params));
    const char* tuples = PQcmdTuples(res.get());  // "" for statements that count nothing
    int64_t n = 0;
    std::from_chars(tuples, tuples + std::strlen(tuples), n);
    return n;
  }

  Result<std::vector<SqlRow>> Query(std::string_view sql,
                                    std::span<const SqlValue> params) override;
  Result<void> QueryEach(std::string_view sql, std::span<const SqlValue> params,
                         const std::function<Result<void>(const SqlRow&)>& fn) override;
  Result<void> ExecScript(std::string_view sql) override;

  Result<void> Begin() override {
    RETURN_IF_ERROR(EnsureUsable());
    return Status(Command("BEGIN"));
  }

  Result<void> Commit() override {
    RETURN_IF_ERROR(EnsureUsable());
    ASSIGN_OR_RETURN(PgResult res, Command("COMMIT"));
    // COMMIT of a transaction that an earlier failed statement aborted
    // succeeds but says ROLLBACK: nothing was written.
    if (std::string_view(PQcmdStatus(res.get())) == "ROLLBACK") {
      return Internal("postgres: the transaction was rolled back because a statement in it failed");
    }
    return Ok();
  }

  Result<void> Rollback() override {
    lost_transaction_ = false;
    in_transaction_ = false;
    // Nothing to undo on a lost connection (the server discarded it) or
    // outside a transaction (where ROLLBACK would only log a warning).
    if (PQstatus(conn_) != CONNECTION_OK || PQtransactionStatus(conn_) == PQTRANS_IDLE) {
      return Ok();
    }
    return Status(Command("ROLLBACK"));
  }

  Result<void> BulkInsert(std::string_view table, std::span<const std::string> columns,
                          std::span<const std::vector<SqlValue>> rows) override;

 private:
  struct Prepared {
    std::string name;
    int param_count;
  };

  explicit PostgresConnection(PGconn* conn) : conn_(conn) {}

  static Result<void> Status(const Result<PgResult>& r) {
    if (!r.ok()) return r.error();
    return Ok();
  }

  // Before each use: a connection whose transaction died with the link
  // must not silently run the rest of it in autocommit, and a broken link
  // is re-established.
  Result<void> EnsureUsable();
  // Checks a command's outcome. Every command's result goes through here so
  // transaction state and broken links are tracked in one place.
  Result<PgResult> Finish(PgResult res, std::string_view sql);
  Result<PgResult> Command(const char* sql) { return Finish(PgResult(PQexec(conn_, sql)), sql); }
  // The named server-side statement for `sql`, prepared on first use.
  Result<const Prepared*> Prepare(std::string_view sql);
  Result<PgResult> Run(std::string_view sql, std::span<const SqlValue> params);
  // Named statements vanish with the session; forget ours too.
  void ForgetStatements() { prepared_.clear(); }
  // Reconnects a broken link now, so the pool gets back a working
  // connection. The caller's transaction, if any, died with the old session.
  void ResetSession() {
    lost_transaction_ = in_transaction_;
    in_transaction_ = false;
    PQreset(conn_);
    ForgetStatements();
  }

  PGconn* conn_;
  bool in_transaction_ = false;
  bool lost_transaction_ = false;
  uint64_t next_statement_id_ = 0;
  struct TransparentHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Prepared, TransparentHash, std::equal_to<>> prepared_;
};

Result<std::unique_ptr<Connection>> PostgresConnection::Open(const ConnectParams& params,
                                                             const std::string& description) {
  std::vector<const char*> keywords, values;
  for (size_t i = 0; i < params.keywords.size(); ++i) {
    keywords.push_back(params.keywords[i].c_str());
    values.push_back(params.values[i].c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/0);
  // Owns the handle from here on: libpq allocates one even when connecting fails.
  std::unique_ptr<PostgresConnection> owned(new PostgresConnection(conn));
  if (conn == nullptr) return Unavailable("postgres: out of memory connecting to " + description);
  if (PQstatus(conn) != CONNECTION_OK) {
    return Unavailable("postgres: cannot connect to " + description + ": " +
                       FirstLine(PQerrorMessage(conn)));
  }
  return std::unique_ptr<Connection>(std::move(owned));
}

Result<void> PostgresConnection::EnsureUsable() {
  if (lost_transaction_) {
    return Unavailable(
        "postgres: the connection was lost inside a transaction; roll back and retry");
  }
  if (PQstatus(conn_) == CONNECTION_OK) return Ok();
  PQreset(conn_);
  ForgetStatements();
  if (PQstatus(conn_) != CONNECTION_OK) {
    return Unavailable("postgres: cannot reconnect: " + FirstLine(PQerrorMessage(conn_)));
  }
  return Ok();
}

Result<PgResult> PostgresConnection::Finish(PgResult res, std::string_view sql) {
  const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ||
                  status == PGRES_EMPTY_QUERY || status == PGRES_COPY_IN;
  // Mid-COPY the status is ACTIVE, which says nothing about the
  // transaction: keep what we knew.
  switch (PQtransactionStatus(conn_)) {
    case PQTRANS_IDLE:
      in_transaction_ = false;
      break;
    case PQTRANS_INTRANS:
    case PQTRANS_INERROR:
      in_transaction_ = true;
      break;
    default:
      break;
  }
  if (ok) return res;
  Error error = CommandError(conn_, res.get(), sql);
  if (PQstatus(conn_) != CONNECTION_OK) ResetSession();
  return error;
}

Result<const PostgresConnection::Prepared*> PostgresConnection::Prepare(std::string_view sql) {
  if (auto it = prepared_.find(sql); it != prepared_.end()) return &it->second;
  int param_count = 0;
  const std::string numbered = NumberPlaceholders(sql, param_count);
  if (prepared_.size() >= kMaxPreparedStatements) {
    // Fails harmlessly in an aborted transaction: names are never reused,
    // so stale statements only cost server memory until the next flush.
    PQclear(PQexec(conn_, "DEALLOCATE ALL"));
    ForgetStatements();
  }
  std::string name = "relance_" + std::to_string(next_statement_id_++);
  // No parameter types: the server infers each from its context, as it
  // does for the literal the placeholder stands for.
  RETURN_IF_ERROR(
      Status(Finish(PgResult(PQprepare(conn_, name.c_str(), numbered.c_str(), 0, nullptr)), sql)));
  auto [it, inserted] = prepared_.emplace(std::string(sql), Prepared{std::move(name), param_count});
  return &it->second;
}

Result<PgResult> PostgresConnection::Run(std::string_view sql, std::span<const SqlValue> params) {
  RETURN_IF_ERROR(EnsureUsable());
  ASSIGN_OR_RETURN(const Prepared* stmt, Prepare(sql));
  if (static_cast<size_t>(stmt->param_count) != params.size()) {
    return InvalidArgument("postgres: statement takes " + std::to_string(stmt->param_count) +
                           " parameters, got " + std::to_string(params.size()) +
                           " (in: " + Excerpt(sql) + ")");
  }
  // Text format for every parameter; strings are passed as they are
  // (PostgreSQL text cannot hold NUL anyway), numbers are formatted here.
  std::vector<std::string> formatted(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  for (size_t i = 0; i < params.size(); ++i) {
    if (const auto* s = std::get_if<std::string>(&params[i])) {
      values[i] = s->c_str();
    } else if (const auto* n = std::get_if<int64_t>(&params[i])) {
      AppendInt(formatted[i], *n);
      values[i] = formatted[i].c_str();
    } else if (const auto* d = std::get_if<double>(&params[i])) {
      AppendDouble(formatted[i], *d);
      values[i] = formatted[i].c_str();
    }  // NULL stays nullptr
  }
  PgResult res(PQexecPrepared(conn_, stmt->name.c_str(), static_cast<int>(params.size()),
                              values.data(), nullptr, nullptr, /*resultFormat=*/0));
  const char* state = res ? PQresultErrorField(res.get(), PG_DIAG_SQLSTATE) : nullptr;
  if (state && (std::string_view(state) == "26000" || std::string_view(state) == "0A000")) {
    // The server lost the statement (26000, e.g. DEALLOCATE ALL by someone)
    // or its tables changed shape under it (0A000, "cached plan must not
    // change result type"): prepare afresh next time.
    if (auto it = prepared_.find(sql); it != prepared_.end()) prepared_.erase(it);
  }
  return Finish(std::move(res), sql);
}

Result<std::vector<SqlRow>> PostgresConnection::Query(std::string_view sql,
                                                      std::span<const SqlValue> params) {
  // Each row built once, straight from the result (QueryEach's reused row
  // would be copied again here).
  ASSIGN_OR_RETURN(PgResult res, Run(sql, params));
  const int row_count = PQntuples(res.get());
  const int column_count = PQnfields(res.get());
  std::vector<SqlRow> rows;
  rows.reserve(row_count);
  for (int r = 0; r < row_count; ++r) {
    std::vector<SqlValue> values(column_count);
    ReadRowInto(res.get(), r, values);
    rows.emplace_back(std::move(values));
  }
  return rows;
}

Result<void> PostgresConnection::QueryEach(
    std::string_view sql, std::span<const SqlValue> params,
    const std::function<Result<void>(const SqlRow&)>& fn) {
  // The result arrives whole (single-row mode would cost a result object per
  // row); one row is then filled again and again, as the SQLite backend does.
  ASSIGN_OR_RETURN(PgResult res, Run(sql, params));
  const int row_count = PQntuples(res.get());
  SqlRow row({});
  row.mutable_columns().resize(PQnfields(res.get()));
  for (int r = 0; r < row_count; ++r) {
    ReadRowInto(res.get(), r, row.mutable_columns());
    RETURN_IF_ERROR(fn(row));
  }
  return Ok();
}

Result<void> PostgresConnection::ExecScript(std::string_view sql) {
  RETURN_IF_ERROR(EnsureUsable());
  // The simple-query protocol runs the whole script in one round trip (and
  // one implicit transaction when the script has none of its own).
  RETURN_IF_ERROR(Status(Finish(PgResult(PQexec(conn_, std::string(sql).c_str())), sql)));
  if (!prepared_.empty()) {
    // A script is typically DDL; statements prepared before it could now
    // fail with "cached plan must not change result type".
    PQclear(PQexec(conn_, "DEALLOCATE ALL"));
    ForgetStatements();
  }
  return Ok();
}

Result<void> PostgresConnection::BulkInsert(std::string_view table,
                                            std::span<const std::string> columns,
                                            std::span<const std::vector<SqlValue>> rows) {
  if (!IsPlainName(table, /*allow_dot=*/true)) {
    return InvalidArgument("postgres: bulk insert: bad table name");
  }
  if (columns.empty())
    return InvalidArgument("postgres: bulk insert into " + std::string(table) + " without columns");
  std::string sql = "COPY " + std::string(table) + " (";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!IsPlainName(columns[i], /*allow_dot=*/false)) {
      return InvalidArgument("postgres: bulk insert into " + std::string(table) +
                             ": bad column name");
    }
    sql += (i ? ", " : "") + columns[i];
  }
  sql += ") FROM STDIN";
  for (const auto& row : rows) {
    if (row.size() != columns.size()) {
      return InvalidArgument("postgres: bulk insert into " + std::string(table) + ": a row has " +
                             std::to_string(row.size()) + " values for " +
                             std::to_string(columns.size()) + " columns");
    }
  }
  if (rows.empty()) return Ok();

  RETURN_IF_ERROR(EnsureUsable());
  ASSIGN_OR_RETURN(PgResult start, Finish(PgResult(PQexec(conn_, sql.c_str())), sql));
  if (PQresultStatus(start.get()) != PGRES_COPY_IN) {
    return Internal("postgres: COPY did not start (in: " + Excerpt(sql) + ")");
  }
  CopyText chunk(kCopyChunkBytes + 4096);
  auto send = [&] {
    const std::string_view text = chunk.text();
    chunk.Clear();
    return PQputCopyData(conn_, text.data(), static_cast<int>(text.size())) == 1;
  };
  bool sent = true;
  for (const auto& row : rows) {
    chunk.Row(row);
    if (chunk.text().size() >= kCopyChunkBytes && !(sent = send())) break;
  }
  if (sent && !chunk.text().empty()) sent = send();
  // Ending with an error message makes the server abort the COPY, so a
  // half-sent load never lands.
  PQputCopyEnd(conn_, sent ? nullptr : "relance: sending the rows failed");
  // The COPY's outcome, then a null result; keep the first failure.
  PgResult outcome;
  while (PgResult next{PQgetResult(conn_)}) {
    if (PQresultStatus(next.get()) == PGRES_COPY_IN) {
      // libpq could not even end the COPY (the link failed mid-way) and
      // would answer COPY_IN forever; only a new session gets out of it.
      ResetSession();
      return Unavailable("postgres: connection lost during " + Excerpt(sql));
    }
    if (!outcome || PQresultStatus(outcome.get()) == PGRES_COMMAND_OK) outcome = std::move(next);
  }
  RETURN_IF_ERROR(Status(Finish(std::move(outcome), sql)));
  return StampBulkRows(*this, table, columns, rows);
}

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(ConnectParams params, std::string description, int pool_size)
      : params_(std::move(params)),
        description_(std::move(description)),
        pool_(pool_size, [this] { return PostgresConnection::Open(params_, description_); }) {}

  Dialect dialect() const override { return Dialect::kPostgres; }
  Result<PooledConnection> Acquire() override { return pool_.Acquire(); }
  int pool_size() const override { return pool_.size(); }
  std::string Describe() const override { return description_; }

 private:
  const ConnectParams params_;
  const std::string description_;
  ConnectionPool pool_;
};

// The URL's own settings plus ours, as libpq keyword/value pairs. Parsing
// the URL here (rather than letting libpq expand it) lets us add to its
// `options` instead of replacing them, and the settings then survive
// PQreset, which reconnects with the same parameters.
Result<ConnectParams> ParseUrl(const std::string& url, const std::string& description) {
  char* why = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &why);
  if (parsed == nullptr) {
    // libpq's message may quote a badly encoded part of the URL, which can
    // be the password: leave it out.
    PQfreemem(why);
    return InvalidArgument("postgres: cannot parse the connection URL " + description);
  }
  ConnectParams params;
  // Without a limit a dead host would hang a pool slot (and PQreset) for
  // minutes; the URL's own connect_timeout, read below, overrides this.
  params.keywords.emplace_back("connect_timeout");
  params.values.emplace_back("10");
  // NOTICEs (e.g. "table does not exist, skipping") would spam the logs;
  // warnings still get through.
  std::string options = "-c client_min_messages=warning";
  for (PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (std::string_view(o->keyword) == "options") {
      options += ' ' + std::string(o->val);
    } else {
      params.keywords.emplace_back(o->keyword);
      params.values.emplace_back(o->val);
    }
  }
  PQconninfoFree(parsed);
  params.keywords.emplace_back("options");
  params.values.push_back(std::move(options));
  // Our strings are UTF-8 whatever the server's default client encoding.
  params.keywords.emplace_back("client_encoding");
  params.values.emplace_back("UTF8");
  params.keywords.emplace_back("fallback_application_name");
  params.values.emplace_back("relance");
  return params;
}

}  // namespace

Result<std::unique_ptr<Database>> OpenPostgres(const std::string& url, int pool_size) {
  if (pool_size < 1) return InvalidArgument("postgres: pool size must be at least 1");
  std::string description = WithoutPassword(url);
  ASSIGN_OR_RETURN(ConnectParams params, ParseUrl(url, description));
  // One connection now, so a wrong URL or a server that is down fails here
  // rather than at the first query.
  ASSIGN_OR_RETURN(auto probe, PostgresConnection::Open(params, description));
  probe.reset();
  return std::unique_ptr<Database>(
      std::make_unique<PostgresDatabase>(std::move(params), std::move(description), pool_size));
}

}  // namespace relance::store
