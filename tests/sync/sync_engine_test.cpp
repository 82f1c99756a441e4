// The sync engine over a real database, on both backends, fed by an
// in-memory source (fake_source.h): idempotent upserts, owned and
// create-only fields (R-SELLSY-4, R-SELLSY-8), the change log (R-OPS-3),
// snapshot-diff deletions, allocations and balances, webhook hints with
// references fetched first, a failure mid-backfill resumed without loss,
// sealed secrets and one runner per connection.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "domain/entity_spec.h"
#include "services/auth_service.h"
#include "services/record_service.h"
#include "store/migrations/migrations.h"
#include "store/record_repository.h"
#include "store/sync_queries.h"
#include "store/test_databases.h"
#include "sync/connection_service.h"
#include "sync/fake_source.h"
#include "sync/sync_runner.h"

namespace relance::sync {
namespace {

using test::FakeContact;
using test::FakeCreditNote;
using test::FakeCustomer;
using test::FakeInvoice;
using test::FakePayment;

class SyncEngineTest : public ::testing::TestWithParam<std::string> {
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
    type_ = test::FakeConnectorType(source_);
    registry_.Add(type_);
    box_ = std::make_unique<SecretBox>(*SecretBox::FromHex(std::string(64, 'a')));
    service_ = std::make_unique<ConnectionService>(*ctx_, registry_, *box_);
    auto created = service_->Create(who_, {"fake", "Fake ERP", {}, {{"api_key", "good-key"}}});
    ASSERT_TRUE(created.ok()) << created.error().ToString();
    connection_ = created->connection;
    webhook_path_ = created->webhook_path;
    runner_ = std::make_unique<SyncRunner>(*ctx_, *service_, RunnerOptions{});

    source_.Put("customers", FakeCustomer("C1", "Alpha"));
    source_.Put("customers", FakeCustomer("C2", "Beta"));
    source_.Put("customers", FakeCustomer("C3", "Gamma"));
    source_.Put("contacts", FakeContact("K1", "C1", "ada@alpha.test", true));
    source_.Put("contacts", FakeContact("K2", "C1", "bob@alpha.test", false));
    source_.Put("invoices", FakeInvoice("I1", "C1", "F-1", 10000));
    source_.Put("invoices", FakeInvoice("I2", "C2", "F-2", 5000));
    source_.Put("payments", FakePayment("P1", "C1", 4000, {{"I1", 4000}}));
  }

  Result<RunOutcome> Run(std::optional<bool> full = false) {
    return runner_->RunOne(who_.org_id, connection_.meta.id, full);
  }

  template <typename T>
  std::vector<T> All() {
    auto c = db_->db().Acquire();
    store::RecordRepository<T> repo(domain::SpecOf<T>());
    auto all = repo.FindAll(**c, who_.org_id, {});
    EXPECT_TRUE(all.ok());
    return all.ok() ? *all : std::vector<T>{};
  }

  template <typename T>
  T ByExternal(const std::string& ext) {
    for (const auto& r : All<T>()) {
      if (r.external_id == ext) return r;
    }
    ADD_FAILURE() << "no record with external id " << ext;
    return T{};
  }

  domain::SyncConnection Connection() {
    auto s = service_->Status(who_, connection_.meta.id);
    EXPECT_TRUE(s.ok());
    return s.ok() ? s->connection : domain::SyncConnection{};
  }

