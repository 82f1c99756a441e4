// Settings precedence of the CLI: flag > environment > config file > default,
// and the errors a user sees for a bad config file or value.
#include "cli/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace relance::cli {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("relance-config-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteFile(const std::string& name, const std::string& text) {
    auto path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  EnvironmentLookup Env() const {
    return [this](std::string_view name) -> std::optional<std::string> {
      auto it = env_.find(std::string(name));
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
  }

  Result<Settings> Resolve(const SettingFlags& flags = {}) const {
    return ResolveSettings(flags, Env());
  }

  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(ConfigTest, DefaultsWhenNothingIsGiven) {
  auto s = Resolve();
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->db, "var/relance.db");
  EXPECT_EQ(s->port, 8080);
  EXPECT_EQ(s->host, "0.0.0.0");
  EXPECT_FALSE(s->docs_dir.has_value());
  EXPECT_EQ(s->log_level, "info");
}

TEST_F(ConfigTest, ConfigFileOverridesDefaults) {
  env_["RELANCE_CONFIG"] = WriteFile("relance.toml",
                                     "db = \"/srv/relance.db\"\nport = 9000\nhost = \"127.0.0.1\"\n"
                                     "docs_dir = \"/usr/share/swagger\"\nlog_level = \"debug\"\n");
  auto s = Resolve();
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->db, "/srv/relance.db");
  EXPECT_EQ(s->port, 9000);
  EXPECT_EQ(s->host, "127.0.0.1");
  EXPECT_EQ(s->docs_dir, "/usr/share/swagger");
  EXPECT_EQ(s->log_level, "debug");
}

TEST_F(ConfigTest, EnvironmentOverridesConfigFile) {
  env_["RELANCE_CONFIG"] =
      WriteFile("relance.toml", "db = \"file.db\"\nport = 9000\nhost = \"10.0.0.1\"\n"
                                "docs_dir = \"/file/docs\"\nlog_level = \"debug\"\n");
  env_["RELANCE_DB"] = "postgresql://relance@db/relance";
  env_["RELANCE_PORT"] = "9100";
  env_["RELANCE_HOST"] = "127.0.0.2";
  env_["RELANCE_DOCS_DIR"] = "/env/docs";
  env_["RELANCE_LOG_LEVEL"] = "warn";
  auto s = Resolve();
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->db, "postgresql://relance@db/relance");
  EXPECT_EQ(s->port, 9100);
  EXPECT_EQ(s->host, "127.0.0.2");
  EXPECT_EQ(s->docs_dir, "/env/docs");
  EXPECT_EQ(s->log_level, "warn");
}

TEST_F(ConfigTest, FlagsOverrideEnvironmentAndFile) {
  env_["RELANCE_CONFIG"] = WriteFile("relance.toml", "db = \"file.db\"\nport = 9000\n");
  env_["RELANCE_DB"] = "env.db";
  env_["RELANCE_PORT"] = "9100";
  env_["RELANCE_LOG_LEVEL"] = "warn";
  SettingFlags flags;
  flags.db = "flag.db";
  flags.port = 0;  // "any free port" is a value, not "unset"
  flags.host = "::1";
  flags.docs_dir = "/flag/docs";
  flags.log_level = "error";
  auto s = Resolve(flags);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->db, "flag.db");
  EXPECT_EQ(s->port, 0);
  EXPECT_EQ(s->host, "::1");
  EXPECT_EQ(s->docs_dir, "/flag/docs");
  EXPECT_EQ(s->log_level, "error");
}

TEST_F(ConfigTest, EachSettingFallsBackIndependently) {
  // Only the port from the file, only the host from the environment.
  env_["RELANCE_CONFIG"] = WriteFile("relance.toml", "port = 9000\n");
  env_["RELANCE_HOST"] = "127.0.0.1";
  SettingFlags flags;
  flags.db = "flag.db";
  auto s = Resolve(flags);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->db, "flag.db");
  EXPECT_EQ(s->port, 9000);
  EXPECT_EQ(s->host, "127.0.0.1");
  EXPECT_EQ(s->log_level, "info");
}

