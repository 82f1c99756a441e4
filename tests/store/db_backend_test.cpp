// The store contract (store/db.h), run against SQLite and PostgreSQL alike:
// what a repository may rely on whichever backend the organization uses.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <future>
#include <limits>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/db.h"
#include "store/postgres/postgres_database.h"
#include "store/sqlite/sqlite_database.h"
#include "store/test_databases.h"

namespace relance::store {
namespace {

using test::TestDatabase;

#define ASSERT_OK(expr)                                            \
  do {                                                             \
    const auto& relance_r_ = (expr);                               \
    ASSERT_TRUE(relance_r_.ok()) << relance_r_.error().ToString(); \
  } while (0)

#define EXPECT_CODE(expr, expected_code)                                                  \
  do {                                                                                    \
    const auto& relance_r_ = (expr);                                                      \
    ASSERT_FALSE(relance_r_.ok()) << "expected " << #expected_code;                       \
    EXPECT_EQ(relance_r_.error().code(), expected_code) << relance_r_.error().ToString(); \
  } while (0)

constexpr int kPoolSize = 4;

Result<void> Done(const Result<int64_t>& r) {
  if (!r.ok()) return r.error();
  return Ok();
}

constexpr std::string_view kSchema = R"sql(
CREATE TABLE vals (id BIGINT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, s TEXT);
CREATE TABLE parents (id BIGINT PRIMARY KEY, email TEXT NOT NULL UNIQUE,
                      n BIGINT CHECK (n >= 0));
CREATE TABLE children (id BIGINT PRIMARY KEY, parent_id BIGINT NOT NULL REFERENCES parents (id));
CREATE TABLE counters (name TEXT PRIMARY KEY, n BIGINT NOT NULL);
INSERT INTO counters (name, n) VALUES ('writes', 0);
)sql";

class DbBackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    test_db_ = TestDatabase::Open(GetParam(), kPoolSize);
    if (!test_db_) return;
    auto conn = db().Acquire();
    ASSERT_OK(conn);
    ASSERT_OK((*conn)->ExecScript(kSchema));
  }

  Database& db() { return test_db_->db(); }

  PooledConnection Conn() {
    auto conn = db().Acquire();
    EXPECT_TRUE(conn.ok()) << conn.error().ToString();
    return std::move(conn).value();
  }

  int64_t Count(std::string_view table) {
    auto rows = Conn()->Query("SELECT COUNT(*) FROM " + std::string(table));
    EXPECT_TRUE(rows.ok()) << rows.error().ToString();
    return rows.ok() && rows->size() == 1 ? (*rows)[0].Int(0) : -1;
  }

  std::unique_ptr<TestDatabase> test_db_;
};

// Every value a repository stores comes back identical, with its type:
// money (int64 minor units, extremes included), text in any script, and
// the difference between "" and NULL (an empty field vs a missing one).
TEST_P(DbBackendTest, ValuesRoundTripWithTheirTypes) {
  const std::vector<std::vector<SqlValue>> rows = {
      {int64_t{1}, std::numeric_limits<int64_t>::max(), 0.1 + 0.2, std::string("")},
      {int64_t{2}, std::numeric_limits<int64_t>::min(), 1e-300, Null()},
      {int64_t{3}, int64_t{0}, -1.7976931348623157e308, std::string("Ça coûte 12,50 € — 日本語 🎉")},
      {int64_t{4}, Null(), Null(), std::string("it's \"quoted\" \\ back\tslash\nline")},
      {int64_t{5}, int64_t{-1}, 0.0, std::string("?")},
  };
  auto conn = Conn();
  for (const auto& row : rows) {
    ASSERT_OK(conn->Exec("INSERT INTO vals (id, i, d, s) VALUES (?, ?, ?, ?)", row));
  }
  auto got = conn->Query("SELECT id, i, d, s FROM vals ORDER BY id");
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < 4; ++c) {
      EXPECT_EQ((*got)[r].Raw(c), rows[r][c]) << "row " << r << " column " << c;
    }
  }
  EXPECT_FALSE((*got)[0].IsNull(3));
  EXPECT_TRUE((*got)[1].IsNull(3));

  // Parameters also work in WHERE, and the same statement runs again.
  SqlValue id[] = {int64_t{3}};
  for (int i = 0; i < 3; ++i) {
    auto one = conn->Query("SELECT s FROM vals WHERE id = ?", id);
    ASSERT_OK(one);
    ASSERT_EQ(one->size(), 1u);
    EXPECT_EQ((*one)[0].Text(0), "Ça coûte 12,50 € — 日本語 🎉");
  }
}

