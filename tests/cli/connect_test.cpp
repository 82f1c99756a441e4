// `relance connect sellsy` and `relance sync run|status|changes` in-process
// against the Sellsy emulator (tests/emulators/sellsy/): refused
// credentials store nothing, a good connection prints its id and its
// backfill counts, then the syncs can be run, watched and audited.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "cli/cli.h"
#include "delivery/emulator.h"
#include "store/db.h"

namespace relance::cli {
namespace {

using test::Emulator;
using ::testing::HasSubstr;
using ::testing::StartsWith;

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

class ConnectTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    emulator_ = new Emulator(
        test::StartEmulator("sellsy/sellsy_emulator.py", {"--port", "0", "--rate-limit", "0"}));
  }
  static void TearDownTestSuite() {
    delete emulator_;
    emulator_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(emulator_->port, 0);
    dir_ = std::filesystem::temp_directory_path() /
           ("relance-connect-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    env_["RELANCE_LOG_LEVEL"] = "off";
    env_["RELANCE_DB"] = (dir_ / "relance.db").string();
    env_["RELANCE_DATA_DIR"] = (dir_ / "data").string();
    env_["RELANCE_SELLSY_CLIENT_SECRET"] = "relance-test-secret";
    CliRun org = Cli({"org", "create", "--name", "Acme"});
    ASSERT_EQ(org.code, 0) << org.err;
    org_ = org.out.substr(0, org.out.find('\n'));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  CliRun Cli(std::vector<std::string> args) {
    args.insert(args.begin(), "relance");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    std::istringstream in;
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

  CliRun Connect(std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"connect",     "sellsy",
                                     "--org",       org_,
                                     "--name",      "Sellsy",
                                     "--api-url",   emulator_->BaseUrl() + "/v2",
                                     "--token-url", emulator_->BaseUrl() + "/oauth2/access-tokens",
                                     "--client-id", "relance-test-client"};
    for (auto& m : more) args.push_back(std::move(m));
    return Cli(args);
  }

  static Emulator* emulator_;
  SystemClock clock_;
  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
  std::string org_;
};

Emulator* ConnectTest::emulator_ = nullptr;

TEST_F(ConnectTest, RefusedCredentialsStoreNothing) {
  env_["RELANCE_SELLSY_CLIENT_SECRET"] = "wrong-secret";
  CliRun r = Connect();
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("nothing was stored"));
  EXPECT_EQ(r.err.find("wrong-secret"), std::string::npos) << r.err;
  CliRun status = Cli({"sync", "status", "--org", org_});
  EXPECT_EQ(status.code, 0) << status.err;
  EXPECT_EQ(status.out, "");

  env_.erase("RELANCE_SELLSY_CLIENT_SECRET");
  r = Connect();
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("RELANCE_SELLSY_CLIENT_SECRET"));
  // Never a flag.
  r = Connect({"--client-secret", "relance-test-secret"});
  EXPECT_EQ(r.code, kExitUsage);
}

TEST_F(ConnectTest, ConnectBackfillThenRunStatusAndChanges) {
  ASSERT_EQ(emulator_->Post("/_control/reset", nlohmann::json::object()), 204);
  ASSERT_EQ(
      emulator_->Post("/_control/generate", {{"companies", 5}, {"invoices", 10}, {"seed", 1}}),
      200);
  CliRun r = Connect({"--backfill", "--public-url", "https://relance.example.com"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("con_"));
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << r.out;  // only the id
  EXPECT_THAT(r.err, HasSubstr("webhook registered"));
  EXPECT_THAT(r.err, HasSubstr("full run"));
  EXPECT_THAT(r.err, HasSubstr("rejected 0"));
  const std::string id = r.out.substr(0, r.out.size() - 1);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "data" / "secret.key"));

  CliRun again = Connect();
  EXPECT_EQ(again.code, ExitCode(ErrorCode::kAlreadyExists)) << again.err;

  CliRun status = Cli({"sync", "status", "--org", org_});
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr(id));
  EXPECT_THAT(status.out, HasSubstr("status OK"));
  EXPECT_THAT(status.out, HasSubstr("backlog 0"));

  CliRun run = Cli({"sync", "run", "--org", org_, "--connection", id});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("written 0"));
  EXPECT_THAT(run.out, HasSubstr("rejected 0"));

  CliRun changes = Cli({"sync", "changes", "--org", org_, "--limit", "5"});
  ASSERT_EQ(changes.code, 0) << changes.err;
  EXPECT_THAT(changes.out, HasSubstr("CREATED"));
  EXPECT_EQ(std::count(changes.out.begin(), changes.out.end(), '\n'), 5);

  CliRun unknown = Cli({"sync", "run", "--org", org_, "--connection", "con_nope"});
  EXPECT_EQ(unknown.code, ExitCode(ErrorCode::kNotFound)) << unknown.err;
}

}  // namespace
}  // namespace relance::cli
