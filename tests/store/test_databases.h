// A fresh, empty database of one backend for one test, deleted afterwards:
// the shared fixture of every suite that runs against both SQLite and
// PostgreSQL (link relance_test_databases). Typical use:
//
//   class MyTest : public ::testing::TestWithParam<std::string> {
//     void SetUp() override {
//       test_db_ = relance::test::TestDatabase::Open(GetParam());
//       if (!test_db_) return;  // skipped (no PostgreSQL) or failed
//       ...
//     }
//   };
//   INSTANTIATE_TEST_SUITE_P(Backends, MyTest, ::testing::Values("sqlite", "postgres"),
//                            relance::test::BackendName());
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "store/db.h"
#include "store/pg_test_support.h"

namespace relance::test {

class TestDatabase {
 public:
  // `backend` is "sqlite" (a file in a new temporary folder) or "postgres"
  // (a new schema on RELANCE_TEST_PG_URL). Call from a test body or SetUp.
  // Returns null after recording a skip or a fatal failure for the current
  // test when the backend is unavailable (see TestPostgresUrlOrSkip) or the
  // database cannot be opened; the caller then returns.
  static std::unique_ptr<TestDatabase> Open(std::string_view backend, int pool_size = 4);

  // Closes the database, then deletes the file or drops the schema.
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  store::Database& db() const { return *db_; }
  // What store::OpenDatabase takes to reach the same data (a file path or
  // a URL), e.g. for a second Database or a `relance --db` subprocess.
  const std::string& location() const { return location_; }
  store::Dialect dialect() const { return db_->dialect(); }

 private:
  TestDatabase() = default;

  std::unique_ptr<PgTestSchema> schema_;  // postgres only
  std::string temp_dir_;                  // sqlite only
  std::string location_;
  std::unique_ptr<store::Database> db_;  // destroyed first (declared last)
};

// Test-name suffix for suites parameterized by backend name ("sqlite").
struct BackendName {
  template <typename Param>
  std::string operator()(const ::testing::TestParamInfo<Param>& info) const {
    return std::string(info.param);
  }
};

}  // namespace relance::test
