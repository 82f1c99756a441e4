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
  static void SetUpTestSuite() {
    sink_ = test::Subprocess::Start({"/usr/bin/python3", std::string(RELANCE_SOURCE_TREE) +
                                                             "/tests/emulators/smtp/smtp_sink.py",
                                     "--smtp-port", "0", "--control-port", "0"});
    ASSERT_NE(sink_, nullptr);
    auto line = sink_->WaitForStdoutLine("control", std::chrono::seconds(20));
    ASSERT_TRUE(line) << sink_->err();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(*line, m, std::regex(R"(smtp (\S+) control (\S+))")));
    smtp_url_ = "smtp://" + m[1].str();
    control_url_ = m[2].str();
  }
  static void TearDownTestSuite() { sink_.reset(); }

  static inline std::unique_ptr<test::Subprocess> sink_;
  static inline std::string smtp_url_, control_url_;
};

TEST_P(ScenarioTest, Runs) {
  ASSERT_NE(sink_, nullptr);
  const auto& [backend, name] = GetParam();
  RunScenario(std::string(RELANCE_SCENARIO_DIR) + "/" + name + ".scenario", backend, smtp_url_,
              control_url_);
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