// QueryEach (the planner's and the exports' scans) hands over the same
// values as Query, in order, though both backends fill one row again and
// again: a NULL after text, short text after long, a number after text in
// one column all come through as themselves. An error from the callback
// stops the scan and is what the caller gets.
TEST_P(DbBackendTest, QueryEachHandsOverEveryRowAsQueryDoes) {
  const std::vector<std::vector<SqlValue>> rows = {
      {int64_t{1}, int64_t{7}, 1.5, std::string("a long text that does not fit in a small buffer")},
      {int64_t{2}, Null(), Null(), Null()},
      {int64_t{3}, int64_t{-3}, 0.0, std::string("é")},
      {int64_t{4}, int64_t{0}, Null(), std::string("")},
  };
  auto conn = Conn();
  for (const auto& row : rows) {
    ASSERT_OK(conn->Exec("INSERT INTO vals (id, i, d, s) VALUES (?, ?, ?, ?)", row));
  }
  std::vector<std::vector<SqlValue>> seen;
  ASSERT_OK(conn->QueryEach("SELECT id, i, d, s FROM vals ORDER BY id", {},
                            [&](const SqlRow& r) -> Result<void> {
                              std::vector<SqlValue> values;
                              for (size_t c = 0; c < r.size(); ++c) values.push_back(r.Raw(c));
                              seen.push_back(std::move(values));
                              return Ok();
                            }));
  EXPECT_EQ(seen, rows);

  // A column that is text in one row and a number in the next (a CASE).
  std::vector<std::string> mixed;
  ASSERT_OK(conn->QueryEach(
      "SELECT CASE WHEN id % 2 = 1 THEN s ELSE NULL END, id FROM vals ORDER BY id", {},
      [&](const SqlRow& r) -> Result<void> {
        mixed.push_back(r.IsNull(0) ? "NULL" : r.Text(0) + "/" + std::to_string(r.Int(1)));
        return Ok();
      }));
  EXPECT_EQ(mixed, (std::vector<std::string>{
                       "a long text that does not fit in a small buffer/1", "NULL", "é/3", "NULL"}));

  int calls = 0;
  auto stopped = conn->QueryEach("SELECT id FROM vals ORDER BY id", {},
                                 [&](const SqlRow&) -> Result<void> {
                                   if (++calls == 2) return InvalidArgument("enough");
                                   return Ok();
                                 });
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().message(), "enough");
  EXPECT_EQ(calls, 2);
  // The connection is usable afterwards.
  EXPECT_EQ(Count("vals"), 4);
  EXPECT_FALSE(conn->QueryEach("SELECT nope FROM vals", {}, [](const SqlRow&) -> Result<void> {
                     return Ok();
                   }).ok());
}

// A `?` inside a string literal, a quoted identifier or a comment is text,
// not a placeholder.
TEST_P(DbBackendTest, QuestionMarksInLiteralsAreNotPlaceholders) {
  auto conn = Conn();
  ASSERT_OK(conn->Exec("CREATE TABLE quoted (id BIGINT, \"odd?name\" TEXT)"));
  SqlValue params[] = {int64_t{7}, std::string("yes")};
  ASSERT_OK(
      conn->Exec("INSERT INTO quoted (id, \"odd?name\") -- which one?\n"
                 "VALUES (?, 'really? it''s ' || ? /* sure? */)",
                 params));
  SqlValue id[] = {int64_t{7}};
  auto got = conn->Query("SELECT \"odd?name\", '?' FROM quoted WHERE id = ?", id);
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].Text(0), "really? it's yes");
  EXPECT_EQ((*got)[0].Text(1), "?");
}