TEST_F(ConfigTest, ConfigFlagWinsOverRelanceConfig) {
  env_["RELANCE_CONFIG"] = WriteFile("env.toml", "port = 1111\n");
  SettingFlags flags;
  flags.config_file = WriteFile("flag.toml", "port = 2222\n");
  auto s = Resolve(flags);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->port, 2222);
}

TEST_F(ConfigTest, EmptyEnvironmentVariableCountsAsUnset) {
  env_["RELANCE_DB"] = "";
  env_["RELANCE_PORT"] = "";
  auto s = Resolve();
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->db, "var/relance.db");
  EXPECT_EQ(s->port, 8080);
}

TEST_F(ConfigTest, UnknownKeyIsAnErrorNamingKeyAndFile) {
  const std::string path = WriteFile("typo.toml", "db = \"x.db\"\nprot = 9000\n");
  SettingFlags flags;
  flags.config_file = path;
  auto s = Resolve(flags);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.error().message(), AllOf(HasSubstr("\"prot\""), HasSubstr(path)));
}

TEST_F(ConfigTest, MissingConfigFileIsAnError) {
  SettingFlags flags;
  flags.config_file = (dir_ / "absent.toml").string();
  auto s = Resolve(flags);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), HasSubstr("absent.toml"));
}

TEST_F(ConfigTest, SyntaxErrorNamesFileAndLine) {
  const std::string path = WriteFile("broken.toml", "db = \"x.db\"\nport = = 1\n");
  env_["RELANCE_CONFIG"] = path;
  auto s = Resolve();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), AllOf(HasSubstr(path), HasSubstr("line 2")));
}

TEST_F(ConfigTest, WrongTypeInFileIsAnError) {
  env_["RELANCE_CONFIG"] = WriteFile("types.toml", "port = \"8080\"\n");
  auto s = Resolve();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), AllOf(HasSubstr("port"), HasSubstr("integer")));

  env_["RELANCE_CONFIG"] = WriteFile("types2.toml", "db = 3\n");
  s = Resolve();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), AllOf(HasSubstr("db"), HasSubstr("string")));
}

TEST_F(ConfigTest, PortMustBeANumberInRange) {
  env_["RELANCE_PORT"] = "80a";
  auto s = Resolve();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), AllOf(HasSubstr("RELANCE_PORT"), HasSubstr("80a")));

  env_["RELANCE_PORT"] = "70000";
  s = Resolve();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), HasSubstr("65535"));

  env_.erase("RELANCE_PORT");
  SettingFlags flags;
  flags.port = -1;
  s = Resolve(flags);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), HasSubstr("--port"));

  env_["RELANCE_CONFIG"] = WriteFile("port.toml", "port = 123456\n");
  s = Resolve();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), HasSubstr("port.toml"));
}

TEST_F(ConfigTest, LogLevelMustBeKnown) {
  env_["RELANCE_LOG_LEVEL"] = "verbose";
  auto s = Resolve();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), AllOf(HasSubstr("RELANCE_LOG_LEVEL"), HasSubstr("verbose")));

  // A bad value that a higher-precedence source overrides is still an error:
  // a setting that is wrong somewhere should not wait to bite later.
  SettingFlags flags;
  flags.log_level = "debug";
  EXPECT_FALSE(Resolve(flags).ok());
}

TEST_F(ConfigTest, EmptyDatabaseLocationIsRefused) {
  SettingFlags flags;
  flags.db = "";
  auto s = Resolve(flags);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), HasSubstr("--db"));
}

