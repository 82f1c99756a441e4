// The pure planner (src/dunning/planner.h): which actions are due at a
// moment, for one customer. Times are Europe/Paris, send hour 9.
#include "dunning/planner.h"

#include <gtest/gtest.h>

#include "core/business_calendar.h"

namespace relance::dunning {
namespace {

Date D(const char* s) { return *Date::Parse(s); }
Timestamp T(const char* s) { return *ParseTimestamp(s); }

class PlannerTest : public ::testing::Test {
 protected:
  PlanningMoment At(const char* instant) {
    PlanningMoment m{{"Europe/Paris", 9, holidays_}, T(instant), {}, {}};
    m.today = *TodayIn("Europe/Paris", m.now);
    return m;
  }
  static StepView Reminder(std::string id, int64_t offset, bool manual = false,
                           std::string channel = "EMAIL") {
    return {std::move(id), "REMINDER", std::move(channel), "DUE_DATE", offset, manual, {}};
  }
  static InvoiceView Invoice(std::string id, const char* issue, const char* due,
                             int64_t outstanding = 10000) {
    InvoiceView v;
    v.id = std::move(id);
    v.issue_date = D(issue);
    v.due_date = D(due);
    v.outstanding = outstanding;
    v.created_at = T("2026-01-01T00:00:00Z");
    return v;
  }
  std::vector<PlannedAction> Plan(const char* at) {
    auto r = PlanCustomer(At(at), plan_, customer_, invoices_, actions_);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return r.ok() ? *r : std::vector<PlannedAction>{};
  }
  void Decided(const std::string& key, const char* status, const char* when,
               std::string channel = "EMAIL") {
    actions_.push_back({key, "REMINDER", std::move(channel), status, T(when)});
  }

  std::string holidays_;
  PlanView plan_{"dpl_1", true, 0, {Reminder("s1", 5), Reminder("s2", 15), Reminder("s3", 30)}};
  CustomerView customer_{"cus_1", "dpl_1", {}, std::string("usr_owner")};
  std::vector<InvoiceView> invoices_;
  std::vector<ActionView> actions_;
};

// R-DUN-4: a step fires at the send hour of its trigger day, not before.
TEST_F(PlannerTest, StepFiresAtTheSendHourOfItsDay) {
  invoices_ = {Invoice("inv_a", "2026-01-02", "2026-02-02")};  // +5 = Sat 7 Feb -> Mon 9 Feb
  EXPECT_TRUE(Plan("2026-02-09T07:59:00Z").empty());  // 08:59 in Paris
  auto due = Plan("2026-02-09T08:00:00Z");
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].step_id, "s1");
  EXPECT_EQ(due[0].dedupe_key, "R:s1:inv_a");
  EXPECT_EQ(FormatTimestamp(due[0].due_at), "2026-02-09T08:00:00.000000Z");
  EXPECT_EQ(due[0].owner_id, "usr_owner");
  EXPECT_FALSE(due[0].manual);
}

// R-SEND-6 / R-DUN-4: a weekend day moves to Monday; a French public holiday
// moves to the next business day when the organization uses that calendar.
TEST_F(PlannerTest, WeekendsAndHolidaysMoveToTheNextBusinessDay) {
  EXPECT_EQ(NextBusinessDay(D("2026-05-01"), "FR"), D("2026-05-04"));  // Fri 1 May
  EXPECT_EQ(NextBusinessDay(D("2026-05-01"), ""), D("2026-05-01"));
  EXPECT_EQ(EasterSunday(2026), D("2026-04-05"));
  EXPECT_TRUE(IsPublicHoliday(D("2026-04-06"), "FR"));  // Easter Monday
  EXPECT_TRUE(IsPublicHoliday(D("2026-05-14"), "FR"));  // Ascension
  EXPECT_TRUE(IsPublicHoliday(D("2026-05-25"), "FR"));  // Whit Monday
  EXPECT_FALSE(IsPublicHoliday(D("2026-05-26"), "FR"));
  holidays_ = "FR";
  invoices_ = {Invoice("inv_a", "2026-03-26", "2026-04-26")};  // +5 = Fri 1 May
  EXPECT_TRUE(Plan("2026-05-01T12:00:00Z").empty());
  EXPECT_EQ(Plan("2026-05-04T07:00:00Z").size(), 1u);  // 09:00 Paris (summer time)
}