TEST_P(DbBackendTest, WrongParameterCountIsRejected) {
  SqlValue one[] = {int64_t{1}};
  EXPECT_CODE(Conn()->Exec("INSERT INTO vals (id, i) VALUES (?, ?)", one),
              ErrorCode::kInvalidArgument);
}

TEST_P(DbBackendTest, ExecReturnsTheNumberOfChangedRows) {
  auto conn = Conn();
  for (int64_t id = 1; id <= 3; ++id) {
    SqlValue params[] = {id};
    auto inserted = conn->Exec("INSERT INTO vals (id, i) VALUES (?, 0)", params);
    ASSERT_OK(inserted);
    EXPECT_EQ(*inserted, 1);
  }
  SqlValue two[] = {int64_t{2}};
  auto updated = conn->Exec("UPDATE vals SET i = 5 WHERE id <= ?", two);
  ASSERT_OK(updated);
  EXPECT_EQ(*updated, 2);
  auto none = conn->Exec("UPDATE vals SET i = 6 WHERE id > 100");
  ASSERT_OK(none);
  EXPECT_EQ(*none, 0);
  // DDL changes no rows, even right after a statement that did.
  auto ddl = conn->Exec("CREATE INDEX vals_i ON vals (i)");
  ASSERT_OK(ddl);
  EXPECT_EQ(*ddl, 0);
  auto deleted = conn->Exec("DELETE FROM vals");
  ASSERT_OK(deleted);
  EXPECT_EQ(*deleted, 3);
}

TEST_P(DbBackendTest, TransactionsCommitOrRollBack) {
  auto writer = Conn();
  auto reader = Conn();
  ASSERT_OK(writer->Begin());
  ASSERT_OK(writer->Exec("INSERT INTO vals (id) VALUES (1)"));
  auto unseen = reader->Query("SELECT COUNT(*) FROM vals");
  ASSERT_OK(unseen);
  EXPECT_EQ((*unseen)[0].Int(0), 0) << "uncommitted rows are visible to another connection";
  ASSERT_OK(writer->Rollback());
  EXPECT_EQ(Count("vals"), 0);

  ASSERT_OK(writer->Begin());
  ASSERT_OK(writer->Exec("INSERT INTO vals (id) VALUES (2)"));
  ASSERT_OK(writer->Commit());
  auto seen = reader->Query("SELECT id FROM vals");
  ASSERT_OK(seen);
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ((*seen)[0].Int(0), 2);
}

// R-IMP-13: a failed write leaves nothing half-written.
TEST_P(DbBackendTest, InTransactionWritesNothingWhenTheFunctionFails) {
  int calls = 0;
  Result<void> r = InTransaction(db(), [&](Connection& c) -> Result<void> {
    ++calls;
    RETURN_IF_ERROR(c.Exec("INSERT INTO vals (id) VALUES (1)"));
    RETURN_IF_ERROR(c.Exec("INSERT INTO vals (id) VALUES (2)"));
    return InvalidArgument("row 3 is invalid");
  });
  EXPECT_CODE(r, ErrorCode::kInvalidArgument);
  EXPECT_EQ(calls, 1) << "a rejected input must not be retried";
  EXPECT_EQ(Count("vals"), 0);

  // A constraint failing half-way through rolls back the earlier rows too.
  r = InTransaction(db(), [&](Connection& c) -> Result<void> {
    RETURN_IF_ERROR(c.Exec("INSERT INTO vals (id) VALUES (1)"));
    RETURN_IF_ERROR(c.Exec("INSERT INTO vals (id) VALUES (1)"));
    return Ok();
  });
  EXPECT_CODE(r, ErrorCode::kAlreadyExists);
  EXPECT_EQ(Count("vals"), 0);

  ASSERT_OK(InTransaction(db(), [&](Connection& c) -> Result<void> {
    return Done(c.Exec("INSERT INTO vals (id) VALUES (1)"));
  }));
  EXPECT_EQ(Count("vals"), 1);
}

