// R-DUN-4 with the real binary: `relance serve` is killed (SIGKILL) at
// random moments while it sends a batch of reminders to the SMTP sink, then
// restarted, again and again; at the end every due reminder reached the SMTP
// server exactly once — or, for a kill that fell between the server's
// acceptance and Relance's record of it, at most once and shown UNCERTAIN in
// the to-do list. No message ever arrives twice.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <thread>

#include "core/clock.h"
#include "integration/subprocess.h"
#include "services/auth_service.h"
#include "services/record_service.h"
#include "store/migrations/migrations.h"

namespace relance::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr int kCustomers = 60;

class DunningCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("relance-dunning-crash-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    sink_ = Subprocess::Start({"/usr/bin/python3",
                               std::string(RELANCE_SOURCE_TREE) + "/tests/emulators/smtp/smtp_sink.py",
                               "--smtp-port", "0", "--control-port", "0"});
    ASSERT_TRUE(sink_);
    auto line = sink_->WaitForStdoutLine("control", 20s);
    ASSERT_TRUE(line) << sink_->err();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(*line, m, std::regex(R"(smtp (\S+) control http://(\S+):(\d+))")));
    smtp_url_ = "smtp://" + m[1].str();
    control_ = std::make_unique<httplib::Client>(m[2].str(), std::stoi(m[3].str()));
    // Slow replies to DATA so that kills land in the middle of the batch.
    auto r = control_->Post("/faults", R"({"delay_ms": 40})", "application/json");
    ASSERT_TRUE(r && r->status == 200);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string db_path() const { return (dir_ / "relance.db").string(); }

  // One organization, a plan whose e-mail step is due today, kCustomers
  // customers each with a contact and an overdue invoice.
  void Seed() {
    auto db = store::OpenDatabase(db_path(), 2);
    ASSERT_TRUE(db.ok()) << db.error().ToString();
    ASSERT_TRUE(store::ApplyMigrations(**db).ok());
    SystemClock clock;
    services::Context ctx{**db, clock};
    services::AuthService auth(ctx, services::PasswordCost::kMinimum);
    auto org = auth.CreateOrganization({"Acme", "UTC"});
    ASSERT_TRUE(org.ok()) << org.error().ToString();
    auto user = auth.CreateUser(org->meta.id, {"admin@acme.test", "Admin", "ADMIN",
                                               "correct horse battery", std::nullopt});
    ASSERT_TRUE(user.ok());
    services::Principal who{org->meta.id, user->meta.id, "ADMIN"};
    // Send hour 0: anything due today is due now, whatever the time of the run.
    services::RecordService<domain::Organization> orgs(ctx);
    ASSERT_TRUE(orgs.Update(who, org->meta.id,
                            {{"email", std::string("relances@acme.test")}, {"send_hour", int64_t{0}}})
                    .ok());
    services::RecordService<domain::DunningPlan> plans(ctx);
    auto plan = plans.Create(who, {{"name", std::string("Standard")}});
    ASSERT_TRUE(plan.ok());
    services::RecordService<domain::DunningStep> steps(ctx);
    ASSERT_TRUE(steps.Create(who, {{"plan_id", plan->meta.id}, {"offset_days", int64_t{0}}}).ok());
    services::RecordService<domain::Customer> customers(ctx);
    services::RecordService<domain::Contact> contacts(ctx);
    services::RecordService<domain::Invoice> invoices(ctx);
    auto today = TodayIn("UTC", clock.Now());
    ASSERT_TRUE(today.ok());
    // A weekday due date in the past, so that its step is due on any day.
    Date due = today->AddDays(-7);
    while (due.IsWeekend()) due = due.AddDays(-1);
    for (int i = 0; i < kCustomers; ++i) {
      auto c = customers.Create(who, {{"name", "Client " + std::to_string(i)},
                                      {"dunning_plan_id", plan->meta.id}});
      ASSERT_TRUE(c.ok()) << c.error().ToString();
      ASSERT_TRUE(contacts
                      .Create(who, {{"customer_id", c->meta.id},
                                    {"email", "ap" + std::to_string(i) + "@client.test"},
                                    {"is_main", true}})
                      .ok());
      ASSERT_TRUE(invoices
                      .Create(who, {{"customer_id", c->meta.id},
                                    {"number", "F-" + std::to_string(i)},
                                    {"issue_date", due.AddDays(-30)},
                                    {"printed_due_date", due},
                                    {"gross_amount", int64_t{10000 + i}}})
                      .ok());
    }
  }

  std::unique_ptr<Subprocess> Serve() {
    return Subprocess::Start({RELANCE_BINARY, "serve", "--db", db_path(), "--host", "127.0.0.1",
                              "--port", "0", "--data-dir", (dir_ / "data").string(),
                              "--log-level", "warn", "--smtp-url", smtp_url_,
                              "--dunning-interval-seconds", "1", "--dunning-lease-seconds", "2"});
  }

  // The actions by status, read from the database file.
  std::map<std::string, std::vector<domain::Action>> ActionsByStatus() {
    std::map<std::string, std::vector<domain::Action>> out;
    auto db = store::OpenDatabase(db_path(), 1);
    EXPECT_TRUE(db.ok());
    if (!db.ok()) return out;
    auto conn = (*db)->Acquire();
    EXPECT_TRUE(conn.ok());
    auto rows = (*conn)->Query("SELECT org_id FROM organizations");
    EXPECT_TRUE(rows.ok() && rows->size() == 1);
    if (!rows.ok() || rows->empty()) return out;
    store::RecordRepository<domain::Action> repo(domain::ActionSpec());
    auto all = repo.FindAll(**conn, rows->at(0).Text(0), {});
    EXPECT_TRUE(all.ok());
    for (auto& a : *all) out[a.status].push_back(std::move(a));
    return out;
  }

  fs::path dir_;
  std::unique_ptr<Subprocess> sink_;
  std::unique_ptr<httplib::Client> control_;
  std::string smtp_url_;
};