TEST_F(ConfigTest, DunningDefaultsAreOnWithNoChannel) {
  auto s = Resolve();
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(s->dunning);
  EXPECT_EQ(s->dunning_interval_seconds, 60);
  EXPECT_EQ(s->dunning_lease_seconds, 300);
  EXPECT_EQ(s->sms_base_url, "https://api.twilio.com");
  EXPECT_FALSE(s->EmailConfigured());
  EXPECT_FALSE(s->SmsConfigured());
  EXPECT_FALSE(s->LettersConfigured());
}

TEST_F(ConfigTest, DunningSettingsFromFileEnvironmentAndFlags) {
  env_["RELANCE_CONFIG"] = WriteFile(
      "relance.toml",
      "dunning = false\ndunning_interval_seconds = 300\ndunning_lease_seconds = 120\n"
      "smtp_url = \"smtp://file.test:25\"\nsmtp_user = \"relance\"\nsmtp_password = \"pw-file\"\n"
      "sms_account_sid = \"ACfile\"\nsms_auth_token = \"tok-file\"\nsms_from = \"+33100000000\"\n"
      "postal_base_url = \"https://post.test\"\npostal_api_key = \"key-file\"\n");
  auto s = Resolve();
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_FALSE(s->dunning);
  EXPECT_EQ(s->dunning_interval_seconds, 300);
  EXPECT_EQ(s->dunning_lease_seconds, 120);
  EXPECT_EQ(s->smtp_url, "smtp://file.test:25");
  EXPECT_EQ(s->smtp_password, "pw-file");
  EXPECT_EQ(s->sms_auth_token, "tok-file");
  EXPECT_EQ(s->postal_api_key, "key-file");
  EXPECT_TRUE(s->EmailConfigured() && s->SmsConfigured() && s->LettersConfigured());

  env_["RELANCE_DUNNING"] = "true";
  env_["RELANCE_DUNNING_INTERVAL_SECONDS"] = "30";
  env_["RELANCE_SMTP_URL"] = "smtps://env.test:465";
  env_["RELANCE_SMTP_PASSWORD"] = "pw-env";
  env_["RELANCE_SMS_AUTH_TOKEN"] = "tok-env";
  s = Resolve();
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(s->dunning);
  EXPECT_EQ(s->dunning_interval_seconds, 30);
  EXPECT_EQ(s->smtp_url, "smtps://env.test:465");
  EXPECT_EQ(s->smtp_password, "pw-env");
  EXPECT_EQ(s->sms_auth_token, "tok-env");

  SettingFlags flags;
  flags.dunning = false;
  flags.dunning_interval_seconds = 5;
  flags.dunning_lease_seconds = 2;
  flags.smtp_url = "smtp://flag.test:2525";
  flags.sms_from = "Relance";
  s = Resolve(flags);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_FALSE(s->dunning);
  EXPECT_EQ(s->dunning_interval_seconds, 5);
  EXPECT_EQ(s->dunning_lease_seconds, 2);
  EXPECT_EQ(s->smtp_url, "smtp://flag.test:2525");
  EXPECT_EQ(s->sms_from, "Relance");
}

TEST_F(ConfigTest, BadDunningSettingsNameTheSource) {
  env_["RELANCE_DUNNING_INTERVAL_SECONDS"] = "0";
  auto s = Resolve();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(),
              AllOf(HasSubstr("RELANCE_DUNNING_INTERVAL_SECONDS"), HasSubstr("86400")));
  env_["RELANCE_DUNNING_INTERVAL_SECONDS"] = "1m";
  EXPECT_FALSE(Resolve().ok());
  env_.erase("RELANCE_DUNNING_INTERVAL_SECONDS");
  SettingFlags lease;
  lease.dunning_lease_seconds = 0;
  s = Resolve(lease);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), AllOf(HasSubstr("--dunning-lease-seconds"), HasSubstr("lease")));
  env_.erase("RELANCE_DUNNING_INTERVAL_SECONDS");
  env_["RELANCE_DUNNING"] = "maybe";
  s = Resolve();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), HasSubstr("RELANCE_DUNNING"));
  env_.erase("RELANCE_DUNNING");
  env_["RELANCE_CONFIG"] = WriteFile("d.toml", "dunning = \"yes\"\n");
  s = Resolve();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), AllOf(HasSubstr("dunning"), HasSubstr("true or false")));
  env_["RELANCE_CONFIG"] = WriteFile("u.toml", "smtp_url = \"http://mail.test\"\n");
  s = Resolve();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), HasSubstr("smtp://"));
}