  FakeClock clock_{*ParseTimestamp("2026-02-10T10:00:00Z")};
  std::unique_ptr<test::TestDatabase> db_;
  std::unique_ptr<services::Context> ctx_;
  services::Principal who_;
  test::FakeSource source_;
  ConnectorType type_;
  ConnectorRegistry registry_;
  std::unique_ptr<SecretBox> box_;
  std::unique_ptr<ConnectionService> service_;
  std::unique_ptr<SyncRunner> runner_;
  domain::SyncConnection connection_;
  std::string webhook_path_;
};

TEST_P(SyncEngineTest, BackfillWritesEverythingOnceAndASecondRunNothing) {
  if (!db_) return;
  auto first = Run();
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_TRUE(first->full);
  EXPECT_TRUE(first->scan_completed);
  EXPECT_EQ(first->stats.created, 8);
  EXPECT_EQ(All<domain::Customer>().size(), 3u);
  EXPECT_EQ(All<domain::Contact>().size(), 2u);
  auto i1 = ByExternal<domain::Invoice>("I1");
  EXPECT_EQ(i1.outstanding_amount, 6000);  // 10000 - the 4000 allocated
  EXPECT_EQ(ByExternal<domain::Payment>("P1").unallocated_amount, 0);
  EXPECT_EQ(Connection().status, "OK");
  EXPECT_FALSE(Connection().backfill_requested);

  auto again = Run(true);
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(again->stats.written(), 0);
  EXPECT_EQ(again->stats.unchanged, 8);
  EXPECT_EQ(All<domain::Customer>().size(), 3u);
  EXPECT_EQ(All<domain::Allocation>().size(), 1u);
}

TEST_P(SyncEngineTest, ROps3EveryChangeIsInTheChangeLog) {
  if (!db_) return;
  ASSERT_TRUE(Run().ok());
  source_.Put("customers", FakeCustomer("C2", "Beta SAS", 2));
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->stats.updated, 1);
  auto beta = ByExternal<domain::Customer>("C2");
  EXPECT_EQ(beta.name, "Beta SAS");
  bool found = false;
  for (const auto& ch : All<domain::SyncChange>()) {
    if (ch.operation == "UPDATED" && ch.record_id == beta.meta.id) {
      found = true;
      EXPECT_EQ(ch.external_id, "C2");
      EXPECT_EQ(ch.connection_id, connection_.meta.id);
      EXPECT_EQ(ch.run_id, r->run_id);
      EXPECT_NE(ch.changes.find("\"name\":[\"Beta\",\"Beta SAS\"]"), std::string::npos) << ch.changes;
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(All<domain::SyncChange>().size(), 9u);  // 8 creations, 1 update
}

// The change log's entries are JSON text written without a tree: each is
// the text nlohmann's dump() gives for it (members in name order, the same
// escapes), names what the source set on creation with null before it, and
// what moved on an update.
TEST_P(SyncEngineTest, ROps3ChangeLogEntriesAreTheJsonOfWhatChanged) {
  if (!db_) return;
  source_.Put("customers", FakeCustomer("C4", "Caf\xc3\xa9 \"Nord\"\\\t\x01", 1));
  ASSERT_TRUE(Run().ok());
  source_.Put("customers", FakeCustomer("C4", "Nord", 2));
  ASSERT_TRUE(Run().ok());
  const auto c4 = ByExternal<domain::Customer>("C4");
  const auto i1 = ByExternal<domain::Invoice>("I1");
  int checked = 0;
  for (const auto& ch : All<domain::SyncChange>()) {
    if (ch.operation == "REJECTED") continue;
    const auto parsed = nlohmann::json::parse(ch.changes);
    EXPECT_EQ(parsed.dump(), ch.changes);
    if (ch.record_id == c4.meta.id && ch.operation == "CREATED") {
      EXPECT_EQ(parsed["name"], nlohmann::json::array({nullptr, "Caf\xc3\xa9 \"Nord\"\\\t\x01"}));
      ++checked;
    }
    if (ch.record_id == c4.meta.id && ch.operation == "UPDATED") {
      EXPECT_EQ(parsed["name"],
                nlohmann::json::array({"Caf\xc3\xa9 \"Nord\"\\\t\x01", "Nord"}));
      EXPECT_EQ(parsed.size(), 1u) << ch.changes;
      ++checked;
    }
    if (ch.record_id == i1.meta.id && ch.operation == "CREATED") {
      EXPECT_EQ(parsed["number"], nlohmann::json::array({nullptr, "F-1"}));
      EXPECT_EQ(parsed["gross_amount"], nlohmann::json::array({nullptr, 10000}));
      EXPECT_EQ(parsed["issue_date"][1], i1.issue_date.ToString());
      EXPECT_FALSE(parsed.contains("promise_to_pay_until")) << "a field left empty is not listed";
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3);
}

// R-SELLSY-4 on the batched path: a customer whose stored main contact came
// in an earlier run keeps it; a new contact the source also calls main is
// written as a secondary one (the page cache read which customers have one).
TEST_P(SyncEngineTest, RSellsy4ANewContactDoesNotDisplaceAStoredMainContact) {
  if (!db_) return;
  source_.Put("contacts", FakeContact("K3", "C2", "carla@beta.test", true));
  ASSERT_TRUE(Run().ok());
  ASSERT_TRUE(ByExternal<domain::Contact>("K3").is_main);
  source_.Put("contacts", FakeContact("K4", "C2", "dan@beta.test", true));
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(ByExternal<domain::Contact>("K3").is_main);
  EXPECT_FALSE(ByExternal<domain::Contact>("K4").is_main);
}

TEST_P(SyncEngineTest, RSellsy8OwnedFieldsAreReadOnlyForUsers) {
  if (!db_) return;
  ASSERT_TRUE(Run().ok());
  auto alpha = ByExternal<domain::Customer>("C1");
  services::RecordService<domain::Customer> customers(*ctx_);
  auto refused = customers.Update(who_, alpha.meta.id, {{"payment_delay_days", int64_t{45}}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kConflict);
  EXPECT_NE(refused.error().message().find("fake"), std::string::npos);
  // Fields the connector does not own stay the user's.
  EXPECT_TRUE(customers.Update(who_, alpha.meta.id, {{"vat_number", std::string("FR123")}}).ok());
  source_.Put("customers", FakeCustomer("C1", "Alpha Group", 2));
  ASSERT_TRUE(Run().ok());
  auto after = ByExternal<domain::Customer>("C1");
  EXPECT_EQ(after.name, "Alpha Group");
  EXPECT_EQ(after.vat_number, "FR123");
}

TEST_P(SyncEngineTest, RSellsy4UserChangesToMainContactAndPositionSurvive) {
  if (!db_) return;
  ASSERT_TRUE(Run().ok());
  services::RecordService<domain::Contact> contacts(*ctx_);
  auto bob = ByExternal<domain::Contact>("K2");
  ASSERT_TRUE(contacts.Update(who_, bob.meta.id, {{"is_main", true}, {"position", std::string("PAYER")}}).ok());
  // The source changes both contacts (new versions) and still calls K1 the main one.
  source_.Put("contacts", FakeContact("K1", "C1", "ada@alpha.test", true, 2));
  source_.Put("contacts", FakeContact("K2", "C1", "bob@alpha.fr", false, 2));
  ASSERT_TRUE(Run().ok());
  bob = ByExternal<domain::Contact>("K2");
  EXPECT_EQ(bob.email, "bob@alpha.fr");  // owned: follows the source
  EXPECT_TRUE(bob.is_main);              // the user's choice stays
  EXPECT_EQ(bob.position, "PAYER");
  EXPECT_FALSE(ByExternal<domain::Contact>("K1").is_main);
}

TEST_P(SyncEngineTest, AFullScanAppliesEachDeletionPolicy) {
  if (!db_) return;
  ASSERT_TRUE(Run().ok());
  source_.Remove("customers", "C3");       // propagate: deleted
  source_.Remove("invoices", "I2");        // mark deleted: void
  source_.Remove("payments", "P1");        // propagate, money back on I1
  source_.Remove("contacts", "K2");
  auto r = Run(true);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(r->scan_completed);
  EXPECT_EQ(All<domain::Customer>().size(), 2u);
  EXPECT_EQ(All<domain::Contact>().size(), 1u);
  EXPECT_TRUE(ByExternal<domain::Invoice>("I2").is_void);
  EXPECT_EQ(ByExternal<domain::Invoice>("I1").outstanding_amount, 10000);
  EXPECT_TRUE(All<domain::Payment>().empty());
  EXPECT_TRUE(All<domain::Allocation>().empty());
  // An incremental run does not take absence for deletion.
  source_.Remove("customers", "C2");
  ASSERT_TRUE(Run(false).ok());
  EXPECT_EQ(All<domain::Customer>().size(), 2u);
}

TEST_P(SyncEngineTest, AllocationsFollowTheSource) {
  if (!db_) return;
  ASSERT_TRUE(Run().ok());
  source_.Put("invoices", FakeInvoice("I3", "C1", "F-3", 3000));
  source_.Put("payments", FakePayment("P1", "C1", 4000, {{"I1", 1000}, {"I3", 3000}}, 2));
  ASSERT_TRUE(Run().ok());
  EXPECT_EQ(ByExternal<domain::Invoice>("I1").outstanding_amount, 9000);
  EXPECT_EQ(ByExternal<domain::Invoice>("I3").outstanding_amount, 0);
  EXPECT_EQ(All<domain::Allocation>().size(), 2u);
  // An allocation above the invoice is refused, logged, and changes nothing.
  source_.Put("payments", FakePayment("P1", "C1", 40000, {{"I3", 40000}}, 3));
  auto r = Run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stats.rejected, 1);
  EXPECT_EQ(ByExternal<domain::Invoice>("I3").outstanding_amount, 0);
  EXPECT_EQ(ByExternal<domain::Payment>("P1").amount, 4000);
  bool logged = false;
  for (const auto& ch : All<domain::SyncChange>()) {
    if (ch.operation == "REJECTED" && ch.external_id == "P1") {
      logged = true;
      EXPECT_NE(ch.changes.find("above its total"), std::string::npos) << ch.changes;
    }
  }
  EXPECT_TRUE(logged);
}

// The balances a run moves are written kIdsPerLookup invoices per statement
// (store::SetOutstandingAmounts): 250 paid invoices span three of them, and
// each gets its own amount and one version more.
TEST_P(SyncEngineTest, ManyPaymentsMoveEachBalanceAcrossTheBatchedUpdates) {
  if (!db_) return;
  for (int i = 0; i < 250; ++i) {
    const std::string n = std::to_string(i);
    source_.Put("invoices", FakeInvoice("B" + n, "C3", "B-" + n, 10000 + i));
    source_.Put("payments", FakePayment("Q" + n, "C3", 100 + i, {{"B" + n, 100 + i}}));
  }
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->stats.rejected, 0);
  int checked = 0;
  for (const auto& inv : All<domain::Invoice>()) {
    const std::string ext = inv.external_id.value_or("");
    if (ext.rfind("B", 0) != 0) continue;
    const int i = std::stoi(ext.substr(1));
    EXPECT_EQ(inv.outstanding_amount, 10000 + i - (100 + i)) << ext;
    ++checked;
  }
  EXPECT_EQ(checked, 250);
}

// A balance written over a version that has moved on is refused, naming the
// invoice, and the transaction around it keeps nothing of the batch.
TEST_P(SyncEngineTest, AStaleBalanceWriteNamesItsInvoiceAndKeepsNothing) {
  if (!db_) return;
  ASSERT_TRUE(Run().ok());
  const domain::Invoice i1 = ByExternal<domain::Invoice>("I1");
  const domain::Invoice i2 = ByExternal<domain::Invoice>("I2");
  std::vector<store::OutstandingWrite> writes = {
      {i1.meta.id, i1.meta.version, 1}, {i2.meta.id, i2.meta.version - 1, 2}};
  auto written = store::InTransaction(db_->db(), [&](store::Connection& c) {
    return store::SetOutstandingAmounts(c, who_.org_id, writes, "2026-02-10T10:00:00Z");
  });
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code(), ErrorCode::kConflict);
  EXPECT_NE(written.error().message().find(i2.meta.id), std::string::npos)
      << written.error().ToString();
  EXPECT_EQ(ByExternal<domain::Invoice>("I1").outstanding_amount, i1.outstanding_amount);
  EXPECT_EQ(ByExternal<domain::Invoice>("I1").meta.version, i1.meta.version);
  // With the right versions, both are written.
  writes[1].version = i2.meta.version;
  written = store::InTransaction(db_->db(), [&](store::Connection& c) {
    return store::SetOutstandingAmounts(c, who_.org_id, writes, "2026-02-10T10:00:00Z");
  });
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  EXPECT_EQ(ByExternal<domain::Invoice>("I1").outstanding_amount, 1);
  EXPECT_EQ(ByExternal<domain::Invoice>("I2").outstanding_amount, 2);
  EXPECT_EQ(ByExternal<domain::Invoice>("I2").meta.version, i2.meta.version + 1);
}

// New records are written in batches (record_writer.cpp); a row the store
// refuses fails its batch, which is then written one by one so that only
// that record is refused and the others of its page are kept.
TEST_P(SyncEngineTest, ARowTheStoreRefusesInABatchIsTheOnlyOneRefused) {
  if (!db_) return;
  source_.Put("contacts", FakeContact("K3", "C2", "same@beta.test", true));
  source_.Put("contacts", FakeContact("K4", "C2", "same@beta.test", false));
  source_.Put("contacts", FakeContact("K5", "C3", "carla@gamma.test", true));
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->stats.rejected, 1);
  EXPECT_EQ(r->stats.created, 10);  // 3 customers, 4 contacts, 2 invoices, 1 payment
  EXPECT_EQ(All<domain::Contact>().size(), 4u);
  EXPECT_TRUE(ByExternal<domain::Contact>("K3").is_main);
  EXPECT_TRUE(ByExternal<domain::Contact>("K5").is_main);
  EXPECT_EQ(ByExternal<domain::Invoice>("I1").outstanding_amount, 6000);
  int created_logged = 0;
  bool rejected_logged = false;
  for (const auto& ch : All<domain::SyncChange>()) {
    if (ch.operation == "CREATED") ++created_logged;
    if (ch.operation == "REJECTED") {
      rejected_logged = true;
      EXPECT_EQ(ch.external_id, "K4");
    }
  }
  EXPECT_EQ(created_logged, 10);
  EXPECT_TRUE(rejected_logged);
  // The refused contact is not known to the connection: a later run tries again.
  auto refs = [&] {
    auto c = db_->db().Acquire();
    return *store::FindRefs(**c, who_.org_id, "fake", "contact", {"K3", "K4", "K5"});
  }();
  EXPECT_EQ(refs.size(), 2u);
  EXPECT_FALSE(refs.count("K4"));
}