// R-DUN-4 catch-up: after downtime the latest passed step is done, once.
TEST_F(PlannerTest, CatchesUpWithTheLatestPassedStep) {
  invoices_ = {Invoice("inv_a", "2026-01-02", "2026-02-02")};
  auto due = Plan("2026-02-20T10:00:00Z");  // s1 (9 Feb) and s2 (17 Feb) passed
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].step_id, "s2");
  Decided("R:s2:inv_a", "SENT", "2026-02-20T10:00:00Z");
  EXPECT_TRUE(Plan("2026-02-21T10:00:00Z").empty());  // s1 never comes back
  EXPECT_EQ(Plan("2026-03-04T08:00:00Z").at(0).step_id, "s3");
}

// R-DUN-1: a pending manual step is never jumped past.
TEST_F(PlannerTest, NeverJumpsPastAPendingManualStep) {
  plan_.steps = {Reminder("s1", 5), Reminder("call", 10, true, "CALL"), Reminder("s3", 20)};
  invoices_ = {Invoice("inv_a", "2026-01-02", "2026-02-02")};
  auto due = Plan("2026-03-02T10:00:00Z");  // all three passed
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].step_id, "call");
  EXPECT_TRUE(due[0].manual);
  EXPECT_EQ(due[0].category, "CALL");
  Decided("R:call:inv_a", "TODO", "2026-03-02T10:00:00Z", "CALL");
  EXPECT_TRUE(Plan("2026-03-03T10:00:00Z").empty());
  actions_.back().status = "DONE";
  EXPECT_EQ(Plan("2026-03-03T10:00:00Z").at(0).step_id, "s3");
}

// R-DUN-1: two contacts of one customer are min_delay_days apart.
TEST_F(PlannerTest, RespectsTheMinimumDelayBetweenContacts) {
  plan_.min_delay_days = 10;
  invoices_ = {Invoice("inv_a", "2026-01-02", "2026-02-02")};
  Decided("R:s1:inv_a", "SENT", "2026-02-09T08:00:00Z");
  EXPECT_TRUE(Plan("2026-02-17T10:00:00Z").empty());  // s2 is due, but 8 days only
  auto due = Plan("2026-02-19T08:00:00Z");             // 9 Feb + 10 = 19 Feb, 09:00
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].step_id, "s2");
}

// R-DUN-2: a customer-level plan sends one reminder for all the overdue
// invoices, paced by the oldest; when it is paid, the next one carries on.
TEST_F(PlannerTest, CustomerLevelFollowsTheCarryingInvoice) {
  invoices_ = {Invoice("inv_new", "2026-01-20", "2026-02-20"),
               Invoice("inv_old", "2026-01-02", "2026-02-02")};
  auto due = Plan("2026-02-23T10:00:00Z");  // old: s2 passed (17 Feb); new: not yet due +5
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].invoice_id, "inv_old");
  EXPECT_EQ(due[0].step_id, "s2");
  EXPECT_EQ(due[0].invoice_ids, (std::vector<std::string>{"inv_old", "inv_new"}));
  Decided("R:s2:inv_old", "SENT", "2026-02-23T10:00:00Z");
  invoices_[1].outstanding = 0;  // the old one is paid
  due = Plan("2026-02-26T10:00:00Z");
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].invoice_id, "inv_new");
  EXPECT_EQ(due[0].step_id, "s1");
}

// R-DUN-2: an invoice-level plan follows each invoice alone.
TEST_F(PlannerTest, InvoiceLevelFollowsEachInvoice) {
  plan_.customer_level = false;
  invoices_ = {Invoice("inv_a", "2026-01-02", "2026-02-02"),
               Invoice("inv_b", "2026-01-05", "2026-02-05")};
  auto due = Plan("2026-02-11T10:00:00Z");
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].dedupe_key, "R:s1:inv_a");
  EXPECT_EQ(due[1].dedupe_key, "R:s1:inv_b");
}

