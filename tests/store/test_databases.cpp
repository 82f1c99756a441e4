#include "store/test_databases.h"

#include <stdlib.h>  // mkdtemp

#include <filesystem>
#include <vector>

namespace relance::test {

std::unique_ptr<TestDatabase> TestDatabase::Open(std::string_view backend, int pool_size) {
  std::unique_ptr<TestDatabase> t(new TestDatabase());
  if (backend == "postgres") {
    const std::string server = TestPostgresUrlOrSkip();
    if (server.empty()) return nullptr;
    auto schema = PgTestSchema::Create(server);
    if (!schema.ok()) {
      [&] { FAIL() << schema.error().ToString(); }();
      return nullptr;
    }
    t->schema_ = std::move(schema).value();
    t->location_ = t->schema_->url();
  } else if (backend == "sqlite") {
    // A folder per test, so the -wal and -shm files go with it.
    std::string pattern = (std::filesystem::temp_directory_path() / "relance-test-XXXXXX").string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (mkdtemp(buffer.data()) == nullptr) {
      [] { FAIL() << "cannot create a temporary folder for the SQLite test database"; }();
      return nullptr;
    }
    t->temp_dir_ = buffer.data();
    t->location_ = t->temp_dir_ + "/relance.db";
  } else {
    [&] { FAIL() << "unknown test database backend: " << backend; }();
    return nullptr;
  }
  auto db = store::OpenDatabase(t->location_, pool_size);
  if (!db.ok()) {
    [&] {
      FAIL() << "cannot open the " << backend << " test database: " << db.error().ToString();
    }();
    return nullptr;
  }
  t->db_ = std::move(db).value();
  return t;
}

TestDatabase::~TestDatabase() {
  db_.reset();  // connections closed before the schema is dropped or the file deleted
  schema_.reset();
  if (!temp_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(temp_dir_, ignored);
  }
}

}  // namespace relance::test