// The invoice list's page cache (http/list_page_cache.h): 32 MiB unless set,
// 0 turns it off, the usual precedence, bounds named with their source.
TEST_F(ConfigTest, ListCacheSizeHasTheUsualPrecedenceAndBounds) {
  auto s = Resolve();
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->list_cache_mb, 32);

  env_["RELANCE_CONFIG"] = WriteFile("c.toml", "list_cache_mb = 0\n");
  s = Resolve();
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->list_cache_mb, 0);
  env_["RELANCE_LIST_CACHE_MB"] = "256";
  s = Resolve();
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->list_cache_mb, 256);
  SettingFlags flags;
  flags.list_cache_mb = 8;
  s = Resolve(flags);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->list_cache_mb, 8);

  flags.list_cache_mb = -1;
  s = Resolve(flags);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(),
              AllOf(HasSubstr("--list-cache-mb"), HasSubstr("between 0 and 65536 MiB")));
  env_["RELANCE_LIST_CACHE_MB"] = "32M";
  s = Resolve();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), AllOf(HasSubstr("RELANCE_LIST_CACHE_MB"), HasSubstr("\"32M\"")));
  env_.erase("RELANCE_LIST_CACHE_MB");
  env_["RELANCE_CONFIG"] = WriteFile("big.toml", "list_cache_mb = 100000\n");
  s = Resolve();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), AllOf(HasSubstr("key list_cache_mb"), HasSubstr("100000")));
}

// The server's pool: 8 unless set, at least what serve's parts hold at once.
TEST_F(ConfigTest, DbPoolSizeHasTheUsualPrecedenceAndBounds) {
  auto s = Resolve();
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->db_pool_size, 8);
  env_["RELANCE_CONFIG"] = WriteFile("c.toml", "db_pool_size = 20\n");
  env_["RELANCE_DB_POOL_SIZE"] = "12";
  s = Resolve();
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->db_pool_size, 12);
  SettingFlags flags;
  flags.db_pool_size = 3;
  s = Resolve(flags);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(),
              AllOf(HasSubstr("--db-pool-size"), HasSubstr("between 4 and 1000 connections")));
}

// A channel given in part is refused, naming what is missing and where to
// put it, never the secret that was given.
TEST_F(ConfigTest, AChannelGivenInPartIsAnErrorThatShowsNoSecret) {
  env_["RELANCE_SMS_ACCOUNT_SID"] = "AC123";
  env_["RELANCE_SMS_FROM"] = "+33100000000";
  auto s = Resolve();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(),
              AllOf(HasSubstr("sms_auth_token"), HasSubstr("RELANCE_SMS_AUTH_TOKEN")));
  env_["RELANCE_SMS_AUTH_TOKEN"] = "tok-very-secret";
  env_.erase("RELANCE_SMS_FROM");
  s = Resolve();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), AllOf(HasSubstr("sms_from"), Not(HasSubstr("tok-very"))));
  env_.clear();

  env_["RELANCE_SMTP_URL"] = "smtp://mail.test:25";
  env_["RELANCE_SMTP_PASSWORD"] = "pw-very-secret";
  s = Resolve();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), AllOf(HasSubstr("smtp_user"), Not(HasSubstr("pw-very"))));
  env_.clear();

  env_["RELANCE_POSTAL_BASE_URL"] = "https://post.test";
  s = Resolve();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), HasSubstr("RELANCE_POSTAL_API_KEY"));
}

}  // namespace
}  // namespace relance::cli