// R-DUN-5, R-SEND-2: no reminder for paid, TO_SEND, disputed, on-hold or
// promised invoices, nor for a paused customer; it resumes afterwards.
TEST_F(PlannerTest, StopsWhileAnInvoiceIsNotToBeChased) {
  invoices_ = {Invoice("inv_a", "2026-01-02", "2026-02-02")};
  const char* at = "2026-02-11T10:00:00Z";
  invoices_[0].outstanding = 0;
  EXPECT_TRUE(Plan(at).empty());
  invoices_[0].outstanding = 100;
  invoices_[0].to_send = true;
  EXPECT_TRUE(Plan(at).empty());
  invoices_[0].to_send = false;
  invoices_[0].disputed = true;
  EXPECT_TRUE(Plan(at).empty());
  invoices_[0].disputed = false;
  invoices_[0].on_hold = true;
  EXPECT_TRUE(Plan(at).empty());
  invoices_[0].on_hold = false;
  invoices_[0].promise_until = D("2026-02-11");
  EXPECT_TRUE(Plan(at).empty());
  EXPECT_EQ(Plan("2026-02-12T10:00:00Z").size(), 1u);  // the promise has passed
  invoices_[0].promise_until.reset();
  customer_.paused_until = D("2026-02-15");
  EXPECT_TRUE(Plan(at).empty());
  customer_.paused_until.reset();
  EXPECT_EQ(Plan(at).size(), 1u);
}

// Nothing new while the cycle's last action waits for its outcome.
TEST_F(PlannerTest, WaitsWhileTheLastActionIsPending) {
  invoices_ = {Invoice("inv_a", "2026-01-02", "2026-02-02")};
  Decided("R:s1:inv_a", "SCHEDULED", "2026-02-09T08:00:00Z");
  EXPECT_TRUE(Plan("2026-02-20T10:00:00Z").empty());
  actions_.back().status = "UNCERTAIN";
  EXPECT_TRUE(Plan("2026-02-20T10:00:00Z").empty());
  actions_.back().status = "SENT";
  EXPECT_EQ(Plan("2026-02-20T10:00:00Z").at(0).step_id, "s2");
}

// R-SEND-3, R-SEND-6: delay 0 on arrival (or on the issue date when the
// invoice arrives earlier); delay >= 1 at the send hour on a business day.
TEST_F(PlannerTest, InvoicingActionsFollowTheDelay) {
  plan_.steps = {{"inv0", "INVOICING", "EMAIL", "ISSUE_DATE", 0, false, {}}};
  auto inv = Invoice("inv_a", "2026-03-06", "2026-04-05");
  inv.to_send = true;
  inv.created_at = T("2026-03-04T15:00:00Z");  // arrives two days early
  invoices_ = {inv};
  EXPECT_TRUE(Plan("2026-03-05T22:00:00Z").empty());
  auto due = Plan("2026-03-05T23:00:00Z");  // midnight in Paris on the issue date
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].dedupe_key, "S:inv0:inv_a");
  EXPECT_EQ(due[0].category, "INVOICING");

  invoices_[0].created_at = T("2026-03-09T15:00:00Z");  // arrives late: at once
  EXPECT_EQ(FormatTimestamp(Plan("2026-03-09T15:00:00Z").at(0).due_at),
            "2026-03-09T15:00:00.000000Z");

  plan_.steps = {{"inv2", "INVOICING", "EMAIL", "ISSUE_DATE", 2, false, {}}};
  invoices_[0].created_at = T("2026-03-06T09:00:00Z");
  EXPECT_TRUE(Plan("2026-03-08T12:00:00Z").empty());  // Sunday 8 -> Monday 9
  EXPECT_EQ(Plan("2026-03-09T08:00:00Z").size(), 1u);
  actions_.push_back({"S:inv2:inv_a", "INVOICING", "EMAIL", "SENT", T("2026-03-09T08:00:00Z")});
  EXPECT_TRUE(Plan("2026-03-10T08:00:00Z").empty());  // once
}

// R-SEND-4: an invoice-level plan carries no invoicing.
TEST_F(PlannerTest, InvoiceLevelPlansDoNotSendInvoices) {
  plan_.customer_level = false;
  plan_.steps = {{"inv0", "INVOICING", "EMAIL", "ISSUE_DATE", 0, false, {}}};
  auto inv = Invoice("inv_a", "2026-03-06", "2026-04-05");
  inv.to_send = true;
  invoices_ = {inv};
  EXPECT_TRUE(Plan("2026-03-09T10:00:00Z").empty());
}

}  // namespace
}  // namespace relance::dunning
