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

#include "core/ids.h"

namespace relance::cli {
namespace {

using ::testing::AllOf;
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

}  // namespace
}  // namespace relance::cli
