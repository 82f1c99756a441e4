// plan_day: the dunning benchmark of bench/plan.sh, on a database seeded by
// gen_invoices (one organization, 100,000 customers, 1,000,000 invoices).
//
//   plan_day --db LOCATION [--at RFC3339] [--runs 3] [--smtp smtp://HOST:PORT --send 2000]
//            [--dry-only]
//
// Setup (idempotent): two plans through the services — "Bench client"
// (customer level: e-mail 5 days before due, e-mails at +5 and +15, a
// manual call at +30, a letter at +45) and "Bench facture" (invoice level:
// e-mail at +3, SMS at +10) — half of the customers on each (by the last
// character of their id), and one main contact with an e-mail address per
// customer. Then it times PlanningService::Plan as a dry run `--runs`
// times (planning a day of the whole organization), once for real (storing
// the decided actions), and, with --smtp, sends the first `--send` due
// e-mails through the executor to that server. Prints one line of
// key=value figures on stdout; progress on stderr.

#include <chrono>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "bench/process_usage.h"
#include "core/clock.h"
#include "core/ids.h"
#include "delivery/smtp_sender.h"
#include "dunning/executor.h"
#include "dunning/planning_service.h"
#include "services/record_service.h"
#include "store/credentials.h"
#include "store/migrations/migrations.h"
#include "store/record_repository.h"

