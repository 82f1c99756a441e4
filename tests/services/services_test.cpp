// The write path of SPEC §1 through the services, run unchanged against
// SQLite and a real PostgreSQL server (the store contract).
#include <gtest/gtest.h>

#include <thread>

#include "core/clock.h"
#include "services/allocation_service.h"
#include "services/auth_service.h"
#include "services/customer_groups.h"
#include "services/record_service.h"
#include "store/external_refs.h"
#include "store/migrations/migrations.h"
#include "store/test_databases.h"

namespace relance::services {
namespace {

using domain::Contact;
using domain::Customer;
using domain::FieldValue;
using domain::Invoice;

Timestamp At(const char* text) { return *ParseTimestamp(text); }

class ServicesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    test_db_ = test::TestDatabase::Open(GetParam());
    if (!test_db_) return;  // skipped (no PostgreSQL server given) or failed
    db_ = &test_db_->db();
    ASSERT_TRUE(store::ApplyMigrations(*db_).ok());
    ctx_ = std::make_unique<Context>(Context{*db_, clock_});
    auth_ = std::make_unique<AuthService>(*ctx_, PasswordCost::kMinimum);
    admin_ = NewOrg("Acme");
  }

  Principal NewOrg(const std::string& name, const std::string& role = "ADMIN") {
    auto org = auth_->CreateOrganization({name});
    EXPECT_TRUE(org.ok()) << org.error().ToString();
    auto user = auth_->CreateUser(org->meta.id, {name + std::to_string(++users_) + "@example.com",
                                                 "Someone", role, "correct horse battery", std::nullopt});
    EXPECT_TRUE(user.ok()) << user.error().ToString();
    return Principal{org->meta.id, user->meta.id, role};
  }

  RecordService<Customer> customers() { return RecordService<Customer>(*ctx_); }
  RecordService<Contact> contacts() { return RecordService<Contact>(*ctx_); }
  RecordService<Invoice> invoices() { return RecordService<Invoice>(*ctx_); }

  Customer MakeCustomer(const std::string& name, std::vector<FieldAssignment> more = {}) {
    more.push_back({"name", name});
    auto c = customers().Create(admin_, more);
    EXPECT_TRUE(c.ok()) << c.error().ToString();
    return c.ok() ? *c : Customer{};
  }

  Invoice MakeInvoice(const std::string& customer_id, const std::string& number, int64_t gross,
                      const char* issue, std::vector<FieldAssignment> more = {}) {
    more.push_back({"customer_id", customer_id});
    more.push_back({"number", number});
    more.push_back({"gross_amount", gross});
    more.push_back({"net_amount", gross});
    more.push_back({"issue_date", *Date::Parse(issue)});
    auto i = invoices().Create(admin_, more);
    EXPECT_TRUE(i.ok()) << i.error().ToString();
    return i.ok() ? *i : Invoice{};
  }

  int64_t CountCustomers(const Principal& p) {
    store::ListQuery q;
    q.limit = 1000;
    return static_cast<int64_t>(customers().List(p, q)->items.size());
  }

  FakeClock clock_{At("2026-03-10T08:00:00Z")};
  std::unique_ptr<test::TestDatabase> test_db_;
  store::Database* db_ = nullptr;
  std::unique_ptr<Context> ctx_;
  std::unique_ptr<AuthService> auth_;
  Principal admin_;
  int users_ = 0;
};

