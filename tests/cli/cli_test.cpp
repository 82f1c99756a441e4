// The command line run in-process (RunCli with injected streams and
// environment): usage errors, exit codes from core's table, and the admin
// commands' output contract. The real binary is driven by tests/integration.
#include "cli/cli.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/channels.h"
#include "core/ids.h"
#include "delivery/bounce_samples.h"
#include "services/record_service.h"
#include "store/record_repository.h"

namespace relance::cli {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("relance-cli-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    db_ = (dir_ / "relance.db").string();
    env_["RELANCE_LOG_LEVEL"] = "off";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  CliRun Cli(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), "relance");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    std::istringstream in(input);
    std::ostringstream out, err;
    const CliEnvironment env{
        [](const std::string& location, int pool) { return store::OpenDatabase(location, pool); },
        clock_,
        [this](std::string_view name) -> std::optional<std::string> {
          auto it = env_.find(std::string(name));
          if (it == env_.end()) return std::nullopt;
          return it->second;
        },
        in,
        out,
        err};
    int code = RunCli(static_cast<int>(argv.size()), argv.data(), env);
    return {code, out.str(), err.str()};
  }

  std::string Trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
  }

  SystemClock clock_;
  std::filesystem::path dir_;
  std::string db_;
  std::map<std::string, std::string> env_;
};