namespace relance::bench {
namespace {

constexpr std::string_view kAdminEmail = "bench@relance.test";

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}


Result<std::string> EnsurePlan(const services::Principal& who, services::Context ctx,
                               const std::string& name, const std::string& level,
                               const std::vector<std::vector<services::FieldAssignment>>& steps) {
  services::RecordService<domain::DunningPlan> plans(ctx);
  store::ListQuery q;
  q.conditions = {{"name", store::Condition::Op::kEq, name}};
  ASSIGN_OR_RETURN(auto found, plans.List(who, q));
  if (!found.items.empty()) return found.items[0].meta.id;
  ASSIGN_OR_RETURN(auto plan, plans.Create(who, {{"name", name}, {"level", level},
                                                 {"min_delay_days", int64_t{3}}}));
  services::RecordService<domain::DunningStep> step_service(ctx);
  for (auto fields : steps) {
    fields.push_back({"plan_id", plan.meta.id});
    ASSIGN_OR_RETURN(auto s, step_service.Create(who, fields));
    (void)s;
  }
  return plan.meta.id;
}

Result<void> Setup(services::Context ctx, const services::Principal& who) {
  using F = std::vector<services::FieldAssignment>;
  auto step = [](const char* channel, int64_t offset, const char* mode = "AUTOMATIC") {
    return F{{"channel", std::string(channel)}, {"offset_days", offset}, {"mode", std::string(mode)}};
  };
  ASSIGN_OR_RETURN(std::string client,
                   EnsurePlan(who, ctx, "Bench client", "CUSTOMER",
                              {step("EMAIL", -5), step("EMAIL", 5), step("EMAIL", 15),
                               step("CALL", 30, "MANUAL"), step("LETTER", 45)}));
  ASSIGN_OR_RETURN(std::string facture, EnsurePlan(who, ctx, "Bench facture", "INVOICE",
                                                   {step("EMAIL", 3), step("SMS", 10)}));
  services::RecordService<domain::Organization> orgs(ctx);
  ASSIGN_OR_RETURN(auto org, orgs.Update(who, who.org_id, {{"email", std::string("relances@bench.test")}}));
  (void)org;
  ASSIGN_OR_RETURN(auto conn, ctx.db.Acquire());
  store::Connection& c = *conn;
  // Half and half by the id's last (random) character.
  std::vector<store::SqlValue> p1 = {client, who.org_id};
  RETURN_IF_ERROR(c.Exec("UPDATE customers SET dunning_plan_id = ? WHERE org_id = ? AND "
                         "dunning_plan_id IS NULL AND substr(id, length(id), 1) < 'G'",
                         p1));
  std::vector<store::SqlValue> p2 = {facture, who.org_id};
  RETURN_IF_ERROR(c.Exec("UPDATE customers SET dunning_plan_id = ? WHERE org_id = ? AND "
                         "dunning_plan_id IS NULL",
                         p2));
  std::vector<store::SqlValue> p3 = {who.org_id};
  ASSIGN_OR_RETURN(auto n, c.Query("SELECT COUNT(*) FROM contacts WHERE org_id = ?", p3));
  if (n[0].Int(0) > 0) return Ok();
  std::cerr << "plan_day: adding one main contact per customer\n";
  ASSIGN_OR_RETURN(auto ids, c.Query("SELECT id FROM customers WHERE org_id = ? ORDER BY id", p3));
  store::RecordRepository<domain::Contact> repo(domain::ContactSpec());
  store::BulkWriter<domain::Contact> rows(repo);
  const Timestamp now = ctx.clock.Now();
  RETURN_IF_ERROR(c.Begin());
  int64_t i = 0;
  for (const auto& r : ids) {
    domain::Contact k;
    k.meta = {NewId(kContactPrefix, now), who.org_id, 1, FormatTimestamp(now), FormatTimestamp(now)};
    k.customer_id = r.Text(0);
    k.email = "compta" + std::to_string(i++) + "@client.bench.test";
    k.phone = "+336" + std::to_string(10000000 + i);
    k.position = "ACCOUNTING";
    k.is_main = true;
    RETURN_IF_ERROR(rows.Add(c, k));
  }
  RETURN_IF_ERROR(rows.Flush(c));
  return c.Commit();
}

struct Options {
  std::string db;
  std::string at;
  int runs = 3;
  std::string smtp;
  int send = 2000;
  bool dry_only = false;
};

Result<void> Run(const Options& o) {
  ASSIGN_OR_RETURN(auto db, store::OpenDatabase(o.db, 4));
  ASSIGN_OR_RETURN(auto applied, store::ApplyMigrations(*db));
  (void)applied;
  SystemClock clock;
  services::Context ctx{*db, clock};
  services::Principal who;
  {
    ASSIGN_OR_RETURN(auto conn, db->Acquire());
    ASSIGN_OR_RETURN(auto login, store::FindLoginByEmail(*conn, std::string(kAdminEmail)));
    if (!login) return NotFound("no bench organization: run gen_invoices first");
    who = {login->org_id, login->user_id, "ADMIN"};
  }
  auto start = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(Setup(ctx, who));
  std::cerr << "plan_day: setup " << SecondsSince(start) << " s\n";
  Timestamp at = clock.Now();
  if (!o.at.empty()) {
    ASSIGN_OR_RETURN(at, ParseTimestamp(o.at));
  }

  dunning::PlanningService planner(ctx);
  double best = 1e9, best_cpu = 1e9;
  dunning::PlanningReport report;
  for (int i = 0; i < o.runs; ++i) {
    start = std::chrono::steady_clock::now();
    const double cpu = CpuSeconds();
    ASSIGN_OR_RETURN(report, planner.Plan(who.org_id, at, {true, false}));
    best = std::min(best, SecondsSince(start));
    best_cpu = std::min(best_cpu, CpuSeconds() - cpu);
    std::cerr << "plan_day: dry run " << i + 1 << ": " << SecondsSince(start) << " s, "
              << report.decided << " actions\n";
  }
  std::cout << "customers=" << report.customers << " invoices=" << report.invoices
            << " decided=" << report.decided << " dry_run_s=" << best << " dry_run_cpu_s=" << best_cpu
            << " peak_rss_mb=" << PeakRssMb();
  if (o.dry_only) {
    std::cout << "\n";
    return Ok();
  }
  start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(auto stored, planner.Plan(who.org_id, at));
  const double store_s = SecondsSince(start);
  std::cout << " stored=" << stored.stored << " store_s=" << store_s;
  if (!o.smtp.empty()) {
    delivery::SmtpEmailSender smtp({o.smtp, "", "", false, 30000});
    dunning::ExecutorOptions eo;
    eo.batch = o.send;
    dunning::Executor executor(ctx, {&smtp, nullptr, nullptr}, eo);
    int64_t asked = 0;
    start = std::chrono::steady_clock::now();
    // About the first `send` due actions (the executor asks before each);
    // letters and SMS wait, as no provider is configured here.
    ASSIGN_OR_RETURN(auto r, executor.RunOnce([&] { return ++asked > o.send; }));
    const double send_s = SecondsSince(start);
    std::cout << " sent=" << r.sent << " send_s=" << send_s
              << " messages_per_s=" << (send_s > 0 ? r.sent / send_s : 0);
  }
  std::cout << " peak_rss_total_mb=" << PeakRssMb() << "\n";
  return Ok();
}

}  // namespace
}  // namespace relance::bench

int main(int argc, char** argv) {
  relance::bench::Options o;
  CLI::App app{"Times a day of dunning planning (and sending) on a gen_invoices database"};
  app.add_option("--db", o.db, "SQLite file or postgresql:// URL")->required();
  app.add_option("--at", o.at, "the moment to plan (RFC 3339); default now");
  app.add_option("--runs", o.runs, "dry runs to time (best is reported)");
  app.add_option("--smtp", o.smtp, "smtp://host:port to send the due e-mails to");
  app.add_option("--send", o.send, "how many e-mails to send");
  app.add_flag("--dry-only", o.dry_only, "time the dry runs only: store nothing, send nothing");
  CLI11_PARSE(app, argc, argv);
  auto r = relance::bench::Run(o);
  if (!r.ok()) {
    std::cerr << "plan_day: " << r.error().ToString() << "\n";
    return 1;
  }
  return 0;
}
