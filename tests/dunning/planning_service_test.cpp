// The planning service over a real database (src/dunning/planning_service.h):
// customers walked in batches decide the same actions whatever the batch
// size, customers without a plan are passed over, and a second run stores
// nothing new (R-DUN-4: each action once).
#include "dunning/planning_service.h"

#include <gtest/gtest.h>

#include "core/clock.h"
#include "services/auth_service.h"
#include "services/record_service.h"
#include "store/dunning_queries.h"
#include "store/migrations/migrations.h"
#include "store/test_databases.h"

namespace relance::dunning {
namespace {

class PlanningServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = test::TestDatabase::Open(GetParam());
    if (!db_) return;
    ASSERT_TRUE(store::ApplyMigrations(db_->db()).ok());
    ctx_ = std::make_unique<services::Context>(services::Context{db_->db(), clock_});
    services::AuthService auth(*ctx_, services::PasswordCost::kMinimum);
    auto org = auth.CreateOrganization({"Acme"});
    ASSERT_TRUE(org.ok());
    auto user = auth.CreateUser(org->meta.id, {"admin@acme.test", "Admin", "ADMIN",
                                               "correct horse battery", std::nullopt});
    ASSERT_TRUE(user.ok());
    who_ = {org->meta.id, user->meta.id, "ADMIN"};
    services::RecordService<domain::DunningPlan> plans(*ctx_);
    auto plan = plans.Create(who_, {{"name", std::string("Standard")}, {"level", std::string("INVOICE")}});
    ASSERT_TRUE(plan.ok());
    services::RecordService<domain::DunningStep> steps(*ctx_);
    ASSERT_TRUE(steps.Create(who_, {{"plan_id", plan->meta.id}, {"offset_days", int64_t{0}}}).ok());
    services::RecordService<domain::Customer> customers(*ctx_);
    services::RecordService<domain::Invoice> invoices(*ctx_);
    // 11 customers, every third without a plan; two overdue invoices each.
    for (int i = 0; i < 11; ++i) {
      std::vector<services::FieldAssignment> f = {{"name", "Client " + std::to_string(i)}};
      if (i % 3 != 2) f.push_back({"dunning_plan_id", plan->meta.id});
      auto c = customers.Create(who_, f);
      ASSERT_TRUE(c.ok()) << c.error().ToString();
      for (int k = 0; k < 2; ++k) {
        ASSERT_TRUE(invoices
                        .Create(who_, {{"customer_id", c->meta.id},
                                       {"number", "F-" + std::to_string(i) + "-" + std::to_string(k)},
                                       {"issue_date", *Date::Parse("2026-01-05")},
                                       {"printed_due_date", *Date::Parse("2026-02-05")},
                                       {"gross_amount", int64_t{1000}}})
                        .ok());
      }
    }
  }

  FakeClock clock_{*ParseTimestamp("2026-02-10T10:00:00Z")};
  std::unique_ptr<test::TestDatabase> db_;
  std::unique_ptr<services::Context> ctx_;
  services::Principal who_;
};

TEST_P(PlanningServiceTest, BatchesDecideTheSameActionsOnce) {
  if (!db_) return;
  PlanningService planner(*ctx_);
  constexpr int64_t kExpected = 8 * 2;  // 8 customers with a plan, 2 invoices each
  // Batches of every size, their invoices read whole or in two halves on
  // two connections: the same decisions.
  for (bool split : {false, true}) {
    for (int batch : {1, 2, 3, 5, 5000}) {
      PlanningOptions o;
      o.dry_run = true;
      o.batch_customers = batch;
      o.split_reads = split;
      auto r = planner.Plan(who_.org_id, clock_.Now(), o);
      ASSERT_TRUE(r.ok()) << r.error().ToString();
      EXPECT_EQ(r->customers, 8) << "batch " << batch << " split " << split;
      EXPECT_EQ(r->decided, kExpected) << "batch " << batch << " split " << split;
      EXPECT_EQ(r->stored, 0);
    }
  }
  PlanningOptions store_in_threes;
  store_in_threes.batch_customers = 3;
  auto first = planner.Plan(who_.org_id, clock_.Now(), store_in_threes);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->stored, kExpected);
  auto again = planner.Plan(who_.org_id, clock_.Now());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stored, 0);  // pending: nothing new, nothing twice
}

