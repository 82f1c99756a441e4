// PostgreSQL for tests: where the test server is, and a throwaway schema per
// test so tests (and parallel ctest processes) share one server without
// seeing each other's tables. The server comes from scripts/pg-test-cluster.sh:
//   RELANCE_TEST_PG_URL=$(bash scripts/pg-test-cluster.sh url) ctest ...
#pragma once

#include <memory>
#include <string>

#include "core/result.h"

struct pg_conn;

namespace relance::test {

// The server URL from RELANCE_TEST_PG_URL, or "" when it is unset.
std::string TestPostgresUrl();

// True when RELANCE_REQUIRE_PG=1: a missing server then fails the
// PostgreSQL tests instead of skipping them, so CI cannot pass without them.
bool PostgresRequired();

// For use inside a test (body, SetUp, or a helper they call): returns the
// server URL, or "" after recording a skip for the current test, or a
// fatal failure when PostgresRequired(). The caller returns on "".
std::string TestPostgresUrlOrSkip();

// A fresh schema t_<random hex> on a PostgreSQL server, dropped with
// everything in it (CASCADE) when this object is destroyed. url() reaches
// the server with search_path set to the schema, so unqualified table names
// land there. Holds one admin connection for its lifetime; not thread-safe.
class PgTestSchema {
 public:
  // Connects to `server_url` and creates the schema. `server_url` must be a
  // libpq URI without an `options` parameter (url() adds its own).
  static Result<std::unique_ptr<PgTestSchema>> Create(const std::string& server_url);
  ~PgTestSchema();
  PgTestSchema(const PgTestSchema&) = delete;
  PgTestSchema& operator=(const PgTestSchema&) = delete;

  const std::string& name() const { return name_; }
  const std::string& url() const { return url_; }

 private:
  PgTestSchema(pg_conn* admin, std::string name, std::string url)
      : admin_(admin), name_(std::move(name)), url_(std::move(url)) {}

  pg_conn* admin_;
  std::string name_;
  std::string url_;
};

}  // namespace relance::test
