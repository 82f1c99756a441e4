// Cached list pages (http/list_page_cache.h, store/change_stamps.h): a page
// is answered from the cache only while its table's change stamp stands
// still, whoever writes (the API, another process), and per day, since an
// invoice's status is today's (R-CORE-7).
#include <gtest/gtest.h>

#include "domain/entity_spec.h"
#include "http/list_page_cache.h"
#include "http_test_support.h"
#include "store/change_stamps.h"
#include "store/record_repository.h"

namespace relance::http::test {
namespace {

std::shared_ptr<const std::string> Page(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

TEST(ListPageCacheTest, AnswersOnlyAtTheStampThePageWasStoredAt) {
  ListPageCache cache(1 << 20);
  EXPECT_EQ(cache.Find("k", 1), nullptr);
  cache.Store("k", 1, Page("page at 1"));
  auto hit = cache.Find("k", 1);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, "page at 1");
  EXPECT_EQ(cache.Find("k", 2), nullptr);  // the table changed: dropped
  EXPECT_EQ(cache.Find("k", 1), nullptr);
  EXPECT_EQ(cache.bytes(), 0u);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 3u);
}

TEST(ListPageCacheTest, KeepsTheNewerStampWhenTwoMissesRace) {
  ListPageCache cache(1 << 20);
  cache.Store("k", 5, Page("newer"));
  cache.Store("k", 4, Page("older"));  // read before the write that made 5
  ASSERT_NE(cache.Find("k", 5), nullptr);
  EXPECT_EQ(*cache.Find("k", 5), "newer");
}

TEST(ListPageCacheTest, StaysWithinItsBudgetLeastRecentlyUsedOutFirst) {
  // Each entry costs 700 bytes of page and its bookkeeping: four fit.
  ListPageCache cache(4096);
  const std::string page(700, 'x');
  for (int i = 0; i < 4; ++i) cache.Store("k" + std::to_string(i), 1, Page(page));
  ASSERT_NE(cache.Find("k0", 1), nullptr);  // k0 is now the most recent
  for (int i = 4; i < 7; ++i) cache.Store("k" + std::to_string(i), 1, Page(page));
  EXPECT_LE(cache.bytes(), 4096u);
  EXPECT_NE(cache.Find("k0", 1), nullptr);  // k1, k2 and k3 went first
  EXPECT_EQ(cache.Find("k1", 1), nullptr);
  EXPECT_EQ(cache.Find("k3", 1), nullptr);
  EXPECT_NE(cache.Find("k6", 1), nullptr);
  cache.Store("big", 1, Page(std::string(2000, 'y')));  // over a quarter: not kept
  EXPECT_EQ(cache.Find("big", 1), nullptr);
}

TEST(ListPageCacheTest, ZeroBytesTurnsItOff) {
  ListPageCache cache(0);
  EXPECT_FALSE(cache.enabled());
  cache.Store("k", 1, Page("p"));
  EXPECT_EQ(cache.Find("k", 1), nullptr);
}

class ListCacheTest : public HttpTest {
 protected:
  uint64_t CacheHits() {
    Response m = Call("GET", "/metrics", std::nullopt, Auth{});
    const std::string name = "relance_list_cache_hits_total ";
    auto at = m.body.find("\n" + name);
    if (at == std::string::npos) return 0;
    return std::stoull(m.body.substr(at + 1 + name.size()));
  }
};

TEST_P(ListCacheTest, RCore7_APageIsServedFromTheCacheUntilAnInvoiceChanges) {
  const std::string cid = MakeCustomer({{"name", "Client"}}, admin_)["id"];
  json inv =
      MakeInvoice(cid, "F-1", 10000, "2026-01-01", {{"printed_due_date", "2026-01-31"}});
  const std::string path = "/api/v1/invoices?status=OVERDUE&limit=10";
  Response first = Get(path, admin_);
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ(first.json_body["data"].size(), 1u);
  const uint64_t hits = CacheHits();
  Response second = Get(path, admin_);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(CacheHits(), hits + 1);
  // Written from the cache without a copy: the same headers as a read page.
  EXPECT_EQ(second.Header("Content-Type"), "application/json");
  EXPECT_EQ(second.Header("Content-Length"), std::to_string(first.body.size()));
  EXPECT_EQ(first.Header("Content-Type"), "application/json");
  // The same query in another order is the same page.
  EXPECT_EQ(Get("/api/v1/invoices?limit=10&status=OVERDUE", admin_).body, first.body);
  EXPECT_EQ(CacheHits(), hits + 2);

  // A write through the API moves the stamp.
  Response patched = Patch("/api/v1/invoices/" + inv["id"].get<std::string>(),
                           {{"number", "F-1bis"}}, admin_);
  ASSERT_EQ(patched.status, 200) << patched.body;
  Response third = Get(path, admin_);
  ASSERT_EQ(third.json_body["data"].size(), 1u);
  EXPECT_EQ(third.json_body["data"][0]["number"], "F-1bis");
}

TEST_P(ListCacheTest, RCore7_AWriteFromAnotherProcessIsSeenAtOnce) {
  const std::string cid = MakeCustomer({{"name", "Client"}}, admin_)["id"];
  json inv =
      MakeInvoice(cid, "F-1", 10000, "2026-01-01", {{"printed_due_date", "2026-01-31"}});
  const std::string path = "/api/v1/invoices?status=OVERDUE";
  ASSERT_EQ(Get(path, admin_).json_body["data"].size(), 1u);
  ASSERT_EQ(Get(path, admin_).json_body["data"].size(), 1u);  // now cached

  // Another Database on the same data, as `relance import` or a sync worker
  // in another process would have: the invoice is paid there.
  auto other = store::OpenDatabase(test_db_->location(), 1);
  ASSERT_TRUE(other.ok()) << other.error().message();
  store::RecordRepository<domain::Invoice> invoices(domain::InvoiceSpec());
  ASSERT_TRUE(store::InTransaction(**other, [&](store::Connection& c) -> Result<void> {
                ASSIGN_OR_RETURN(auto found, invoices.Get(c, admin_.org_id, inv["id"]));
                found.outstanding_amount = 0;
                found.meta.version += 1;
                return invoices.Update(c, found);
              }).ok());
  EXPECT_EQ(Get(path, admin_).json_body["data"].size(), 0u);
  EXPECT_EQ(Count("/api/v1/invoices?status=PAID", admin_), 1u);
}

TEST_P(ListCacheTest, RCore7_ThePageOfANewDayIsReadAgain) {
  const std::string cid = MakeCustomer({{"name", "Client"}}, admin_)["id"];
  // Due on 2026-03-10, today in Paris: not due yet, overdue tomorrow.
  MakeInvoice(cid, "F-1", 10000, "2026-02-08", {{"printed_due_date", "2026-03-10"}});
  const std::string path = "/api/v1/invoices?status=OVERDUE";
  EXPECT_EQ(Get(path, admin_).json_body["data"].size(), 0u);
  EXPECT_EQ(Get(path, admin_).json_body["data"].size(), 0u);
  clock_.Advance(std::chrono::hours(24));
  Response next_day = Get(path, admin_);
  ASSERT_EQ(next_day.json_body["data"].size(), 1u);
  EXPECT_EQ(next_day.json_body["data"][0]["status"], "OVERDUE");
}

TEST_P(ListCacheTest, RCore1_EachOrganizationHasItsOwnPages) {
  Caller other = NewOrg("Other");
  const std::string cid = MakeCustomer({{"name", "Client"}}, admin_)["id"];
  MakeInvoice(cid, "F-1", 10000, "2026-01-01", {{"printed_due_date", "2026-01-31"}});
  const std::string path = "/api/v1/invoices?status=OVERDUE";
  ASSERT_EQ(Get(path, admin_).json_body["data"].size(), 1u);
  EXPECT_EQ(Get(path, other).json_body["data"].size(), 0u);
  EXPECT_EQ(Get(path, other).json_body["data"].size(), 0u);
  EXPECT_EQ(Get(path, admin_).json_body["data"].size(), 1u);
}

TEST_P(ListCacheTest, RCore3_AGroupsViewReadsTheCustomersSoItIsNotCached) {
  const std::string parent = MakeCustomer({{"name", "Groupe"}}, admin_)["id"];
  const std::string child = MakeCustomer({{"name", "Filiale"}}, admin_)["id"];
  MakeInvoice(child, "F-1", 10000, "2026-01-01", {{"printed_due_date", "2026-01-31"}});
  const std::string path =
      "/api/v1/invoices?customer_id=" + parent + "&include_subsidiaries=true";
  EXPECT_EQ(Get(path, admin_).json_body["data"].size(), 0u);
  // Only the customers change: the invoices' stamp stands still.
  ASSERT_EQ(Patch("/api/v1/customers/" + child, {{"parent_id", parent}}, admin_).status, 200);
  EXPECT_EQ(Get(path, admin_).json_body["data"].size(), 1u);
}

TEST_P(ListCacheTest, TheStampMovesWithEveryInvoiceWriteOnly) {
  auto conn = test_db_->db().Acquire();
  ASSERT_TRUE(conn.ok());
  auto stamp = [&] { return *store::ReadChangeStamp(**conn, admin_.org_id, "invoices"); };
  EXPECT_EQ(stamp(), 0);
  const std::string cid = MakeCustomer({{"name", "Client"}}, admin_)["id"];
  EXPECT_EQ(stamp(), 0);  // a customer is not an invoice
  json inv = MakeInvoice(cid, "F-1", 10000, "2026-01-01");
  const int64_t created = stamp();
  EXPECT_GT(created, 0);
  ASSERT_EQ(Delete("/api/v1/invoices/" + inv["id"].get<std::string>(), admin_).status, 204);
  EXPECT_GT(stamp(), created);
}

// Both backends' BulkInsert (imports, sync backfills) end with StampBulkRows:
// one bump per organization the rows belong to, whatever their number.
TEST_P(ListCacheTest, ABulkInsertMovesTheStampOfEachOrganizationItWrote) {
  Caller other = NewOrg("Other");
  auto conn = test_db_->db().Acquire();
  ASSERT_TRUE(conn.ok());
  auto stamp = [&](const std::string& org) {
    return *store::ReadChangeStamp(**conn, org, "invoices");
  };
  const std::vector<std::string> columns = {"id", "org_id"};
  const std::vector<std::vector<store::SqlValue>> rows = {
      {std::string("inv_a"), admin_.org_id},
      {std::string("inv_b"), admin_.org_id},
      {std::string("inv_c"), other.org_id}};
  ASSERT_TRUE(store::StampBulkRows(**conn, "invoices", columns, rows).ok());
  EXPECT_EQ(stamp(admin_.org_id), 1);
  EXPECT_EQ(stamp(other.org_id), 1);
  ASSERT_TRUE(store::StampBulkRows(**conn, "customers", columns, rows).ok());
  EXPECT_EQ(stamp(admin_.org_id), 1);  // customers are not stamped

  const std::vector<std::string> no_org = {"id", "number"};
  auto refused = store::StampBulkRows(**conn, "invoices", no_org, rows);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(), "bulk insert into invoices without org_id");
  EXPECT_EQ(stamp(admin_.org_id), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, ListCacheTest, ::testing::Values("sqlite", "postgres"),
                         relance::test::BackendName());

}  // namespace
}  // namespace relance::http::test
