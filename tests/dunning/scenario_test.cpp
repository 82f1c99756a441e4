// Every scenario file of tests/dunning/scenarios/ (one per rule) on SQLite
// and PostgreSQL, against one real SMTP sink started for the suite.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <regex>

#include "dunning/scenario_runner.h"
#include "integration/subprocess.h"

namespace relance::dunning::testing {
namespace {

std::vector<std::string> ScenarioFiles() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(RELANCE_SCENARIO_DIR)) {
    if (e.path().extension() == ".scenario") out.push_back(e.path().stem().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class ScenarioTest : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
 protected:
  static std::unique_ptr<test::Subprocess> Emulator(const std::string& script,
                                                     std::vector<std::string> args,
                                                     const std::string& needle, std::string* line) {
    args.insert(args.begin(), {"/usr/bin/python3", std::string(RELANCE_SOURCE_TREE) + script});
    auto p = test::Subprocess::Start(args);
    if (!p) return nullptr;
    auto l = p->WaitForStdoutLine(needle, std::chrono::seconds(20));
    EXPECT_TRUE(l) << script << ": " << p->err();
    if (!l) return nullptr;
    *line = *l;
    return p;
  }
  static void SetUpTestSuite() {
    std::string line;
    std::smatch m;
    sink_ = Emulator("/tests/emulators/smtp/smtp_sink.py",
                     {"--smtp-port", "0", "--control-port", "0"}, "control", &line);
    ASSERT_NE(sink_, nullptr);
    ASSERT_TRUE(std::regex_search(line, m, std::regex(R"(smtp (\S+) control (\S+))")));
    servers_.smtp_url = "smtp://" + m[1].str();
    servers_.smtp_control = m[2].str();
    // Statuses move only through the control API: nothing runs behind the test.
    sms_ = Emulator("/tests/emulators/sms/sms_emulator.py", {"--port", "0", "--advance-ms", "0"},
                    "listening", &line);
    ASSERT_NE(sms_, nullptr);
    servers_.sms_base = line.substr(line.find("http"));
    postal_ = Emulator("/tests/emulators/postal/postal_emulator.py", {"--port", "0"}, "listening",
                       &line);
    ASSERT_NE(postal_, nullptr);
    servers_.postal_base = line.substr(line.find("http"));
  }
  static void TearDownTestSuite() {
    sink_.reset();
    sms_.reset();
    postal_.reset();
  }

  static inline std::unique_ptr<test::Subprocess> sink_, sms_, postal_;
  static inline Servers servers_;
};

TEST_P(ScenarioTest, Runs) {
  ASSERT_TRUE(sink_ && sms_ && postal_);
  const auto& [backend, name] = GetParam();
  RunScenario(std::string(RELANCE_SCENARIO_DIR) + "/" + name + ".scenario", backend, servers_);
}

INSTANTIATE_TEST_SUITE_P(Files, ScenarioTest,
                         ::testing::Combine(::testing::Values("sqlite", "postgres"),
                                            ::testing::ValuesIn(ScenarioFiles())),
                         [](const auto& info) {
                           std::string n = std::get<1>(info.param) + "_" + std::get<0>(info.param);
                           std::replace_if(n.begin(), n.end(),
                                           [](char c) { return !std::isalnum(c); }, '_');
                           return n;
                         });

}  // namespace
}  // namespace relance::dunning::testing