TEST_F(DunningCrashTest, EveryDueReminderReachesTheSmtpServerOnce) {
  ASSERT_NO_FATAL_FAILURE(Seed());
  std::mt19937 rng(20261201);
  std::uniform_int_distribution<int> pause_ms(300, 1500);
  for (int kill = 0; kill < 6; ++kill) {
    auto serve = Serve();
    ASSERT_TRUE(serve);
    ASSERT_TRUE(serve->WaitForStdoutLine("Relance is serving", 60s)) << serve->err();
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    serve->Signal(SIGKILL);
    serve->Wait(10s);
  }
  // The last start runs to the end: leases of the killed runs expire (2 s),
  // interrupted sends are retried or set aside, the rest goes out.
  auto serve = Serve();
  ASSERT_TRUE(serve);
  ASSERT_TRUE(serve->WaitForStdoutLine("Relance is serving", 60s)) << serve->err();
  std::map<std::string, std::vector<domain::Action>> by_status;
  for (int i = 0; i < 120; ++i) {
    std::this_thread::sleep_for(500ms);
    by_status = ActionsByStatus();
    if (by_status["SENT"].size() + by_status["UNCERTAIN"].size() == kCustomers) break;
  }
  serve->Signal(SIGTERM);
  EXPECT_EQ(serve->Wait(30s), 0) << serve->err();

  const auto& sent = by_status["SENT"];
  const auto& uncertain = by_status["UNCERTAIN"];
  ASSERT_EQ(sent.size() + uncertain.size(), static_cast<size_t>(kCustomers))
      << "SCHEDULED " << by_status["SCHEDULED"].size() << ", SENDING " << by_status["SENDING"].size()
      << ", COMMITTING " << by_status["COMMITTING"].size() << ", FAILED "
      << by_status["FAILED"].size() << ", TODO " << by_status["TODO"].size();
  auto count = control_->Get("/count");
  ASSERT_TRUE(count && count->status == 200);
  json c = json::parse(count->body);
  EXPECT_TRUE(c["duplicate_message_ids"].empty()) << c.dump();
  EXPECT_EQ(c["count"], c["distinct_message_ids"]) << c.dump();
  auto times_received = [&](const std::string& message_id) -> int {
    std::string query;
    for (char ch : "<" + message_id + ">") {
      static const char* kHex = "0123456789ABCDEF";
      if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-') {
        query += ch;
      } else {
        query += '%';
        query += kHex[(static_cast<unsigned char>(ch) >> 4) & 0xF];
        query += kHex[static_cast<unsigned char>(ch) & 0xF];
      }
    }
    auto r = control_->Get("/messages?message_id=" + query);
    EXPECT_TRUE(r && r->status == 200);
    if (!r) return -1;
    const json body = json::parse(r->body);
    return body.at("count").get<int>();
  };
  for (const auto& a : sent) {
    ASSERT_TRUE(a.message_id);
    EXPECT_EQ(times_received(*a.message_id), 1) << a.meta.id;
  }
  for (const auto& a : uncertain) {
    EXPECT_LE(times_received(a.meta.id + "@acme.test"), 1) << a.meta.id;
  }
  EXPECT_LE(c["count"].get<size_t>(), static_cast<size_t>(kCustomers));
  std::cerr << "dunning crash test: " << sent.size() << " sent, " << uncertain.size()
            << " uncertain after 6 kills; the SMTP server holds " << c["count"] << " messages\n";
}

}  // namespace
}  // namespace relance::test