TEST_F(CliTest, HelpSucceedsAndListsTheSubcommands) {
  CliRun r = Cli({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, AllOf(HasSubstr("serve"), HasSubstr("migrate"), HasSubstr("org"),
                           HasSubstr("user"), HasSubstr("token")));
  r = Cli({"user", "create", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, AllOf(HasSubstr("--password-stdin"), HasSubstr("--role")));
}

TEST_F(CliTest, UsageErrorsExit64WithAMessage) {
  CliRun r = Cli({});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("subcommand"));

  r = Cli({"serve", "--bogus"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--bogus"));

  r = Cli({"org", "create", "--db", db_});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--name"));

  r = Cli({"serve", "--port", "eighty"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--port"));

  r = Cli({"user", "create", "--org", "org_x", "--email", "a@b.test", "--name", "A", "--role",
           "BOSS"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("BOSS"));
}

TEST_F(CliTest, BadSettingsAreUsageErrorsNamingTheSource) {
  env_["RELANCE_PORT"] = "http";
  CliRun r = Cli({"serve", "--db", db_});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("RELANCE_PORT"));

  env_.erase("RELANCE_PORT");
  const std::string config = (dir_ / "relance.toml").string();
  std::ofstream(config) << "databse = \"x.db\"\n";
  r = Cli({"migrate", "--config", config});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, AllOf(HasSubstr("databse"), HasSubstr(config)));
}

TEST_F(CliTest, AdminCommandsPrintOnlyTheNewIdOrToken) {
  CliRun org = Cli({"org", "create", "--db", db_, "--name", "Acme", "--language", "en"});
  ASSERT_EQ(org.code, 0) << org.err;
  const std::string org_id = Trimmed(org.out);
  EXPECT_TRUE(IsValidId(org_id, kOrgPrefix)) << org.out;

  CliRun user = Cli({"user", "create", "--db", db_, "--org", org_id, "--email", "ops@acme.test",
                  "--name", "Ops", "--role", "ADMIN", "--password-stdin"},
                 "correct horse battery\n");
  ASSERT_EQ(user.code, 0) << user.err;
  const std::string user_id = Trimmed(user.out);
  EXPECT_TRUE(IsValidId(user_id, kUserPrefix)) << user.out;

  CliRun token = Cli({"token", "create", "--db", db_, "--org", org_id, "--user", user_id, "--name",
                   "ci"});
  ASSERT_EQ(token.code, 0) << token.err;
  EXPECT_THAT(Trimmed(token.out), StartsWith("rlt_"));
  EXPECT_EQ(Trimmed(token.out).find('\n'), std::string::npos);
}

TEST_F(CliTest, PasswordFromEnvironmentWhenNotOnStdin) {
  CliRun org = Cli({"org", "create", "--db", db_, "--name", "Acme"});
  ASSERT_EQ(org.code, 0) << org.err;
  env_["RELANCE_PASSWORD"] = "correct horse battery";
  CliRun user = Cli({"user", "create", "--db", db_, "--org", Trimmed(org.out), "--email",
                  "ops@acme.test", "--name", "Ops"});
  EXPECT_EQ(user.code, 0) << user.err;
}

TEST_F(CliTest, MissingPasswordIsAUsageErrorSayingWhereToPutIt) {
  CliRun r = Cli({"user", "create", "--db", db_, "--org", "org_x", "--email", "a@b.test", "--name",
               "A"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, AllOf(HasSubstr("--password-stdin"), HasSubstr("RELANCE_PASSWORD")));
  EXPECT_THAT(r.out, IsEmpty());

  r = Cli({"user", "create", "--db", db_, "--org", "org_x", "--email", "a@b.test", "--name", "A",
           "--password-stdin"},
          "");
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("standard input"));
}

TEST_F(CliTest, ServiceErrorsUseTheExitCodeTable) {
  // Unknown organization: not found (66).
  CliRun r = Cli({"user", "create", "--db", db_, "--org", "org_01JD3Q7R9WB1T2XK4M5N6P7Q8R",
               "--email", "a@b.test", "--name", "A", "--password-stdin"},
              "correct horse battery\n");
  EXPECT_EQ(r.code, ExitCode(ErrorCode::kNotFound)) << r.err;
  EXPECT_THAT(r.err, HasSubstr("user create: error:"));

  // A password too short: invalid input (65), naming the field.
  CliRun org = Cli({"org", "create", "--db", db_, "--name", "Acme"});
  ASSERT_EQ(org.code, 0) << org.err;
  r = Cli({"user", "create", "--db", db_, "--org", Trimmed(org.out), "--email", "a@b.test",
           "--name", "A", "--password-stdin"},
          "short\n");
  EXPECT_EQ(r.code, ExitCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(r.err, HasSubstr("password"));

  // An unknown time zone.
  r = Cli({"org", "create", "--db", db_, "--name", "Nowhere", "--time-zone", "Mars/Olympus"});
  EXPECT_EQ(r.code, ExitCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(r.err, HasSubstr("Mars/Olympus"));
  EXPECT_THAT(r.out, Not(HasSubstr("org_")));
}

TEST_F(CliTest, MigrateTwiceAppliesOnce) {
  CliRun first = Cli({"migrate", "--db", db_});
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("applied migration 1"));
  CliRun second = Cli({"migrate", "--db", db_});
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_THAT(second.out, AllOf(Not(HasSubstr("applied migration")), HasSubstr("up to date")));
}

// `relance import customers` (SPEC §2): preview, import, a rerun that
// changes nothing, and a failed import's exit code and report.
TEST_F(CliTest, ImportCustomersFromTheCommandLine) {
  std::string org = Trimmed(Cli({"org", "create", "--name", "Acme", "--db", db_}).out);
  ASSERT_TRUE(IsValidId(org, kOrgPrefix)) << org;
  std::string file = (dir_ / "clients.csv").string();
  std::ofstream(file) << "Raison sociale;Code client;E-mail;Contact principal\n"
                         "Acme;A1;a@acme.fr;1\nBeta;B1;b@beta.fr;1\n";
  std::string data = (dir_ / "data").string();

  CliRun preview = Cli({"import", "customers", file, "--org", org, "--db", db_, "--preview"});
  EXPECT_EQ(preview.code, 0) << preview.err;
  EXPECT_THAT(preview.out, AllOf(HasSubstr("format: csv"), HasSubstr("Code client -> external_id")));

  CliRun first = Cli({"import", "customers", file, "--org", org, "--db", db_, "--data-dir", data});
  EXPECT_EQ(first.code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("import succeeded: 2 customers created"));
  CliRun again = Cli({"import", "customers", file, "--org", org, "--db", db_, "--data-dir", data});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("0 customers created, 0 updated, 0 contacts created, 0 updated"));

  std::string bad = (dir_ / "bad.csv").string();
  std::ofstream(bad) << "Raison sociale;Délai de paiement\nGamma;30 jours\n";
  std::string report = (dir_ / "report.csv").string();
  CliRun failed = Cli({"import", "customers", bad, "--org", org, "--db", db_, "--data-dir", data,
                       "--report", report});
  EXPECT_EQ(failed.code, 65);
  EXPECT_THAT(failed.out, AllOf(HasSubstr("import failed"),
                                HasSubstr("line 2, Délai de paiement \"30 jours\"")));
  std::ifstream in(report);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr("2;Délai de paiement;30 jours;"));

  // A mapping file corrects the proposal; a bad one is refused.
  std::string mapping = (dir_ / "mapping.json").string();
  std::ofstream(mapping) << R"({"Délai de paiement": null})";
  CliRun corrected = Cli({"import", "customers", bad, "--org", org, "--db", db_, "--data-dir",
                          data, "--mapping", mapping});
  EXPECT_EQ(corrected.code, 0) << corrected.out << corrected.err;
  std::ofstream(mapping) << "not json";
  EXPECT_EQ(Cli({"import", "customers", bad, "--org", org, "--db", db_, "--mapping", mapping}).code,
            65);
  EXPECT_EQ(Cli({"import", "customers", (dir_ / "missing.csv").string(), "--org", org, "--db",
                 db_}).code,
            66);
}

// The first action id in a command's output.
std::string FirstActionId(const std::string& out) {
  size_t at = out.find("act_");
  return at == std::string::npos ? "" : out.substr(at, 30);
}

class DunningCliTest : public CliTest {
 protected:
  // An organization with an admin and a member, a customer-level plan whose
  // one step is a manual call at the due date, and `customers` customers
  // following it, each with one invoice overdue for a month.
  std::string Seed(int customers) {
    std::string org = Trimmed(Cli({"org", "create", "--db", db_, "--name", "Acme"}).out);
    EXPECT_TRUE(IsValidId(org, kOrgPrefix)) << org;
    for (auto [email, role] : {std::pair{"ops@acme.test", "ADMIN"}, {"sam@acme.test", "MEMBER"}}) {
      CliRun u = Cli({"user", "create", "--db", db_, "--org", org, "--email", email, "--name",
                      email, "--role", role, "--password-stdin"},
                     "correct horse battery\n");
      EXPECT_EQ(u.code, 0) << u.err;
    }
    auto db = store::OpenDatabase(db_, 2);
    EXPECT_TRUE(db.ok());
    if (!db.ok()) return org;
    services::Context ctx{**db, clock_};
    services::Principal admin{org, "", "ADMIN"};
    auto plan = services::RecordService<domain::DunningPlan>(ctx).Create(
        admin, {{"name", std::string("Appels")}, {"level", std::string("CUSTOMER")}});
    EXPECT_TRUE(plan.ok()) << plan.error().ToString();
    auto step = services::RecordService<domain::DunningStep>(ctx).Create(
        admin, {{"plan_id", plan->meta.id},
                {"name", std::string("Appel du comptable")},
                {"channel", std::string("CALL")},
                {"mode", std::string("MANUAL")},
                {"offset_days", int64_t{0}}});
    EXPECT_TRUE(step.ok()) << step.error().ToString();
    Date today = *TodayIn("Europe/Paris", clock_.Now());
    for (int i = 0; i < customers; ++i) {
      const std::string name = "Client " + std::string(1, static_cast<char>('A' + i));
      auto c = services::RecordService<domain::Customer>(ctx).Create(
          admin, {{"name", name}, {"dunning_plan_id", plan->meta.id}});
      EXPECT_TRUE(c.ok()) << c.error().ToString();
      auto inv = services::RecordService<domain::Invoice>(ctx).Create(
          admin, {{"customer_id", c->meta.id},
                  {"number", "FA-" + std::to_string(100 + i)},
                  {"issue_date", today.AddDays(-60)},
                  {"printed_due_date", today.AddDays(-30)},
                  {"gross_amount", int64_t{12000}},
                  {"net_amount", int64_t{10000}},
                  {"tax_amount", int64_t{2000}}});
      EXPECT_TRUE(inv.ok()) << inv.error().ToString();
    }
    return org;
  }
};

// R-DUN-4: the dry run from the command line lists what would be decided,
// in the organization's zone, and writes nothing; `dunning run` stores it.
TEST_F(DunningCliTest, PlanIsADryRunAndRunStoresTheActions) {
  std::string org = Seed(1);
  CliRun plan = Cli({"dunning", "plan", "--db", db_, "--org", org});
  ASSERT_EQ(plan.code, 0) << plan.err;
  EXPECT_THAT(plan.out,
              AllOf(HasSubstr("Client A"), HasSubstr("FA-100"), HasSubstr("CALL"),
                    HasSubstr("manual"), HasSubstr("Appel du comptable"),
                    HasSubstr("1 action(s) would be decided"), HasSubstr("nothing was written")));
  EXPECT_THAT(plan.out, ContainsRegex("[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} CES?T"));
  EXPECT_THAT(Cli({"todo", "list", "--db", db_, "--org", org}).out, HasSubstr("0 action(s)"));

  CliRun early = Cli({"dunning", "plan", "--db", db_, "--org", org, "--at", "2020-01-06"});
  ASSERT_EQ(early.code, 0) << early.err;
  EXPECT_THAT(early.out, HasSubstr("0 action(s) would be decided at 2020-01-06 09:00 CET"));
  CliRun bad = Cli({"dunning", "plan", "--db", db_, "--org", org, "--at", "soon"});
  EXPECT_EQ(bad.code, ExitCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad.err, HasSubstr("--at"));
  EXPECT_EQ(Cli({"dunning", "plan", "--db", db_, "--org", "org_01JD3Q7R9WB1T2XK4M5N6P7Q8R"}).code,
            ExitCode(ErrorCode::kNotFound));
  EXPECT_EQ(Cli({"dunning", "plan", "--db", db_}).code, kExitUsage);

  CliRun run = Cli({"dunning", "run", "--db", db_, "--org", org});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out, AllOf(HasSubstr("1 action(s) due, 1 new"), HasSubstr("sent 0")));
  EXPECT_THAT(run.err, HasSubstr("no delivery channel is configured"));
  // R-DUN-4: decided once, even when run again.
  EXPECT_THAT(Cli({"dunning", "run", "--db", db_, "--org", org}).out, HasSubstr("0 new"));
  EXPECT_THAT(Cli({"dunning", "plan", "--db", db_, "--org", org}).out,
              HasSubstr("0 action(s) would be decided"));
}

// R-DUN-6: the to-do list and its verbs from the command line.
TEST_F(DunningCliTest, TodoListAndVerbs) {
  std::string org = Seed(3);
  ASSERT_EQ(Cli({"dunning", "run", "--db", db_, "--org", org}).code, 0);

  CliRun list = Cli({"todo", "list", "--db", db_, "--org", org, "--type", "CALL"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_THAT(list.out, AllOf(HasSubstr("3 action(s) to do"), HasSubstr("Client B"),
                              HasSubstr("TODO"), HasSubstr("CALL/CALL"), HasSubstr("(no owner)")));
  EXPECT_THAT(Cli({"todo", "list", "--db", db_, "--org", org, "--type", "TASK"}).out,
              HasSubstr("0 action(s)"));
  EXPECT_EQ(Cli({"todo", "list", "--db", db_, "--org", org, "--type", "PHONE"}).code, kExitUsage);
  EXPECT_EQ(Cli({"todo", "list", "--db", db_, "--org", org, "--owner", "nobody@acme.test"}).code,
            ExitCode(ErrorCode::kNotFound));
  CliRun limited = Cli({"todo", "list", "--db", db_, "--org", org, "--limit", "2"});
  EXPECT_THAT(limited.out, HasSubstr("2 action(s) to do shown; there are more"));

  const std::string id = FirstActionId(list.out);
  ASSERT_TRUE(IsValidId(id, kActionPrefix)) << list.out;

  CliRun given = Cli({"todo", "reassign", id, "--db", db_, "--to", "sam@acme.test"});
  ASSERT_EQ(given.code, 0) << given.err;
  EXPECT_THAT(given.out, HasSubstr("owner sam@acme.test"));
  EXPECT_THAT(Cli({"todo", "list", "--db", db_, "--org", org, "--owner", "sam@acme.test"}).out,
              HasSubstr("1 action(s) to do"));
  EXPECT_EQ(Cli({"todo", "reassign", id, "--db", db_, "--to", "nobody@acme.test"}).code,
            ExitCode(ErrorCode::kNotFound));

  CliRun later = Cli({"todo", "reschedule", id, "--db", db_, "--at", "2030-01-02 14:30"});
  ASSERT_EQ(later.code, 0) << later.err;
  EXPECT_THAT(later.out, HasSubstr("due 2030-01-02 14:30 CET"));
  CliRun day = Cli({"todo", "reschedule", id, "--db", db_, "--at", "2030-07-01"});
  ASSERT_EQ(day.code, 0) << day.err;
  EXPECT_THAT(day.out, HasSubstr("due 2030-07-01 09:00 CEST"));
  EXPECT_EQ(Cli({"todo", "reschedule", id, "--db", db_, "--at", "2030-02-30"}).code,
            ExitCode(ErrorCode::kInvalidArgument));
  EXPECT_EQ(Cli({"todo", "reschedule", id, "--db", db_}).code, kExitUsage);

  // A call is done by a person, never sent.
  CliRun send = Cli({"todo", "send", id, "--db", db_});
  EXPECT_EQ(send.code, ExitCode(ErrorCode::kFailedPrecondition)) << send.out;

  CliRun done = Cli(
      {"todo", "done", id, "--db", db_, "--note", "rappelle vendredi", "--as", "sam@acme.test"});
  ASSERT_EQ(done.code, 0) << done.err;
  EXPECT_THAT(done.out, AllOf(HasSubstr(id), HasSubstr("DONE")));
  CliRun again = Cli({"todo", "done", id, "--db", db_});
  EXPECT_EQ(again.code, ExitCode(ErrorCode::kFailedPrecondition));
  EXPECT_THAT(again.err, HasSubstr("is DONE"));

  // Several ids: all or nothing; the closed one stops the others.
  CliRun rest = Cli({"todo", "list", "--db", db_, "--org", org});
  std::vector<std::string> ids;
  for (size_t at = rest.out.find("act_"); at != std::string::npos;
       at = rest.out.find("act_", at + 4)) {
    ids.push_back(rest.out.substr(at, 30));
  }
  ASSERT_EQ(ids.size(), 2u) << rest.out;
  CliRun mixed = Cli({"todo", "ignore", ids[0], id, "--db", db_, "--org", org});
  EXPECT_EQ(mixed.code, ExitCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(Cli({"todo", "list", "--db", db_, "--org", org}).out, HasSubstr("2 action(s) to do"));
  CliRun both = Cli({"todo", "ignore", ids[0], ids[1], "--db", db_});
  ASSERT_EQ(both.code, 0) << both.err;
  EXPECT_THAT(both.out, HasSubstr("ignored 2 action(s)"));
  EXPECT_THAT(Cli({"todo", "list", "--db", db_, "--org", org}).out, HasSubstr("0 action(s) to do"));

  EXPECT_EQ(Cli({"todo", "ignore", "act_01JD3Q7R9WB1T2XK4M5N6P7Q8R", "--db", db_}).code,
            ExitCode(ErrorCode::kNotFound));
  EXPECT_EQ(Cli({"todo", "done", "--db", db_}).code, kExitUsage);
}

// R-DUN-4, R-DUN-6: a bounce piped in by a mail alias (or read from a file)
// marks the e-mail it quotes as a permanent failure, in the to-do list.
TEST_F(DunningCliTest, MailBounceFromStdinOrAFile) {
  std::string org = Seed(0);
  const domain::Action sent = relance::test::SentEmailAction(org, clock_.Now());
  {
    auto db = store::OpenDatabase(db_, 1);
    ASSERT_TRUE(db.ok());
    auto conn = (*db)->Acquire();
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(store::RecordRepository<domain::Action>(domain::ActionSpec())
                    .Insert(**conn, sent)
                    .ok());
  }
  const std::string bounce =
      relance::test::BounceSample("postfix_user_unknown.eml", *sent.message_id);
  CliRun piped = Cli({"mail", "bounce", "--org", org, "--db", db_}, bounce);
  ASSERT_EQ(piped.code, 0) << piped.err;
  EXPECT_THAT(piped.out, AllOf(HasSubstr(sent.meta.id + " FAILED"),
                               HasSubstr("gone@durand.test: failed 5.1.1 550 5.1.1"),
                               HasSubstr("recorded as a permanent failure")));
  EXPECT_THAT(Cli({"todo", "list", "--db", db_, "--org", org}).out,
              AllOf(HasSubstr(sent.meta.id), HasSubstr("1 action(s) to do"),
                    HasSubstr("after accepting the message (bounce 5.1.1)")));

  const std::string file = (dir_ / "bounce.eml").string();
  std::ofstream(file, std::ios::binary) << bounce;
  CliRun again = Cli({"mail", "bounce", file, "--org", org, "--db", db_});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("already recorded: nothing changed"));

  std::ofstream(file, std::ios::binary)
      << relance::test::BounceSample("not_dsn_reply.eml", *sent.message_id);
  CliRun reply = Cli({"mail", "bounce", file, "--org", org, "--db", db_});
  EXPECT_EQ(reply.code, ExitCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(reply.err, HasSubstr("not a delivery status notification"));
  EXPECT_EQ(Cli({"mail", "bounce", "--org", org, "--db", db_},
                relance::test::BounceSample("exim_mailbox_full.eml", "nope@acme.test"))
                .code,
            ExitCode(ErrorCode::kNotFound));
  EXPECT_EQ(Cli({"mail", "bounce", (dir_ / "missing.eml").string(), "--org", org, "--db", db_})
                .code,
            ExitCode(ErrorCode::kNotFound));
  EXPECT_EQ(Cli({"mail", "bounce", "--db", db_}, bounce).code, kExitUsage);
}

TEST_F(DunningCliTest, HelpOfTheDunningCommands) {
  for (std::vector<std::string> cmd : {std::vector<std::string>{"dunning", "plan"},
                                       {"dunning", "run"},
                                       {"todo", "list"},
                                       {"todo", "done"},
                                       {"todo", "ignore"},
                                       {"todo", "reschedule"},
                                       {"todo", "reassign"},
                                       {"todo", "send"},
                                       {"mail", "bounce"}}) {
    cmd.push_back("--help");
    CliRun r = Cli(cmd);
    EXPECT_EQ(r.code, 0) << cmd[0] << " " << cmd[1];
    EXPECT_THAT(r.out, HasSubstr("--db")) << cmd[0] << " " << cmd[1];
  }
  EXPECT_THAT(Cli({"dunning", "run", "--help"}).out,
              AllOf(HasSubstr("--smtp-url"), HasSubstr("RELANCE_SMTP_PASSWORD"),
                    Not(HasSubstr("--smtp-password"))));
  EXPECT_THAT(Cli({"serve", "--help"}).out,
              AllOf(HasSubstr("--no-dunning"), HasSubstr("--dunning-interval-seconds")));
}

// The channels the worker gets, and what a log line may show of them.
TEST(ConfiguredChannelsTest, OnlyConfiguredChannelsAndNoSecretShown) {
  Settings s;
  ConfiguredChannels none(s);
  EXPECT_FALSE(none.any());
  EXPECT_EQ(none.View().email, nullptr);
  EXPECT_EQ(none.Describe(), "none");

  s.smtp_url = "smtp://relance:hunter2@mail.acme.test:2525/relance.acme.test";
  s.smtp_user = "relance";
  s.smtp_password = "s3cret-pass";
  s.postal_base_url = "https://letters.example.test/";
  s.postal_api_key = "key-123";
  ConfiguredChannels some(s);
  EXPECT_TRUE(some.any());
  EXPECT_NE(some.View().email, nullptr);
  EXPECT_EQ(some.View().sms, nullptr);  // SMS actions wait
  EXPECT_NE(some.View().letters, nullptr);
  EXPECT_EQ(some.Describe(),
            "e-mail (smtp://mail.acme.test:2525), letters (https://letters.example.test)");
  EXPECT_THAT(some.Describe(),
              AllOf(Not(HasSubstr("hunter2")), Not(HasSubstr("s3cret")), Not(HasSubstr("key-"))));
}

}  // namespace
}  // namespace relance::cli