// A new payment's allocations are checked against the invoices' balances,
// as the payment's own and as other new payments of the page leave them.
TEST_P(SyncEngineTest, NewPaymentsThatWouldOverdrawAnInvoiceAreRefusedWithTheReason) {
  if (!db_) return;
  source_.Put("payments", FakePayment("P2", "C1", 5000, {{"I1", 5000}}));
  source_.Put("payments", FakePayment("P3", "C1", 2000, {{"I1", 2000}}));  // 4000+5000+2000 > 10000
  source_.Put("payments", FakePayment("P4", "C2", 9000, {{"I2", 9000}}));  // above 5000
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->stats.rejected, 2);
  EXPECT_EQ(ByExternal<domain::Invoice>("I1").outstanding_amount, 1000);
  EXPECT_EQ(ByExternal<domain::Invoice>("I2").outstanding_amount, 5000);
  EXPECT_EQ(ByExternal<domain::Payment>("P2").unallocated_amount, 0);
  EXPECT_EQ(All<domain::Payment>().size(), 2u);
  EXPECT_EQ(All<domain::Allocation>().size(), 2u);
  std::set<std::string> refused;
  for (const auto& ch : All<domain::SyncChange>()) {
    if (ch.operation != "REJECTED") continue;
    refused.insert(ch.external_id);
    EXPECT_NE(ch.changes.find("above its total"), std::string::npos) << ch.changes;
  }
  EXPECT_EQ(refused, (std::set<std::string>{"P3", "P4"}));
}