TEST_P(ServicesTest, RCore1_AnotherOrganizationsRecordIsNotFound) {
  Customer mine = MakeCustomer("Dupont SA");
  Principal other = NewOrg("Other");
  auto got = customers().Get(other, mine.meta.id);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(CountCustomers(other), 0);
  auto changed = customers().Update(other, mine.meta.id, {{"name", std::string("Hijacked")}});
  EXPECT_EQ(changed.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(customers().Get(admin_, mine.meta.id)->name, "Dupont SA");
}

TEST_P(ServicesTest, RCore2_NameIsTheKeyWithoutExternalId) {
  MakeCustomer("Martin");
  auto twin = customers().Create(admin_, {{"name", std::string("Martin")}});
  ASSERT_FALSE(twin.ok());
  EXPECT_EQ(twin.error().code(), ErrorCode::kAlreadyExists);
  // With external ids, two customers may share a name.
  EXPECT_TRUE(customers().Create(admin_, {{"name", std::string("Martin")},
                                          {"external_id", std::string("C-2")}}).ok());
  auto dup = customers().Create(admin_, {{"name", std::string("Other")},
                                         {"external_id", std::string("C-2")}});
  EXPECT_EQ(dup.error().code(), ErrorCode::kAlreadyExists);
}

TEST_P(ServicesTest, RCore3_CustomerCannotBecomeItsOwnAncestor) {
  Customer group = MakeCustomer("Group");
  Customer child = MakeCustomer("Child", {{"parent_id", group.meta.id}});
  Customer grandchild = MakeCustomer("Grandchild", {{"parent_id", child.meta.id}});
  auto loop = customers().Update(admin_, group.meta.id, {{"parent_id", grandchild.meta.id}});
  ASSERT_FALSE(loop.ok());
  EXPECT_EQ(loop.error().code(), ErrorCode::kInvalidArgument);
  ASSERT_FALSE(loop.error().details().empty());
  EXPECT_EQ(loop.error().details()[0].field, "parent_id");
  auto self = customers().Update(admin_, group.meta.id, {{"parent_id", group.meta.id}});
  EXPECT_FALSE(self.ok());
  Customer stored = *customers().Get(admin_, group.meta.id);
  EXPECT_FALSE(stored.parent_id.has_value());
  EXPECT_EQ(stored.meta.version, 1);
}

TEST_P(ServicesTest, RCore3_ParentViewCoversSubsidiariesInvoices) {
  Customer group = MakeCustomer("Group");
  Customer child = MakeCustomer("Child", {{"parent_id", group.meta.id}});
  Customer grandchild = MakeCustomer("Grandchild", {{"parent_id", child.meta.id}});
  MakeCustomer("Stranger");
  MakeInvoice(child.meta.id, "F1", 100, "2026-03-01");
  MakeInvoice(grandchild.meta.id, "F2", 100, "2026-03-01");
  auto family = CustomerAndSubsidiaries(*ctx_, admin_, group.meta.id);
  ASSERT_TRUE(family.ok());
  EXPECT_EQ(family->size(), 3u);
  store::ListQuery q;
  store::Condition in{"customer_id", store::Condition::Op::kIn, {}};
  for (const auto& id : *family) in.values.push_back(id);
  q.conditions = {in};
  auto page = invoices().List(admin_, q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 2u);
  // Each invoice still belongs to the child that owns it.
  EXPECT_EQ(page->items[0].customer_id, child.meta.id);
}

TEST_P(ServicesTest, RCore4_NewMainContactClearsThePreviousOne) {
  Customer c = MakeCustomer("Durand");
  auto first = contacts().Create(admin_, {{"customer_id", c.meta.id},
                                          {"email", std::string("a@durand.fr")},
                                          {"is_main", true}});
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  auto second = contacts().Create(admin_, {{"customer_id", c.meta.id},
                                           {"email", std::string("b@durand.fr")},
                                           {"is_main", true}});
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(contacts().Get(admin_, first->meta.id)->is_main);
  EXPECT_TRUE(contacts().Get(admin_, second->meta.id)->is_main);
  // A customer may have no main contact at all.
  EXPECT_TRUE(contacts().Update(admin_, second->meta.id, {{"is_main", false}}).ok());
}

TEST_P(ServicesTest, RCore4_ContactWithoutEmailIsRefused) {
  Customer c = MakeCustomer("Durand");
  auto bad = contacts().Create(admin_, {{"customer_id", c.meta.id}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().details().at(0).field, "email");
}

TEST_P(ServicesTest, RCore8_DueDateRules) {
  Customer with_delay = MakeCustomer("Delay45", {{"payment_delay_days", int64_t{45}}});
  Customer plain = MakeCustomer("Plain");
  // Printed date wins.
  EXPECT_EQ(MakeInvoice(plain.meta.id, "F1", 100, "2026-01-10",
                        {{"printed_due_date", *Date::Parse("2026-01-20")}})
                .due_date.ToString(),
            "2026-01-20");
  // On receipt: the issue date, never a delay.
  EXPECT_EQ(MakeInvoice(with_delay.meta.id, "F2", 100, "2026-01-10",
                        {{"payable_on_receipt", true}})
                .due_date.ToString(),
            "2026-01-10");
  // Customer's delay, else the organization's (30 days by default).
  EXPECT_EQ(MakeInvoice(with_delay.meta.id, "F3", 100, "2026-01-10").due_date.ToString(),
            "2026-02-24");
  EXPECT_EQ(MakeInvoice(plain.meta.id, "F4", 100, "2026-01-10").due_date.ToString(),
            "2026-02-09");
}

TEST_P(ServicesTest, RCore7_StatusFollowsTodayInTheOrganizationsTimeZone) {
  Customer c = MakeCustomer("Tz");
  // Due 2026-03-10. At 23:30 UTC on the 10th it is already the 11th in Paris.
  MakeInvoice(c.meta.id, "F1", 100, "2026-03-01", {{"printed_due_date", *Date::Parse("2026-03-10")}});
  auto overdue_count = [&] {
    auto conds = InvoiceStatusConditions(*ctx_, admin_, "OVERDUE");
    EXPECT_TRUE(conds.ok());
    store::ListQuery q;
    q.conditions = *conds;
    return invoices().List(admin_, q)->items.size();
  };
  clock_.Set(At("2026-03-10T22:30:00Z"));  // 23:30 in Paris: still the 10th
  EXPECT_EQ(overdue_count(), 0u);
  clock_.Set(At("2026-03-10T23:30:00Z"));  // 00:30 on the 11th in Paris
  EXPECT_EQ(overdue_count(), 1u);
  EXPECT_FALSE(InvoiceStatusConditions(*ctx_, admin_, "LATE").ok());
}

TEST_P(ServicesTest, RCore6_PartialPaymentLeavesTheRestOutstanding) {
  Customer c = MakeCustomer("Payer");
  Invoice inv = MakeInvoice(c.meta.id, "F1", 10000, "2026-03-01");
  AllocationService alloc(*ctx_);
  auto paid = alloc.CreatePayment(admin_,
                                  {{"amount", int64_t{4000}}, {"date", *Date::Parse("2026-03-05")}},
                                  {{inv.meta.id, 4000}});
  ASSERT_TRUE(paid.ok()) << paid.error().ToString();
  EXPECT_EQ(paid->payment.unallocated_amount, 0);
  EXPECT_EQ(invoices().Get(admin_, inv.meta.id)->outstanding_amount, 6000);
}

TEST_P(ServicesTest, RCore6_AllocationAboveWhatIsOwedWritesNothing) {
  Customer c = MakeCustomer("Payer");
  Invoice a = MakeInvoice(c.meta.id, "F1", 1000, "2026-03-01");
  Invoice b = MakeInvoice(c.meta.id, "F2", 1000, "2026-03-01");
  AllocationService alloc(*ctx_);
  auto r = alloc.CreatePayment(admin_,
                               {{"amount", int64_t{3000}}, {"date", *Date::Parse("2026-03-05")}},
                               {{a.meta.id, 1000}, {b.meta.id, 1500}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details().at(0).field, "allocations[1].amount");
  // Nothing half-written: the first allocation and the payment are gone too.
  EXPECT_EQ(invoices().Get(admin_, a.meta.id)->outstanding_amount, 1000);
  store::ListQuery q;
  EXPECT_TRUE(RecordService<domain::Payment>(*ctx_).List(admin_, q)->items.empty());
}

TEST_P(ServicesTest, RCore5_CreditNoteReducesWhatTheInvoiceOwes) {
  Customer c = MakeCustomer("Avoir");
  Invoice inv = MakeInvoice(c.meta.id, "F1", 1000, "2026-03-01");
  Invoice credit = MakeInvoice(c.meta.id, "A1", 300, "2026-03-02",
                               {{"kind", std::string("CREDIT_NOTE")}});
  EXPECT_EQ(credit.meta.id.substr(0, 4), "crn_");
  AllocationService alloc(*ctx_);
  auto a = alloc.Allocate(admin_, "CREDIT_NOTE", credit.meta.id, {inv.meta.id, 300});
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  EXPECT_EQ(invoices().Get(admin_, inv.meta.id)->outstanding_amount, 700);
  EXPECT_EQ(invoices().Get(admin_, credit.meta.id)->outstanding_amount, 0);
  // Nothing left on the credit note to give.
  EXPECT_FALSE(alloc.Allocate(admin_, "CREDIT_NOTE", credit.meta.id, {inv.meta.id, 1}).ok());
  ASSERT_TRUE(alloc.Deallocate(admin_, a->meta.id).ok());
  EXPECT_EQ(invoices().Get(admin_, inv.meta.id)->outstanding_amount, 1000);
  EXPECT_EQ(invoices().Get(admin_, credit.meta.id)->outstanding_amount, 300);
}

TEST_P(ServicesTest, StaleVersionIsAConflictNotALostUpdate) {
  Customer c = MakeCustomer("Versioned");
  ASSERT_TRUE(customers().Update(admin_, c.meta.id, {{"city", std::string("Lyon")}}, 1).ok());
  auto stale = customers().Update(admin_, c.meta.id, {{"city", std::string("Nantes")}}, 1);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code(), ErrorCode::kConflict);
  EXPECT_EQ(customers().Get(admin_, c.meta.id)->city, "Lyon");
}

TEST_P(ServicesTest, ConcurrentEditorsNeverLoseAnUpdate) {
  Customer c = MakeCustomer("Busy");
  // Each thread increments a counter in custom_fields by read-modify-write
  // with If-Match; retries on conflict. The final count must be exact.
  constexpr int kThreads = 4, kEach = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach;) {
        Customer cur = *customers().Get(admin_, c.meta.id);
        int n = cur.payment_delay_days.value_or(0);
        auto r = customers().Update(admin_, c.meta.id, {{"payment_delay_days", int64_t{n + 1}}},
                                    cur.meta.version);
        if (r.ok()) ++i;
        else ASSERT_EQ(r.error().code(), ErrorCode::kConflict) << r.error().ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(customers().Get(admin_, c.meta.id)->payment_delay_days, kThreads * kEach);
}

TEST_P(ServicesTest, RSellsy8_ConnectorOwnedFieldIsReadOnlyForUsers) {
  Customer c = MakeCustomer("Synced", {{"payment_delay_days", int64_t{30}}});
  domain::ExternalRef ref{"customer", c.meta.id, "sellsy", "12345", {}, {}, "sellsy",
                          {"payment_delay_days"}};
  ASSERT_TRUE(store::InTransaction(*db_, [&](store::Connection& conn) {
                return store::UpsertExternalRef(conn, admin_.org_id, ref);
              }).ok());
  auto r = customers().Update(admin_, c.meta.id, {{"payment_delay_days", int64_t{60}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kConflict);
  EXPECT_NE(r.error().message().find("sellsy"), std::string::npos);
  // Other fields stay editable; the connector itself may change its field.
  EXPECT_TRUE(customers().Update(admin_, c.meta.id, {{"city", std::string("Lille")}}).ok());
  Principal sync = admin_;
  sync.origin = "sellsy";
  EXPECT_TRUE(customers().Update(sync, c.meta.id, {{"payment_delay_days", int64_t{60}}}).ok());
}

TEST_P(ServicesTest, RCore1_ReadOnlyUsersCannotWrite) {
  Principal reader = admin_;
  reader.role = "READ_ONLY";
  auto r = customers().Create(reader, {{"name", std::string("Nope")}});
  EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(CountCustomers(admin_), 0);
}

TEST_P(ServicesTest, RSend1_NewInvoicesAreToSendWhileTheOrganizationSendsThem) {
  RecordService<domain::Organization> orgs(*ctx_);
  ASSERT_TRUE(orgs.Update(admin_, admin_.org_id, {{"send_invoices", true}}).ok());
  Customer c = MakeCustomer("Sent");
  EXPECT_TRUE(MakeInvoice(c.meta.id, "F1", 100, "2026-03-01").to_send);
}

TEST_P(ServicesTest, BadFieldsAreAllReportedAndNothingIsWritten) {
  auto r = customers().Create(admin_, {{"nickname", std::string("x")},
                                       {"country", std::string("France")},
                                       {"payment_delay_days", std::string("30")}});
  ASSERT_FALSE(r.ok());
  std::vector<std::string> fields;
  for (const auto& d : r.error().details()) fields.push_back(d.field);
  EXPECT_NE(std::find(fields.begin(), fields.end(), "nickname"), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "payment_delay_days"), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "name"), fields.end());
  EXPECT_EQ(CountCustomers(admin_), 0);
}

TEST_P(ServicesTest, CustomerWithInvoicesCannotBeDeleted) {
  Customer c = MakeCustomer("Owes");
  MakeInvoice(c.meta.id, "F1", 100, "2026-03-01");
  auto r = customers().Delete(admin_, c.meta.id);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(customers().Get(admin_, c.meta.id).ok());
}

TEST_P(ServicesTest, PagesCoverEveryRecordOnceInSortOrder) {
  for (int i = 0; i < 25; ++i) {
    MakeCustomer("C" + std::to_string(100 + (i * 7) % 25), {{"external_id", "X" + std::to_string(i)}});
  }
  store::ListQuery q;
  q.sort = "name";
  q.descending = true;
  q.limit = 7;
  std::vector<std::string> names;
  for (;;) {
    auto page = customers().List(admin_, q);
    ASSERT_TRUE(page.ok()) << page.error().ToString();
    for (auto& c : page->items) names.push_back(c.name);
    if (!page->next_cursor) break;
    q.cursor = page->next_cursor;
  }
  ASSERT_EQ(names.size(), 25u);
  EXPECT_TRUE(std::is_sorted(names.rbegin(), names.rend()));
}

TEST_P(ServicesTest, TokensAndSessionsAuthenticate) {
  auto token = auth_->CreateToken(admin_.org_id, admin_.user_id, "ci");
  ASSERT_TRUE(token.ok());
  auto who = auth_->AuthenticateToken(token->token);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->org_id, admin_.org_id);
  ASSERT_TRUE(auth_->RevokeToken(admin_, token->id).ok());
  EXPECT_FALSE(auth_->AuthenticateToken(token->token).ok());
  auto user = auth_->GetUser(admin_.org_id, admin_.user_id);
  auto session = auth_->Login(user->email, "correct horse battery");
  ASSERT_TRUE(session.ok()) << session.error().ToString();
  EXPECT_TRUE(auth_->AuthenticateSession(session->session_id).ok());
  EXPECT_FALSE(auth_->Login(user->email, "wrong password!!").ok());
  ASSERT_TRUE(auth_->Logout(session->session_id).ok());
  EXPECT_FALSE(auth_->AuthenticateSession(session->session_id).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, ServicesTest, ::testing::Values("sqlite", "postgres"),
                         test::BackendName());

}  // namespace
}  // namespace relance::services
