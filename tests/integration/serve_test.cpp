// The real `relance` binary on loopback with a temporary SQLite database:
// what `make run` does (demo seeded once, reused on restart, a clean stop on
// SIGTERM), and an import that survives the server being killed in the
// middle (R-IMP-12: the job is queued again and runs to completion, once).
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "integration/subprocess.h"

namespace relance::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("relance-serve-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Starts `relance serve --demo` on a free port; returns the process and
  // sets port_ (and token_ when the demo was seeded by this start).
  std::unique_ptr<Subprocess> Serve() {
    auto p = Subprocess::Start({RELANCE_BINARY, "serve", "--db", (dir_ / "relance.db").string(),
                                "--host", "127.0.0.1", "--port", "0", "--demo", "--data-dir",
                                (dir_ / "data").string(), "--log-level", "warn"});
    if (!p) return nullptr;
    auto line = p->WaitForStdoutLine("Relance is serving", 60s);
    if (!line) {
      ADD_FAILURE() << "relance serve did not start:\n" << p->out() << p->err();
      return nullptr;
    }
    std::smatch m;
    std::regex port_re(":([0-9]+)$");
    if (!std::regex_search(*line, m, port_re)) {
      ADD_FAILURE() << "no port in: " << *line;
      return nullptr;
    }
    port_ = std::stoi(m[1]);
    std::smatch t;
    std::string out = p->out();
    if (std::regex_search(out, t, std::regex("\\(shown once\\): (rlt_[0-9a-f]+)"))) token_ = t[1];
    return p;
  }

  httplib::Client Client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    c.set_default_headers({{"Authorization", "Bearer " + token_}});
    return c;
  }

  json GetJson(const std::string& path) {
    auto r = Client().Get(path);
    if (!r) return nullptr;
    return json::parse(r->body, nullptr, false);
  }

  fs::path dir_;
  int port_ = 0;
  std::string token_;
};

TEST_F(ServeTest, ServesTheDemoStopsCleanlyAndReusesTheDatabase) {
  auto first = Serve();
  ASSERT_TRUE(first);
  EXPECT_NE(first->out().find("Seeded the demo organization"), std::string::npos);
  ASSERT_FALSE(token_.empty()) << first->out();
  auto health = Client().Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  json customers = GetJson("/api/v1/customers?limit=1000");
  ASSERT_TRUE(customers.contains("data")) << customers.dump();
  size_t seeded = customers["data"].size();
  EXPECT_GE(seeded, 24u);
  first->Signal(SIGTERM);
  EXPECT_EQ(first->Wait(30s), 0) << first->err();

  std::string token = token_;
  token_.clear();
  auto second = Serve();
  ASSERT_TRUE(second);
  EXPECT_NE(second->out().find("Using the existing demo organization"), std::string::npos);
  token_ = token;  // tokens survive restarts
  EXPECT_EQ(GetJson("/api/v1/customers?limit=1000")["data"].size(), seeded);
  second->Signal(SIGINT);
  EXPECT_EQ(second->Wait(30s), 0);
}

TEST_F(ServeTest, AnImportInterruptedByACrashRunsAgainOnRestart) {
  constexpr int kRows = 20'000;
  std::string csv = "Identifiant Client;Raison sociale;E-mail;Contact principal\n";
  for (int i = 0; i < kRows; ++i) {
    std::string n = std::to_string(i);
    csv += "K" + n + ";Client " + n + ";contact" + n + "@client" + n + ".fr;1\n";
  }
  auto server = Serve();
  ASSERT_TRUE(server);
  size_t before = GetJson("/api/v1/customers?limit=1000")["data"].size();
  httplib::MultipartFormDataItems items = {{"file", csv, "clients.csv", "text/csv"},
                                           {"start", "true", "", ""}};
  auto up = Client().Post("/api/v1/imports", items);
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 201) << up->body;
  std::string id = json::parse(up->body)["import"]["id"];
  // Kill it while the import is queued or running: nothing is committed.
  for (int i = 0; i < 400; ++i) {
    std::string status = GetJson("/api/v1/imports/" + id).value("status", "");
    if (status == "RUNNING") break;
    std::this_thread::sleep_for(5ms);
  }
  server->Signal(SIGKILL);
  server->Wait(30s);

  auto restarted = Serve();
  ASSERT_TRUE(restarted);
  json job;
  for (int i = 0; i < 1200; ++i) {
    job = GetJson("/api/v1/imports/" + id);
    if (job.value("status", "") == "SUCCEEDED" || job.value("status", "") == "FAILED") break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(job.value("status", ""), "SUCCEEDED") << job.dump();
  EXPECT_EQ(job.value("customers_created", 0), kRows);
  // Exactly once: every customer of the file, none twice.
  size_t total = 0;
  std::string cursor;
  for (int pages = 0; pages < 200; ++pages) {
    json page = GetJson("/api/v1/customers?limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor));
    total += page["data"].size();
    if (page["next_cursor"].is_null()) break;
    cursor = page["next_cursor"];
  }
  EXPECT_EQ(total, before + kRows);
  restarted->Signal(SIGTERM);
  EXPECT_EQ(restarted->Wait(30s), 0);
}

}  // namespace
}  // namespace relance::test