TEST_P(SyncEngineTest, NewCreditNotesMoveTheBalancesOfTheirInvoices) {
  if (!db_) return;
  source_.Put("credit-notes", FakeCreditNote("A1", "C2", "AV-1", 2000, {{"I2", 1500}}));
  // I1 has 6000 left once P1 is allocated.
  source_.Put("credit-notes", FakeCreditNote("A2", "C1", "AV-2", 9000, {{"I1", 7000}}));
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->stats.rejected, 1);
  EXPECT_EQ(r->stats.created, 9);  // a refused record is not counted as created too
  EXPECT_EQ(ByExternal<domain::Invoice>("I2").outstanding_amount, 3500);
  EXPECT_EQ(ByExternal<domain::Invoice>("A1").outstanding_amount, 500);
  EXPECT_EQ(ByExternal<domain::Invoice>("A1").kind, "CREDIT_NOTE");
  EXPECT_EQ(ByExternal<domain::Invoice>("I1").outstanding_amount, 6000);
  EXPECT_EQ(All<domain::Invoice>().size(), 3u);
  EXPECT_EQ(All<domain::Allocation>().size(), 2u);
  auto again = Run(true);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stats.written(), 0);
  EXPECT_EQ(ByExternal<domain::Invoice>("I2").outstanding_amount, 3500);
}