// A day's planning reads the customers with a plan and their open invoices
// from two partial indexes alone (customers_dunning, invoices_open): paid
// and void invoices are not in them, and the tables are never visited, so
// what a mature ledger has paid costs the planner nothing.
TEST_P(PlanningServiceTest, PlanningReadsFromThePartialIndexesAlone) {
  if (!db_) return;
  auto conn = db_->db().Acquire();
  ASSERT_TRUE(conn.ok());
  const bool pg = GetParam() == "postgres";
  if (pg) {
    // A tiny table is cheapest to read whole; without that choice the
    // planner must take the index that answers the query.
    ASSERT_TRUE((*conn)->Exec("SET enable_seqscan = off").ok());
    ASSERT_TRUE((*conn)->Exec("SET enable_bitmapscan = off").ok());
  }
  auto plan_of = [&](std::string_view sql, std::span<const store::SqlValue> params) {
    std::string plan;
    auto rows = (*conn)->Query((pg ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + std::string(sql), params);
    EXPECT_TRUE(rows.ok()) << rows.error().ToString();
    if (rows.ok()) {
      for (const auto& r : *rows) plan += r.Text(r.size() - 1) + "\n";
    }
    return plan;
  };
  store::SqlValue invoices[] = {who_.org_id, std::string("cus_"), std::string("cus_~")};
  store::SqlValue customers[] = {who_.org_id, std::string(""), int64_t{5000}};
  const std::string invoice_plan = plan_of(store::OpenInvoicesSql(), invoices);
  const std::string customer_plan = plan_of(store::DunningCustomersSql(), customers);
  if (pg) {
    EXPECT_NE(invoice_plan.find("Index Only Scan using invoices_open"), std::string::npos)
        << invoice_plan;
    EXPECT_NE(customer_plan.find("Index Only Scan using customers_dunning"), std::string::npos)
        << customer_plan;
    ASSERT_TRUE((*conn)->Exec("RESET ALL").ok());
  } else {
    EXPECT_NE(invoice_plan.find("USING COVERING INDEX invoices_open"), std::string::npos)
        << invoice_plan;
    EXPECT_NE(customer_plan.find("USING COVERING INDEX customers_dunning"), std::string::npos)
        << customer_plan;
  }
}

// Paid, void and credited invoices are not planned; an invoice that is paid
// but still to send is (R-SEND-2).
TEST_P(PlanningServiceTest, OnlyOpenInvoicesAreExamined) {
  if (!db_) return;
  auto conn = db_->db().Acquire();
  ASSERT_TRUE(conn.ok());
  store::SqlValue org[] = {who_.org_id};
  PlanningService planner(*ctx_);
  PlanningOptions o;
  o.dry_run = true;
  auto before = planner.Plan(who_.org_id, clock_.Now(), o);
  ASSERT_TRUE(before.ok()) << before.error().ToString();
  auto first = (*conn)->Query(
      "SELECT i.id FROM invoices i JOIN customers c ON c.org_id = i.org_id AND c.id = "
      "i.customer_id WHERE i.org_id = ? AND c.dunning_plan_id IS NOT NULL ORDER BY i.id LIMIT 3",
      org);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 3u);
  store::SqlValue paid[] = {who_.org_id, (*first)[0].Text(0)};
  ASSERT_TRUE((*conn)->Exec("UPDATE invoices SET outstanding_amount = 0 WHERE org_id = ? AND id = ?",
                            paid).ok());
  store::SqlValue voided[] = {who_.org_id, (*first)[1].Text(0)};
  ASSERT_TRUE((*conn)->Exec("UPDATE invoices SET is_void = 1 WHERE org_id = ? AND id = ?", voided).ok());
  store::SqlValue to_send[] = {who_.org_id, (*first)[2].Text(0)};
  ASSERT_TRUE((*conn)->Exec("UPDATE invoices SET outstanding_amount = 0, to_send = 1 WHERE org_id = ? "
                            "AND id = ?",
                            to_send).ok());
  auto r = planner.Plan(who_.org_id, clock_.Now(), o);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  // Of the three changed invoices, the paid one and the void one are gone.
  EXPECT_EQ(r->invoices, before->invoices - 2);
  EXPECT_GE(before->invoices, 16);
}

INSTANTIATE_TEST_SUITE_P(Backends, PlanningServiceTest, ::testing::Values("sqlite", "postgres"),
                         test::BackendName());

}  // namespace
}  // namespace relance::dunning
