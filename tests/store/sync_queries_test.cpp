// The sync engine's lookups of many records by key (store/sync_queries.h),
// on SQLite and PostgreSQL: every id found whatever the chunking, and on
// PostgreSQL by the primary key once the table is large, not by a scan of
// the whole table.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/db.h"
#include "store/migrations/migrations.h"
#include "store/record_repository.h"
#include "store/sync_queries.h"
#include "store/test_databases.h"

namespace relance::store {
namespace {

constexpr int kRefs = 30000;
const std::string kOrg = "org_01TESTSYNCQUERIES000000000";

std::string ExternalId(int i) { return "invoice/" + std::to_string(1000 + i); }

class SyncQueriesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    test_db_ = test::TestDatabase::Open(GetParam());
    if (!test_db_) return;
    ASSERT_TRUE(ApplyMigrations(db()).ok());
    std::vector<RefWrite> refs;
    for (int i = 0; i < kRefs; ++i) {
      refs.push_back({"invoice", "invoice", "inv_" + std::to_string(i), ExternalId(i), "v1",
                      "2026-12-05T00:00:00Z", "number", ""});
    }
    auto written = InTransaction(db(), [&](Connection& c) {
      return InsertRefs(c, kOrg, "sellsy", refs);
    });
    ASSERT_TRUE(written.ok()) << written.error().ToString();
  }

  Database& db() { return test_db_->db(); }

  std::unique_ptr<test::TestDatabase> test_db_;
};

// 500 ids span several lookups (kIdsPerLookup): each id is found once, with
// its record and version, and an id the store does not have is absent.
TEST_P(SyncQueriesTest, FindRefsFindsEveryIdAcrossItsLookups) {
  if (!test_db_) return;
  std::vector<std::string> wanted;
  for (int i = 0; i < 500; ++i) wanted.push_back(ExternalId(i * 37));
  wanted.push_back("invoice/unknown");
  auto conn = db().Acquire();
  ASSERT_TRUE(conn.ok());
  auto found = FindRefs(**conn, kOrg, "sellsy", "invoice", wanted);
  ASSERT_TRUE(found.ok()) << found.error().ToString();
  ASSERT_EQ(found->size(), 500u);
  EXPECT_EQ(found->at(ExternalId(37)).record_id, "inv_37");
  EXPECT_EQ(found->at(ExternalId(499 * 37)).external_version, "v1");
  EXPECT_EQ(found->count("invoice/unknown"), 0u);
}

// With 500 ids in one IN (...), PostgreSQL read all 30,000 rows (the probes
// of an index are priced as random reads); in lookups of kIdsPerLookup, and
// once the statistics are current, it reads the primary key only. What the
// lookups of one transaction did is in pg_stat_xact_user_tables.
TEST_P(SyncQueriesTest, OnPostgresFindRefsReadsTheIndexNotTheTable) {
  if (!test_db_ || test_db_->dialect() != Dialect::kPostgres) return;
  constexpr std::string_view kTables[] = {"external_refs"};
  ASSERT_TRUE(RefreshPlannerStatistics(db(), kTables).ok());
  std::vector<std::string> wanted;
  for (int i = 0; i < 500; ++i) wanted.push_back(ExternalId(i * 53));
  // The counts also hold what this connection did before and has not
  // reported yet: the lookups' share is the difference.
  auto scans = [](Connection& c) {
    return c.Query("SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables "
                   "WHERE relid = 'external_refs'::regclass");
  };
  auto checked = InTransaction(db(), [&](Connection& c) -> Result<void> {
    ASSIGN_OR_RETURN(auto before, scans(c));
    ASSIGN_OR_RETURN(auto found, FindRefs(c, kOrg, "sellsy", "invoice", wanted));
    EXPECT_EQ(found.size(), 500u);
    ASSIGN_OR_RETURN(auto after, scans(c));
    EXPECT_EQ(after.at(0).Int(0) - before.at(0).Int(0), 0) << "external_refs was read whole";
    EXPECT_GT(after.at(0).Int(1) - before.at(0).Int(1), 0) << "the primary key was not read";
    return Ok();
  });
  ASSERT_TRUE(checked.ok()) << checked.error().ToString();
}

// ANALYZE on PostgreSQL (the table's row count is known to the planner
// afterwards); nothing on SQLite, which keeps no statistics unless asked.
TEST_P(SyncQueriesTest, RefreshPlannerStatisticsAnalyzesOnPostgresOnly) {
  if (!test_db_) return;
  constexpr std::string_view kTables[] = {"external_refs", "sync_changes"};
  ASSERT_TRUE(RefreshPlannerStatistics(db(), kTables).ok());
  auto conn = db().Acquire();
  ASSERT_TRUE(conn.ok());
  if (test_db_->dialect() == Dialect::kPostgres) {
    auto rows = (*conn)->Query("SELECT reltuples FROM pg_class WHERE oid = 'external_refs'::regclass");
    ASSERT_TRUE(rows.ok()) << rows.error().ToString();
    EXPECT_EQ(rows->at(0).Double(0), kRefs);
  } else {
    auto rows = (*conn)->Query("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'");
    ASSERT_TRUE(rows.ok()) << rows.error().ToString();
    EXPECT_EQ(rows->at(0).Int(0), 0);
  }
}

TEST_P(SyncQueriesTest, RefreshPlannerStatisticsNamesAnUnknownTable) {
  if (!test_db_ || test_db_->dialect() != Dialect::kPostgres) return;
  constexpr std::string_view kTables[] = {"no_such_table"};
  auto r = RefreshPlannerStatistics(db(), kTables);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("no_such_table"), std::string::npos) << r.error().ToString();
}

INSTANTIATE_TEST_SUITE_P(Backends, SyncQueriesTest, ::testing::Values("sqlite", "postgres"),
                         test::BackendName());

}  // namespace
}  // namespace relance::store