TEST_P(SyncEngineTest, AFailureMidBackfillResumesWithoutLossOrDuplicates) {
  if (!db_) return;
  source_.fail_at_call = 4;  // the customers' second page, the contacts...
  auto failed = Run();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code(), ErrorCode::kUnavailable);
  auto conn = Connection();
  EXPECT_EQ(conn.status, "ERROR");
  EXPECT_NE(conn.last_error->find("injected"), std::string::npos);
  EXPECT_EQ(conn.consecutive_failures, 1);
  EXPECT_TRUE(conn.backfill_requested);
  size_t partial = All<domain::Customer>().size() + All<domain::Contact>().size();
  EXPECT_GT(partial, 0u);
  auto resumed = Run();
  ASSERT_TRUE(resumed.ok()) << resumed.error().ToString();
  EXPECT_TRUE(resumed->scan_completed);
  EXPECT_EQ(All<domain::Customer>().size(), 3u);
  EXPECT_EQ(All<domain::Contact>().size(), 2u);
  EXPECT_EQ(All<domain::Invoice>().size(), 2u);
  EXPECT_EQ(Connection().status, "OK");
  EXPECT_EQ(Connection().consecutive_failures, 0);
}

TEST_P(SyncEngineTest, WebhookHintsAreAppliedWithTheirReferencesFirst) {
  if (!db_) return;
  ASSERT_TRUE(Run().ok());
  // A new customer and its invoice; only the invoice is notified.
  source_.Put("customers", FakeCustomer("C9", "Omega"));
  source_.Put("invoices", FakeInvoice("I9", "C9", "F-9", 700));
  std::string token = webhook_path_.substr(webhook_path_.rfind('/') + 1);
  auto n = service_->ReceiveWebhook("fake", token, "text/plain", "invoice:I9\ninvoice:I9");
  ASSERT_TRUE(n.ok()) << n.error().ToString();
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(service_->Status(who_, connection_.meta.id)->backlog, 2);
  source_.Put("customers", FakeCustomer("C2", "Beta renamed", 2));  // not notified
  auto r = Run(std::nullopt);  // between scheduled runs: the hints alone
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->hints_applied, 2);
  EXPECT_EQ(ByExternal<domain::Customer>("C2").name, "Beta");
  EXPECT_EQ(ByExternal<domain::Invoice>("I9").gross_amount, 700);
  EXPECT_EQ(ByExternal<domain::Customer>("C9").name, "Omega");
  EXPECT_EQ(service_->Status(who_, connection_.meta.id)->backlog, 0);
}

