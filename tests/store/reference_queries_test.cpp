// What the entity rules and the sync's balances read of referenced records
// (store/reference_queries.h), on SQLite and PostgreSQL: the columns they
// need, each id across the lookups' chunks, another organization's rows
// never.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "store/db.h"
#include "store/migrations/migrations.h"
#include "store/record_repository.h"
#include "store/reference_queries.h"
#include "store/test_databases.h"

namespace relance::store {
namespace {

const std::string kOrg = "org_01TESTREFERENCEQUERIES0000";
const std::string kOther = "org_01TESTREFERENCEQUERIES0001";
constexpr int kCustomers = 250;  // three lookups of kIdsPerLookup

domain::RecordMeta Meta(const std::string& org, const std::string& id) {
  return {id, org, 3, "2026-12-05T00:00:00Z", "2026-12-05T00:00:00Z"};
}

std::string CustomerId(int i) { return "cus_" + std::to_string(1000 + i); }
std::string InvoiceId(int i) { return "inv_" + std::to_string(1000 + i); }

class ReferenceQueriesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    test_db_ = test::TestDatabase::Open(GetParam());
    if (!test_db_) return;
    ASSERT_TRUE(ApplyMigrations(db()).ok());
    auto written = InTransaction(db(), [&](Connection& c) -> Result<void> {
      for (int i = 0; i < kCustomers; ++i) {
        domain::Customer cu;
        cu.meta = Meta(kOrg, CustomerId(i));
        cu.name = "Customer " + std::to_string(i);
        if (i % 2 == 1) cu.parent_id = CustomerId(i - 1);
        if (i % 3 == 0) cu.payment_delay_days = i;
        RETURN_IF_ERROR(RepositoryOf<domain::Customer>().Insert(c, cu));
        domain::Invoice inv;
        inv.meta = Meta(kOrg, InvoiceId(i));
        inv.meta.version = i + 1;
        inv.number = "F" + std::to_string(i);
        inv.customer_id = cu.meta.id;
        inv.gross_amount = 100'000 + i;
        inv.outstanding_amount = inv.gross_amount;
        RETURN_IF_ERROR(RepositoryOf<domain::Invoice>().Insert(c, inv));
        // Invoice i receives i allocations of 7 cents (none for the first).
        for (int k = 0; k < i % 4; ++k) {
          domain::Allocation a;
          a.meta = Meta(kOrg, "all_" + std::to_string(i) + "_" + std::to_string(k));
          a.source_type = "PAYMENT";
          a.source_id = "pay_" + std::to_string(k);
          a.invoice_id = inv.meta.id;
          a.amount = 7;
          RETURN_IF_ERROR(RepositoryOf<domain::Allocation>().Insert(c, a));
        }
      }
      // The same ids in another organization, which must never answer.
      domain::Customer foreign;
      foreign.meta = Meta(kOther, CustomerId(0));
      foreign.name = "Foreign";
      foreign.payment_delay_days = 99;
      return RepositoryOf<domain::Customer>().Insert(c, foreign);
    });
    ASSERT_TRUE(written.ok()) << written.error().ToString();
  }

  Database& db() { return test_db_->db(); }

  std::unique_ptr<test::TestDatabase> test_db_;
};

TEST_P(ReferenceQueriesTest, CustomerReferencesCarryParentAndPaymentDelay) {
  if (!test_db_) return;
  std::vector<std::string> wanted;
  for (int i = 0; i < kCustomers; ++i) wanted.push_back(CustomerId(i));
  wanted.push_back("cus_unknown");
  auto conn = db().Acquire();
  ASSERT_TRUE(conn.ok());
  auto found = FindCustomerReferences(**conn, kOrg, wanted);
  ASSERT_TRUE(found.ok()) << found.error().ToString();
  ASSERT_EQ(found->size(), static_cast<size_t>(kCustomers));
  std::map<std::string, CustomerReference> by_id;
  for (const auto& r : *found) by_id[r.id] = r;
  ASSERT_EQ(by_id.size(), static_cast<size_t>(kCustomers));
  for (int i = 0; i < kCustomers; ++i) {
    const auto& r = by_id.at(CustomerId(i));
    EXPECT_EQ(r.parent_id, i % 2 == 1 ? std::optional(CustomerId(i - 1)) : std::nullopt) << i;
    EXPECT_EQ(r.payment_delay_days, i % 3 == 0 ? std::optional<int64_t>(i) : std::nullopt) << i;
  }
  auto other = FindCustomerReferences(**conn, kOther, {CustomerId(0), CustomerId(1)});
  ASSERT_TRUE(other.ok());
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ(other->front().payment_delay_days, 99);
}

TEST_P(ReferenceQueriesTest, InvoiceBalancesSumTheAllocations) {
  if (!test_db_) return;
  std::vector<std::string> wanted;
  for (int i = 0; i < kCustomers; ++i) wanted.push_back(InvoiceId(i));
  wanted.push_back("inv_unknown");
  auto conn = db().Acquire();
  ASSERT_TRUE(conn.ok());
  auto found = FindInvoiceBalances(**conn, kOrg, wanted);
  ASSERT_TRUE(found.ok()) << found.error().ToString();
  ASSERT_EQ(found->size(), static_cast<size_t>(kCustomers));
  std::map<std::string, InvoiceBalance> by_id;
  for (const auto& b : *found) by_id[b.invoice_id] = b;
  for (int i = 0; i < kCustomers; ++i) {
    const auto& b = by_id.at(InvoiceId(i));
    EXPECT_EQ(b.version, i + 1) << i;
    EXPECT_EQ(b.gross_amount, 100'000 + i) << i;
    EXPECT_EQ(b.received, 7 * (i % 4)) << i;
  }
  auto other = FindInvoiceBalances(**conn, kOther, {InvoiceId(1)});
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, ReferenceQueriesTest, ::testing::Values("sqlite", "postgres"),
                         test::BackendName());

}  // namespace
}  // namespace relance::store
