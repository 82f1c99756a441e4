// The sync settings of the CLI (config.h): secret_key (environment or file
// only, 64 hex characters, never echoed), public_url, sync on/off,
// sync_poll_ms and the Sellsy client secret, with the usual precedence.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "cli/config.h"

namespace relance::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class SyncConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("relance-sync-config-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Result<Settings> Resolve(const SettingFlags& flags = {}) const {
    return ResolveSettings(flags, [this](std::string_view name) -> std::optional<std::string> {
      auto it = env_.find(std::string(name));
      if (it == env_.end()) return std::nullopt;
      return it->second;
    });
  }
  std::string WriteFile(const std::string& text) {
    auto path = (dir_ / "relance.toml").string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(SyncConfigTest, Defaults) {
  auto s = Resolve();
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->secret_key, "");
  EXPECT_EQ(s->public_url, "");
  EXPECT_TRUE(s->sync);
  EXPECT_EQ(s->sync_poll_ms, 1000);
  EXPECT_EQ(s->sellsy_client_secret, "");
}

TEST_F(SyncConfigTest, FlagOverEnvironmentOverFile) {
  const std::string key(64, 'a');
  SettingFlags flags;
  flags.config_file = WriteFile("secret_key = \"" + std::string(64, 'b') +
                                "\"\npublic_url = \"https://file.example\"\nsync = false\n"
                                "sync_poll_ms = 50\nsellsy_client_secret = \"from-file\"\n");
  auto s = Resolve(flags);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->secret_key, std::string(64, 'b'));
  EXPECT_EQ(s->public_url, "https://file.example");
  EXPECT_FALSE(s->sync);
  EXPECT_EQ(s->sync_poll_ms, 50);
  EXPECT_EQ(s->sellsy_client_secret, "from-file");

  env_ = {{"RELANCE_SECRET_KEY", key},
          {"RELANCE_PUBLIC_URL", "https://env.example"},
          {"RELANCE_SYNC", "true"},
          {"RELANCE_SYNC_POLL_MS", "200"},
          {"RELANCE_SELLSY_CLIENT_SECRET", "from-env"}};
  s = Resolve(flags);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->secret_key, key);
  EXPECT_EQ(s->public_url, "https://env.example");
  EXPECT_TRUE(s->sync);
  EXPECT_EQ(s->sync_poll_ms, 200);
  EXPECT_EQ(s->sellsy_client_secret, "from-env");

  flags.public_url = "https://flag.example";
  flags.sync = false;
  flags.sync_poll_ms = 20;
  s = Resolve(flags);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->public_url, "https://flag.example");
  EXPECT_FALSE(s->sync);
  EXPECT_EQ(s->sync_poll_ms, 20);
}

TEST_F(SyncConfigTest, BadValuesAreRefusedWithoutEchoingTheKey) {
  env_ = {{"RELANCE_SECRET_KEY", "not-a-key-zzzz"}};
  auto s = Resolve();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), HasSubstr("64 hexadecimal"));
  EXPECT_THAT(s.error().message(), Not(HasSubstr("not-a-key-zzzz")));

  env_ = {{"RELANCE_SECRET_KEY", std::string(63, 'a') + "g"}};
  EXPECT_FALSE(Resolve().ok());
  env_ = {{"RELANCE_SYNC_POLL_MS", "5"}};
  EXPECT_FALSE(Resolve().ok());
  env_ = {{"RELANCE_SYNC_POLL_MS", "fast"}};
  EXPECT_FALSE(Resolve().ok());
  env_ = {{"RELANCE_SYNC", "maybe"}};
  EXPECT_FALSE(Resolve().ok());
  env_ = {{"RELANCE_PUBLIC_URL", "relance.example.com"}};
  EXPECT_FALSE(Resolve().ok());
  env_.clear();
  SettingFlags flags;
  flags.config_file = WriteFile("sync_poll_ms = \"1000\"\n");
  EXPECT_FALSE(Resolve(flags).ok());
}

}  // namespace
}  // namespace relance::cli