TEST_P(SyncEngineTest, BadWebhooksAreRefusedAndStoreNothing) {
  if (!db_) return;
  auto unknown = service_->ReceiveWebhook("fake", "not-a-token", "text/plain", "invoice:I1");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), ErrorCode::kNotFound);
  std::string token = webhook_path_.substr(webhook_path_.rfind('/') + 1);
  auto other = service_->ReceiveWebhook("sellsy", token, "text/plain", "invoice:I1");
  EXPECT_FALSE(other.ok());
  auto malformed = service_->ReceiveWebhook("fake", token, "text/plain", "garbage");
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(service_->Status(who_, connection_.meta.id)->backlog, 0);
}

TEST_P(SyncEngineTest, SecretsAreSealedAndBadCredentialsSayWhatToFix) {
  if (!db_) return;
  EXPECT_EQ(connection_.sealed_secrets.find("good-key"), std::string::npos);
  EXPECT_TRUE(service_->TestCredentials(who_, connection_.meta.id).ok());
  auto other_key = SecretBox::FromHex(std::string(64, 'b'));
  ASSERT_TRUE(other_key.ok());
  EXPECT_FALSE(other_key->Open(connection_.sealed_secrets).ok());
  ASSERT_TRUE(service_->Update(who_, connection_.meta.id, std::nullopt, std::nullopt, {},
                               {{"api_key", "revoked"}})
                  .ok());
  auto r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Connection().status, "AUTH_ERROR");
  auto missing = service_->Create(who_, {"fake", "Second", {}, {}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().details().at(0).field, "secrets.api_key");
}

TEST_P(SyncEngineTest, OneRunnerAtATimePerConnection) {
  if (!db_) return;
  RunnerOptions other_options;
  other_options.owner = "other-runner";
  SyncRunner other(*ctx_, *service_, other_options);
  {
    auto c = db_->db().Acquire();
    ASSERT_TRUE(store::ClaimConnection(**c, who_.org_id, connection_.meta.id, "other-runner",
                                       FormatTimestamp(clock_.Now()), "2999-01-01T00:00:00Z")
                    .value());
  }
  auto r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(All<domain::Customer>().empty());
  ASSERT_TRUE(other.RunOne(who_.org_id, connection_.meta.id).ok());
  EXPECT_EQ(All<domain::Customer>().size(), 3u);
}

