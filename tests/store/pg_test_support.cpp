#include "store/pg_test_support.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <random>

namespace relance::test {
namespace {

std::string Trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Runs one statement on the admin connection.
Result<void> Run(PGconn* conn, const std::string& sql) {
  PGresult* res = PQexec(conn, sql.c_str());
  const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  std::string why = ok ? "" : Trimmed(PQresultErrorMessage(res));
  PQclear(res);
  if (!ok) return Internal("test schema: " + sql + ": " + why);
  return Ok();
}

}  // namespace

std::string TestPostgresUrl() {
  const char* url = std::getenv("RELANCE_TEST_PG_URL");
  return url ? url : "";
}

bool PostgresRequired() {
  const char* required = std::getenv("RELANCE_REQUIRE_PG");
  return required && std::string(required) == "1";
}

std::string TestPostgresUrlOrSkip() {
  std::string url = TestPostgresUrl();
  if (!url.empty()) return url;
  // GTEST_SKIP and FAIL return from the function they are in, which must
  // return void: hence the lambdas. Both mark the current test.
  if (PostgresRequired()) {
    [] {
      FAIL() << "PostgreSQL tests were required (RELANCE_REQUIRE_PG=1) but no server was given: "
                "set RELANCE_TEST_PG_URL, e.g. to $(bash scripts/pg-test-cluster.sh url) after "
                "bash scripts/pg-test-cluster.sh start";
    }();
  } else {
    [] { GTEST_SKIP() << "no PostgreSQL server: RELANCE_TEST_PG_URL is not set"; }();
  }
  return "";
}

Result<std::unique_ptr<PgTestSchema>> PgTestSchema::Create(const std::string& server_url) {
  PGconn* admin = PQconnectdb(server_url.c_str());
  if (PQstatus(admin) != CONNECTION_OK) {
    std::string why = Trimmed(PQerrorMessage(admin));
    PQfinish(admin);
    return Unavailable("test schema: cannot connect to the PostgreSQL test server: " + why);
  }
  // Random rather than derived from the test name: the same test may run in
  // two ctest processes at once (e.g. a sanitizer and a plain build).
  std::random_device random;
  const uint64_t bits = (uint64_t{random()} << 32) | random();
  char name[24];
  std::snprintf(name, sizeof name, "t_%016llx", static_cast<unsigned long long>(bits));
  // Quiet the NOTICEs of DROP ... CASCADE listing every dropped table.
  Result<void> created = Run(admin, "SET client_min_messages = warning");
  if (created.ok()) created = Run(admin, std::string("CREATE SCHEMA ") + name);
  if (!created.ok()) {
    PQfinish(admin);
    return std::move(created).take_error();
  }
  const char* separator = server_url.find('?') == std::string::npos ? "?" : "&";
  std::string url = server_url + separator + "options=-csearch_path%3D" + name;
  return std::unique_ptr<PgTestSchema>(new PgTestSchema(admin, name, std::move(url)));
}

PgTestSchema::~PgTestSchema() {
  // A test may have broken or killed this connection on purpose.
  if (PQstatus(admin_) != CONNECTION_OK) PQreset(admin_);
  (void)Run(admin_, "SET client_min_messages = warning");
  Result<void> dropped = Run(admin_, "DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
  if (!dropped.ok()) ADD_FAILURE() << dropped.error().ToString();
  PQfinish(admin_);
}

}  // namespace relance::test