// R-CORE-2 / R-CORE-4: a taken unique key is reported as such (409), and the
// error never repeats the values, which may be personal data.
TEST_P(DbBackendTest, UniqueViolationIsAlreadyExistsWithoutTheValue) {
  auto conn = Conn();
  SqlValue first[] = {int64_t{1}, std::string("jeanne.martin@example.fr")};
  ASSERT_OK(conn->Exec("INSERT INTO parents (id, email) VALUES (?, ?)", first));

  SqlValue same_email[] = {int64_t{2}, std::string("jeanne.martin@example.fr")};
  auto r = conn->Exec("INSERT INTO parents (id, email) VALUES (?, ?)", same_email);
  EXPECT_CODE(r, ErrorCode::kAlreadyExists);
  EXPECT_EQ(r.error().message().find("jeanne"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("INSERT INTO parents"), std::string::npos)
      << "the statement helps find the failing call: " << r.error().message();

  SqlValue same_id[] = {int64_t{1}, std::string("other@example.fr")};
  EXPECT_CODE(conn->Exec("INSERT INTO parents (id, email) VALUES (?, ?)", same_id),
              ErrorCode::kAlreadyExists);
}

TEST_P(DbBackendTest, ForeignKeyViolationIsFailedPrecondition) {
  auto conn = Conn();
  EXPECT_CODE(conn->Exec("INSERT INTO children (id, parent_id) VALUES (1, 42)"),
              ErrorCode::kFailedPrecondition);
  ASSERT_OK(conn->Exec("INSERT INTO parents (id, email) VALUES (42, 'a@example.fr')"));
  ASSERT_OK(conn->Exec("INSERT INTO children (id, parent_id) VALUES (1, 42)"));
  EXPECT_CODE(conn->Exec("DELETE FROM parents WHERE id = 42"), ErrorCode::kFailedPrecondition);
}

TEST_P(DbBackendTest, CheckAndNotNullViolationsAreInvalidArgument) {
  auto conn = Conn();
  EXPECT_CODE(conn->Exec("INSERT INTO parents (id, email, n) VALUES (1, 'a@example.fr', -1)"),
              ErrorCode::kInvalidArgument);
  EXPECT_CODE(conn->Exec("INSERT INTO parents (id, email) VALUES (1, NULL)"),
              ErrorCode::kInvalidArgument);
}

std::vector<std::vector<SqlValue>> BulkRows(int count) {
  // Everything COPY's text format has to escape, plus the look-alikes of
  // its markers that must stay text.
  const std::vector<SqlValue> texts = {
      std::string("plain"),     std::string(""),         Null(),
      std::string("\\N"),       std::string("\\."),      std::string("tab\there"),
      std::string("new\nline"), std::string("cr\r\nlf"), std::string("trailing\\"),
      std::string("\\\\t"),     std::string("Zoë €"),    std::string("'\";,|"),
      std::string("vt\vff\fbel\a\x01"),  // controls COPY leaves as they are
  };
  std::vector<std::vector<SqlValue>> rows;
  rows.reserve(count);
  for (int i = 0; i < count; ++i) {
    SqlValue n = i % 7 == 0 ? Null() : SqlValue(int64_t{i} * 1'000'003 - 5'000'000'000);
    if (i == 1) n = std::numeric_limits<int64_t>::max();
    if (i == 2) n = std::numeric_limits<int64_t>::min();
    SqlValue d = i % 11 == 0 ? Null() : SqlValue(i / 3.0);
    if (i == 3) d = std::numeric_limits<double>::infinity();
    if (i == 4) d = -std::numeric_limits<double>::infinity();
    rows.push_back({int64_t{i}, n, d, texts[i % texts.size()]});
  }
  return rows;
}

TEST_P(DbBackendTest, BulkInsertOfTenThousandRowsRoundTripsExactly) {
  const auto rows = BulkRows(10'000);
  const std::string columns[] = {"id", "i", "d", "s"};
  auto conn = Conn();
  ASSERT_OK(conn->BulkInsert("vals", columns, rows));

  auto got = conn->Query("SELECT id, i, d, s FROM vals ORDER BY id");
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), rows.size());
  int mismatches = 0;
  for (size_t r = 0; r < rows.size() && mismatches < 10; ++r) {
    for (size_t c = 0; c < 4; ++c) {
      if ((*got)[r].Raw(c) != rows[r][c]) {
        ++mismatches;
        ADD_FAILURE() << "row " << r << " column " << c << " got " << (*got)[r].Text(c);
      }
    }
  }
}

// Texts larger than COPY's send buffer (256 KiB), every byte of them to
// escape, between ordinary rows: the buffer grows and nothing is cut.
TEST_P(DbBackendTest, BulkInsertOfTextsLargerThanItsBufferRoundTrips) {
  std::vector<std::vector<SqlValue>> rows;
  const std::string escapes(300'000, '\\');
  std::string mixed;
  for (int i = 0; i < 200'000; ++i) mixed += "a\tb\nc\rd\\"[i % 8];
  rows.push_back({int64_t{1}, int64_t{1}, 1.0, std::string("before")});
  rows.push_back({int64_t{2}, int64_t{2}, 2.0, escapes});
  rows.push_back({int64_t{3}, int64_t{3}, 3.0, mixed});
  rows.push_back({int64_t{4}, int64_t{4}, 4.0, std::string("after")});
  const std::string columns[] = {"id", "i", "d", "s"};
  auto conn = Conn();
  ASSERT_OK(conn->BulkInsert("vals", columns, rows));
  auto got = conn->Query("SELECT s FROM vals ORDER BY id");
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), 4u);
  EXPECT_EQ((*got)[0].Text(0), "before");
  EXPECT_TRUE((*got)[1].Text(0) == escapes) << "the text of backslashes came back changed";
  EXPECT_TRUE((*got)[2].Text(0) == mixed) << "the text of escapes came back changed";
  EXPECT_EQ((*got)[3].Text(0), "after");
}

TEST_P(DbBackendTest, BulkInsertIsAllOrNothingAndJoinsTheTransaction) {
  const std::string columns[] = {"id", "i", "d", "s"};
  auto rows = BulkRows(1000);
  rows[700][0] = int64_t{5};  // a duplicate key late in the load
  auto conn = Conn();
  EXPECT_CODE(conn->BulkInsert("vals", columns, rows), ErrorCode::kAlreadyExists);
  EXPECT_EQ(Count("vals"), 0);

  // Inside a transaction, the rows share its fate.
  ASSERT_OK(conn->Begin());
  ASSERT_OK(conn->Exec("INSERT INTO vals (id) VALUES (-1)"));
  ASSERT_OK(conn->BulkInsert("vals", columns, BulkRows(100)));
  ASSERT_OK(conn->Rollback());
  EXPECT_EQ(Count("vals"), 0);

  const std::string bad_column[] = {"id; DROP TABLE vals"};
  const std::vector<std::vector<SqlValue>> one = {{int64_t{1}}};
  EXPECT_CODE(conn->BulkInsert("vals", bad_column, one), ErrorCode::kInvalidArgument);
  const std::vector<std::vector<SqlValue>> short_row = {{int64_t{1}, int64_t{2}}};
  EXPECT_CODE(conn->BulkInsert("vals", columns, short_row), ErrorCode::kInvalidArgument);
}

// Several users saving at once: every write lands, none surfaces an error,
// and a counter updated by every transaction loses no increment.
TEST_P(DbBackendTest, ConcurrentWritersAllLand) {
  constexpr int kThreads = 4;
  constexpr int kRowsPerThread = 200;
  std::mutex mu;
  std::vector<std::string> errors;
  std::atomic<int> attempts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRowsPerThread; ++i) {
        Result<void> r = InTransaction(db(), [&](Connection& c) -> Result<void> {
          ++attempts;
          // A read before the writes, as a service validating first does:
          // on SQLite this is what turns a deferred transaction's lock
          // upgrade into an unretryable SQLITE_BUSY.
          auto seen = c.Query("SELECT COUNT(*) FROM vals");
          if (!seen.ok()) return std::move(seen).take_error();
          SqlValue params[] = {int64_t{t * kRowsPerThread + i}, std::string("thread")};
          RETURN_IF_ERROR(c.Exec("INSERT INTO vals (id, s) VALUES (?, ?)", params));
          auto changed = c.Exec("UPDATE counters SET n = n + 1 WHERE name = 'writes'");
          if (!changed.ok()) return std::move(changed).take_error();
          return Ok();
        });
        if (!r.ok()) {
          std::lock_guard lock(mu);
          errors.push_back(r.error().ToString());
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(errors.empty()) << errors.size() << " failed, first: " << errors.front();
  // Writers queue for the lock instead of failing and being retried (on
  // SQLite that takes BEGIN IMMEDIATE: a deferred transaction that read
  // first cannot wait for the write lock).
  EXPECT_EQ(attempts.load(), kThreads * kRowsPerThread) << "transactions were retried";
  EXPECT_EQ(Count("vals"), kThreads * kRowsPerThread);
  auto counter = Conn()->Query("SELECT n FROM counters WHERE name = 'writes'");
  ASSERT_OK(counter);
  EXPECT_EQ((*counter)[0].Int(0), kThreads * kRowsPerThread);
}

TEST_P(DbBackendTest, PoolNeverExceedsItsSize) {
  // Many threads: never more than kPoolSize connections out at once, and
  // never more than kPoolSize distinct connections ever opened.
  std::atomic<int> out{0};
  std::atomic<int> most_out{0};
  std::mutex mu;
  std::set<const Connection*> seen;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < 3 * kPoolSize; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 30; ++i) {
        auto conn = db().Acquire();
        if (!conn.ok()) {
          std::lock_guard lock(mu);
          errors.push_back(conn.error().ToString());
          continue;
        }
        const int now = ++out;
        int most = most_out.load();
        while (now > most && !most_out.compare_exchange_weak(most, now)) {
        }
        auto rows = (*conn)->Query("SELECT COUNT(*) FROM vals");
        {
          std::lock_guard lock(mu);
          seen.insert(conn->get());
          if (!rows.ok()) errors.push_back(rows.error().ToString());
        }
        --out;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_LE(most_out.load(), kPoolSize);
  EXPECT_LE(seen.size(), static_cast<size_t>(kPoolSize));

  // With every connection out, Acquire waits for one to come back.
  std::vector<PooledConnection> held;
  for (int i = 0; i < kPoolSize; ++i) held.push_back(Conn());
  auto waiter = std::async(std::launch::async, [&] { return db().Acquire().ok(); });
  EXPECT_EQ(waiter.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout)
      << "Acquire handed out more connections than the pool size";
  held.pop_back();
  ASSERT_EQ(waiter.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_TRUE(waiter.get());
}

INSTANTIATE_TEST_SUITE_P(Backends, DbBackendTest, ::testing::Values("sqlite", "postgres"),
                         test::BackendName());

// ---- Backend-specific behaviour ---------------------------------------

TEST(SqliteDatabaseTest, CreatesTheFolderAndDescribesThePath) {
  auto t = TestDatabase::Open("sqlite");
  ASSERT_TRUE(t);
  const std::string path = t->location() + "-dir/nested/deeper/relance.db";
  auto db = OpenSqlite(path, 2);
  ASSERT_OK(db);
  EXPECT_EQ((*db)->Describe(), "sqlite:" + path);
  auto conn = (*db)->Acquire();
  ASSERT_OK(conn);
  auto mode = (*conn)->Query("PRAGMA journal_mode");
  ASSERT_OK(mode);
  EXPECT_EQ((*mode)[0].Text(0), "wal");
  conn->reset();
  db->reset();
  std::filesystem::remove_all(t->location() + "-dir");
}

TEST(SqliteDatabaseTest, ExecRefusesSeveralStatements) {
  auto t = TestDatabase::Open("sqlite");
  ASSERT_TRUE(t);
  auto conn = t->db().Acquire();
  ASSERT_OK(conn);
  EXPECT_CODE((*conn)->Exec("CREATE TABLE a (x BIGINT); CREATE TABLE b (x BIGINT)"),
              ErrorCode::kInvalidArgument);
  // A trailing comment or semicolon is not a second statement.
  ASSERT_OK((*conn)->Exec("CREATE TABLE a (x BIGINT); -- done"));
}

class PostgresDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test_db_ = TestDatabase::Open("postgres", 2);
    if (!test_db_) return;
    auto conn = test_db_->db().Acquire();
    ASSERT_OK(conn);
    ASSERT_OK((*conn)->ExecScript(kSchema));
  }

  // A second database on the same schema, to act on the first one's
  // connections from outside.
  std::unique_ptr<Database> Other() {
    auto other = OpenPostgres(test_db_->location(), 1);
    EXPECT_TRUE(other.ok()) << other.error().ToString();
    return other.ok() ? std::move(other).value() : nullptr;
  }

  static int64_t BackendPid(Connection& c) {
    auto pid = c.Query("SELECT pg_backend_pid()");
    EXPECT_TRUE(pid.ok()) << pid.error().ToString();
    return pid.ok() ? (*pid)[0].Int(0) : -1;
  }

  // Kills the server process behind `pid` and waits until it is gone.
  void Terminate(int64_t pid) {
    auto other = Other();
    ASSERT_TRUE(other);
    auto conn = other->Acquire();
    ASSERT_OK(conn);
    SqlValue params[] = {pid};
    ASSERT_OK((*conn)->Query("SELECT pg_terminate_backend(CAST(? AS INTEGER), 5000)", params));
  }

  std::unique_ptr<TestDatabase> test_db_;
};

TEST_F(PostgresDatabaseTest, PasswordNeverShows) {
  const std::string with_password = test_db_->location() + "&password=s3cret-pw";
  auto db = OpenPostgres(with_password, 1);
  ASSERT_OK(db);  // the test cluster trusts loopback, so the password is ignored
  EXPECT_EQ((*db)->Describe().find("s3cret-pw"), std::string::npos) << (*db)->Describe();
  EXPECT_NE((*db)->Describe().find("127.0.0.1"), std::string::npos) << (*db)->Describe();

  // Port 1 refuses connections.
  auto refused = OpenPostgres("postgresql://someone:s3cret-pw@127.0.0.1:1/x?password=s3cret-pw", 1);
  EXPECT_CODE(refused, ErrorCode::kUnavailable);
  EXPECT_EQ(refused.error().message().find("s3cret-pw"), std::string::npos)
      << refused.error().message();
  EXPECT_NE(refused.error().message().find("someone@127.0.0.1:1"), std::string::npos)
      << refused.error().message();
}

TEST_F(PostgresDatabaseTest, BrokenConnectionIsResetBeforeReuse) {
  auto conn = test_db_->db().Acquire();
  ASSERT_OK(conn);
  const int64_t old_pid = BackendPid(**conn);
  Terminate(old_pid);
  EXPECT_CODE((*conn)->Query("SELECT COUNT(*) FROM vals"), ErrorCode::kUnavailable);
  // Same Connection object, new session, same settings (search_path).
  auto rows = (*conn)->Query("SELECT COUNT(*) FROM vals");
  ASSERT_OK(rows);
  EXPECT_NE(BackendPid(**conn), old_pid);
  auto level = (*conn)->Query("SHOW client_min_messages");
  ASSERT_OK(level);
  EXPECT_EQ((*level)[0].Text(0), "warning");
}

TEST_F(PostgresDatabaseTest, LostTransactionIsNotContinuedInAutocommit) {
  auto conn = test_db_->db().Acquire();
  ASSERT_OK(conn);
  ASSERT_OK((*conn)->Begin());
  ASSERT_OK((*conn)->Exec("INSERT INTO vals (id) VALUES (1)"));
  Terminate(BackendPid(**conn));
  EXPECT_CODE((*conn)->Exec("INSERT INTO vals (id) VALUES (2)"), ErrorCode::kUnavailable);
  // Until the caller rolls back, the rest of the transaction is refused
  // rather than committed piecemeal on the new session.
  EXPECT_CODE((*conn)->Exec("INSERT INTO vals (id) VALUES (3)"), ErrorCode::kUnavailable);
  EXPECT_CODE((*conn)->Commit(), ErrorCode::kUnavailable);
  ASSERT_OK((*conn)->Rollback());
  auto rows = (*conn)->Query("SELECT COUNT(*) FROM vals");
  ASSERT_OK(rows);
  EXPECT_EQ((*rows)[0].Int(0), 0);
}

TEST_F(PostgresDatabaseTest, InTransactionRetriesAfterALostConnection) {
  int calls = 0;
  ASSERT_OK(InTransaction(test_db_->db(), [&](Connection& c) -> Result<void> {
    if (++calls == 1) Terminate(BackendPid(c));
    return Done(c.Exec("INSERT INTO vals (id) VALUES (1)"));
  }));
  EXPECT_EQ(calls, 2);
  auto conn = test_db_->db().Acquire();
  ASSERT_OK(conn);
  auto rows = (*conn)->Query("SELECT COUNT(*) FROM vals");
  ASSERT_OK(rows);
  EXPECT_EQ((*rows)[0].Int(0), 1);
}

TEST_F(PostgresDatabaseTest, PostgresOnlyQuotingAndTypes) {
  auto conn = test_db_->db().Acquire();
  ASSERT_OK(conn);
  SqlValue params[] = {std::string("x")};
  auto got = (*conn)->Query(
      "SELECT E'it\\'s ?', /* outer /* nested ? */ still ? */ CAST(? AS TEXT), "
      "CAST(1.50 AS NUMERIC), TRUE, FALSE, CAST(2 AS SMALLINT), CAST(3.5 AS REAL)",
      params);
  ASSERT_OK(got);
  const SqlRow& row = (*got)[0];
  EXPECT_EQ(row.Raw(0), SqlValue(std::string("it's ?")));
  EXPECT_EQ(row.Raw(1), SqlValue(std::string("x")));
  EXPECT_EQ(row.Raw(2), SqlValue(std::string("1.50"))) << "numeric stays exact text";
  EXPECT_EQ(row.Raw(3), SqlValue(int64_t{1}));
  EXPECT_EQ(row.Raw(4), SqlValue(int64_t{0}));
  EXPECT_EQ(row.Raw(5), SqlValue(int64_t{2}));
  EXPECT_EQ(row.Raw(6), SqlValue(3.5));
}

// Data errors quote the offending input; that input is a parameter value.
TEST_F(PostgresDatabaseTest, DataErrorsDoNotQuoteTheValue) {
  auto conn = test_db_->db().Acquire();
  ASSERT_OK(conn);
  SqlValue params[] = {std::string("jeanne.martin@example.fr")};
  auto r = (*conn)->Exec("INSERT INTO vals (id) VALUES (?)", params);
  EXPECT_CODE(r, ErrorCode::kInternal);
  EXPECT_EQ(r.error().message().find("jeanne"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace relance::store