TEST_P(SyncEngineTest, RemotePdfsAreFetchedAndStoredOnce) {
  if (!db_) return;
  std::string dir = ::testing::TempDir() + "relance-docs-" + GetParam();
  std::filesystem::remove_all(dir);
  RunnerOptions options;
  options.documents_dir = dir;
  SyncRunner runner(*ctx_, *service_, options);
  auto with_pdf = [](sync::SourceRecord r, const std::string& url) {
    std::get<SourceInvoice>(r.data).record.pdf_url = url;
    return r;
  };
  source_.Put("invoices", with_pdf(FakeInvoice("I1", "C1", "F-1", 10000), "https://fake/I1.pdf"));
  source_.Put("invoices", with_pdf(FakeInvoice("I2", "C2", "F-2", 5000), "https://fake/gone.pdf"));
  source_.documents["https://fake/I1.pdf"] = "%PDF-1.4 invoice F-1";
  auto r = runner.RunOne(who_.org_id, connection_.meta.id, false);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->documents_stored, 1);
  auto i1 = ByExternal<domain::Invoice>("I1");
  ASSERT_TRUE(i1.pdf_file.has_value());
  std::ifstream in(*i1.pdf_file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes, "%PDF-1.4 invoice F-1");
  EXPECT_EQ(ByExternal<domain::Invoice>("I2").pdf_file, "");  // refused: not asked again
  int calls = source_.document_calls;
  ASSERT_TRUE(runner.RunOne(who_.org_id, connection_.meta.id, false).ok());
  EXPECT_EQ(source_.document_calls, calls);
  // A new document in the source: the stored copy is replaced.
  source_.Put("invoices", with_pdf(FakeInvoice("I1", "C1", "F-1", 10000, 2), "https://fake/I1-v2.pdf"));
  source_.documents["https://fake/I1-v2.pdf"] = "%PDF-1.4 invoice F-1 corrected";
  ASSERT_TRUE(runner.RunOne(who_.org_id, connection_.meta.id, false).ok());
  std::ifstream again(*ByExternal<domain::Invoice>("I1").pdf_file, std::ios::binary);
  std::string corrected((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
  EXPECT_EQ(corrected, "%PDF-1.4 invoice F-1 corrected");
  std::filesystem::remove_all(dir);
}

// Issue 5's latency: a webhook's run reuses the connection's connector
// (its token, connections and indexes) instead of opening a new one.
TEST_P(SyncEngineTest, RunsOfAConnectionReuseItsConnector) {
  if (!db_) return;
  ASSERT_TRUE(Run().ok());
  EXPECT_EQ(source_.connectors_created, 1);
  source_.Put("customers", FakeCustomer("C2", "Beta renamed", 2));
  std::string token = webhook_path_.substr(webhook_path_.rfind('/') + 1);
  ASSERT_TRUE(service_->ReceiveWebhook("fake", token, "text/plain", "customer:C2").ok());
  auto hints = Run(std::nullopt);
  ASSERT_TRUE(hints.ok()) << hints.error().ToString();
  EXPECT_EQ(hints->hints_applied, 1);
  EXPECT_EQ(ByExternal<domain::Customer>("C2").name, "Beta renamed");
  ASSERT_TRUE(Run().ok());
  ASSERT_TRUE(Run(true).ok());
  EXPECT_EQ(source_.connectors_created, 1);
  EXPECT_EQ(source_.connectors_alive, 1);
  EXPECT_EQ(runner_->kept_connectors(), 1u);
  // A failure that is not about credentials keeps it too.
  source_.fail_at_call = source_.calls + 1;
  EXPECT_FALSE(Run().ok());
  ASSERT_TRUE(Run().ok());
  EXPECT_EQ(source_.connectors_created, 1);
}

TEST_P(SyncEngineTest, UpdatedSecretsDropTheKeptConnector) {
  if (!db_) return;
  ASSERT_TRUE(Run().ok());
  ASSERT_EQ(source_.connectors_created, 1);
  // The key is rotated at the source and in Relance: a connector still
  // holding the old key would fail with AUTH_ERROR.
  source_.accepted_key = "rotated-key";
  ASSERT_TRUE(service_->Update(who_, connection_.meta.id, std::nullopt, std::nullopt, {},
                               {{"api_key", "rotated-key"}})
                  .ok());
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(Connection().status, "OK");
  EXPECT_EQ(source_.connectors_created, 2);
  EXPECT_EQ(source_.connectors_alive, 1);  // the old one was closed
  ASSERT_TRUE(Run().ok());
  EXPECT_EQ(source_.connectors_created, 2);
}

TEST_P(SyncEngineTest, RefusedCredentialsDropTheKeptConnector) {
  if (!db_) return;
  ASSERT_TRUE(Run().ok());
  ASSERT_EQ(source_.connectors_created, 1);
  source_.accepted_key = "revoked";  // the API client is revoked at the source
  auto refused = Run();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(Connection().status, "AUTH_ERROR");
  EXPECT_EQ(source_.connectors_alive, 0);
  EXPECT_EQ(runner_->kept_connectors(), 0u);
  // Access restored at the source: the next run opens a new connector from
  // the stored secrets rather than trusting the refused one.
  source_.accepted_key = "good-key";
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(source_.connectors_created, 2);
  EXPECT_EQ(Connection().status, "OK");
}

TEST_P(SyncEngineTest, DeletedAndIdleConnectionsCloseTheirConnector) {
  if (!db_) return;
  ASSERT_TRUE(Run().ok());
  ASSERT_EQ(source_.connectors_alive, 1);
  // Idle past connector_idle (60 min): RunDue closes it (and may open a new
  // one if the connection is due by then).
  clock_.Advance(std::chrono::minutes(61));
  ASSERT_TRUE(runner_->RunDue().ok());
  EXPECT_EQ(source_.connectors_created - source_.connectors_alive, 1);
  ASSERT_TRUE(Run().ok());
  ASSERT_EQ(source_.connectors_alive, 1);
  ASSERT_TRUE(service_->Delete(who_, connection_.meta.id).ok());
  clock_.Advance(std::chrono::minutes(2));  // the sweep runs at most once a minute
  ASSERT_TRUE(runner_->RunDue().ok());
  EXPECT_EQ(source_.connectors_alive, 0);
  EXPECT_EQ(runner_->kept_connectors(), 0u);
}

// Deleting a connection removes what it kept (pending hints, cursors, its
// connector's references) and nothing else: the records stay, as Relance's
// own.
TEST_P(SyncEngineTest, DeletingAConnectionKeepsTheRecordsAndDropsItsState) {
  if (!db_) return;
  ASSERT_TRUE(Run().ok());
  auto count = [&](const std::string& table) -> int64_t {
    auto c = db_->db().Acquire();
    store::SqlValue params[] = {who_.org_id};
    auto rows = (*c)->Query("SELECT COUNT(*) FROM " + table + " WHERE org_id = ?", params);
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? (*rows)[0].Int(0) : -1;
  };
  {
    auto c = db_->db().Acquire();
    ASSERT_TRUE(store::InsertInbox(**c, who_.org_id, connection_.meta.id,
                                   {"hint_1", "client", "C1", "updated", 0},
                                   "2026-02-10T10:00:00Z")
                    .ok());
  }
  ASSERT_GT(count("external_refs"), 0);
  ASSERT_GT(count("sync_cursors"), 0);
  ASSERT_EQ(count("sync_inbox"), 1);
  ASSERT_TRUE(service_->Delete(who_, connection_.meta.id).ok());
  EXPECT_EQ(count("external_refs"), 0);
  EXPECT_EQ(count("sync_cursors"), 0);
  EXPECT_EQ(count("sync_inbox"), 0);
  EXPECT_EQ(count("sync_connections"), 0);
  EXPECT_EQ(All<domain::Customer>().size(), 3u);
  EXPECT_EQ(All<domain::Invoice>().size(), 2u);
}

// A run that writes thousands of records into tables that were nearly
// empty brings the planner's statistics up to date as it goes (on
// PostgreSQL: ANALYZE, counted in pg_stat_user_tables.analyze_count; never
// autovacuum's, which has a count of its own); a small run does not.
TEST_P(SyncEngineTest, ALargeRunRefreshesThePlannerStatistics) {
  if (!db_) return;
  auto analyzed = [&]() -> int64_t {
    auto c = db_->db().Acquire();
    auto rows = (*c)->Query(
        db_->dialect() == store::Dialect::kPostgres
            ? "SELECT analyze_count FROM pg_stat_user_tables WHERE relid = 'customers'::regclass"
            : "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'");
    EXPECT_TRUE(rows.ok()) << rows.error().ToString();
    return rows.ok() ? rows->at(0).Int(0) : -1;
  };
  ASSERT_TRUE(Run().ok());
  EXPECT_EQ(analyzed(), 0);
  for (int i = 0; i < 2100; ++i) {
    source_.Put("customers", FakeCustomer("N" + std::to_string(i), "New " + std::to_string(i)));
  }
  auto run = Run(true);
  ASSERT_TRUE(run.ok()) << run.error().ToString();
  EXPECT_EQ(run->stats.created, 2100);
  EXPECT_EQ(analyzed(), db_->dialect() == store::Dialect::kPostgres ? 1 : 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, SyncEngineTest, ::testing::Values("sqlite", "postgres"),
                         test::BackendName());

}  // namespace
}  // namespace relance::sync
