#include "cli/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

namespace relance::cli {
namespace {

constexpr std::array<std::string_view, 6> kLogLevels = {"trace", "debug", "info",
                                                        "warn",  "error", "off"};

// Where a value came from, for error messages: "--port", "RELANCE_PORT",
// "key port in /etc/relance.toml".
using Source = std::string;

Result<int> CheckPort(int64_t port, const Source& source) {
  if (port < 0 || port > 65535) {
    return InvalidArgument(source + ": port must be between 0 and 65535, not " +
                           std::to_string(port));
  }
  return static_cast<int>(port);
}

Result<int> ParsePort(std::string_view text, const Source& source) {
  int64_t port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return InvalidArgument(source + ": port must be a whole number, not \"" + std::string(text) +
                           "\"");
  }
  return CheckPort(port, source);
}

Result<std::string> CheckLogLevel(std::string level, const Source& source) {
  if (!IsValidLogLevel(level)) {
    return InvalidArgument(source + ": log level must be one of trace, debug, info, warn, error, "
                                    "off, not \"" + level + "\"");
  }
  return level;
}

// An integer setting: its config key (the flag is --key-with-dashes, the
// environment variable RELANCE_KEY_IN_UPPER_CASE), its bounds, and how
// messages name it and its unit.
struct IntegerSetting {
  std::string_view key;
  int64_t min;
  int64_t max;
  std::string_view what;  // "the dunning interval"
  std::string_view unit;  // "seconds"
};

constexpr IntegerSetting kInterval{"dunning_interval_seconds", 1, 86400, "the dunning interval",
                                   "seconds"};
constexpr IntegerSetting kLease{"dunning_lease_seconds", 1, 86400, "the dunning lease",
                                "seconds"};
constexpr IntegerSetting kPoll{"sync_poll_ms", 10, 3'600'000, "the sync poll interval",
                               "milliseconds"};
constexpr IntegerSetting kListCache{"list_cache_mb", 0, 65536, "the list page cache", "MiB"};
// At least what serve's parts may hold at once (a request, the dunning
// worker's split reads, the sync runner, the import worker).
constexpr IntegerSetting kPoolSize{"db_pool_size", 4, 1000, "the server's database pool",
                                   "connections"};
constexpr std::array<const IntegerSetting*, 5> kIntegerSettings = {&kInterval, &kLease, &kPoll,
                                                                   &kListCache, &kPoolSize};

Result<int> CheckInteger(int64_t n, const Source& source, const IntegerSetting& setting) {
  if (n < setting.min || n > setting.max) {
    return InvalidArgument(source + ": " + std::string(setting.what) + " must be between " +
                           std::to_string(setting.min) + " and " + std::to_string(setting.max) +
                           " " + std::string(setting.unit) + ", not " + std::to_string(n));
  }
  return static_cast<int>(n);
}

Result<int> ParseInteger(std::string_view text, const Source& source,
                         const IntegerSetting& setting) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return InvalidArgument(source + ": " + std::string(setting.what) + " must be a whole number of " +
                           std::string(setting.unit) + ", not \"" + std::string(text) + "\"");
  }
  return CheckInteger(n, source, setting);
}

// The environment variable of a config key: "list_cache_mb" ->
// RELANCE_LIST_CACHE_MB.
std::string EnvironmentName(std::string_view key) {
  std::string name = "RELANCE_";
  for (char c : key) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

// Names where the key came from, never the key.
Result<void> CheckSecretKey(const std::string& key) {
  if (key.empty()) return Ok();
  bool hex = key.size() == 64;
  for (char c : key) hex = hex && std::isxdigit(static_cast<unsigned char>(c));
  if (!hex) {
    return InvalidArgument("secret_key (RELANCE_SECRET_KEY or key secret_key in the config file) "
                           "must be 64 hexadecimal characters (openssl rand -hex 32); the one "
                           "given has " + std::to_string(key.size()) + " characters" +
                           (key.size() == 64 ? ", not all hexadecimal" : ""));
  }
  return Ok();
}

Result<bool> ParseBool(std::string_view text, const Source& source) {
  for (auto t : {"true", "1", "on", "yes"}) {
    if (text == t) return true;
  }
  for (auto f : {"false", "0", "off", "no"}) {
    if (text == f) return false;
  }
  return InvalidArgument(source + ": must be true or false, not \"" + std::string(text) + "\"");
}

// The keys of the config file whose values are strings.
constexpr std::array<std::string_view, 17> kTextKeys = {"db",
                                                        "host",
                                                        "docs_dir",
                                                        "data_dir",
                                                        "log_level",
                                                        "smtp_url",
                                                        "smtp_user",
                                                        "smtp_password",
                                                        "sms_base_url",
                                                        "sms_account_sid",
                                                        "sms_auth_token",
                                                        "sms_from",
                                                        "postal_base_url",
                                                        "postal_api_key",
                                                        "secret_key",
                                                        "public_url",
                                                        "sellsy_client_secret"};

// The config file's values; unset members were not in the file.
struct FileValues {
  std::map<std::string, std::string, std::less<>> text;  // the kTextKeys given
  std::optional<int> port;
  std::optional<bool> dunning;
  std::map<std::string_view, int> integers;  // keyed by IntegerSetting::key
  std::optional<bool> sync;

  std::optional<std::string> Text(std::string_view key) const {
    auto it = text.find(key);
    if (it == text.end()) return std::nullopt;
    return it->second;
  }
};

Result<FileValues> ReadConfigFile(const std::string& path) {
  // toml++ reports a missing file as a parse error with no position; check
  // first so the message says what a user would look for.
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read config file " + path);
  std::stringstream text;
  text << in.rdbuf();

  toml::table table;
  try {
    // The exception adapter: toml++ reports syntax errors by throwing.
    table = toml::parse(text.str(), path);
  } catch (const toml::parse_error& e) {
    return InvalidArgument("config file " + path + " line " +
                           std::to_string(e.source().begin.line) + ": " +
                           std::string(e.description()));
  }

  FileValues values;
  for (auto&& [key, node] : table) {
    const std::string name(key.str());
    const Source source = "key " + name + " in config file " + path;
    if (name == "port") {
      auto p = node.value_exact<int64_t>();
      if (!p) return InvalidArgument(source + " must be an integer");
      ASSIGN_OR_RETURN(values.port, CheckPort(*p, source));
    } else if (name == "dunning") {
      auto b = node.value_exact<bool>();
      if (!b) return InvalidArgument(source + " must be true or false");
      values.dunning = *b;
    } else if (name == "sync") {
      auto b = node.value_exact<bool>();
      if (!b) return InvalidArgument(source + " must be true or false");
      values.sync = *b;
    } else if (auto setting = std::find_if(kIntegerSettings.begin(), kIntegerSettings.end(),
                                           [&](auto* i) { return i->key == name; });
               setting != kIntegerSettings.end()) {
      auto n = node.value_exact<int64_t>();
      if (!n) return InvalidArgument(source + " must be an integer");
      ASSIGN_OR_RETURN(values.integers[(*setting)->key], CheckInteger(*n, source, **setting));
    } else if (std::find(kTextKeys.begin(), kTextKeys.end(), name) != kTextKeys.end()) {
      auto text_value = node.value_exact<std::string>();
      if (!text_value) return InvalidArgument(source + " must be a string");
      if (name == "log_level") {
        ASSIGN_OR_RETURN(std::string level, CheckLogLevel(*text_value, source));
        values.text[name] = std::move(level);
      } else {
        values.text[name] = *text_value;
      }
    } else {
      // A typo ("prot") silently falling back to a default is worse than a
      // refusal to start.
      std::string known = "port, dunning, sync";
      for (auto* i : kIntegerSettings) known += ", " + std::string(i->key);
      for (auto k : kTextKeys) known += ", " + std::string(k);
      return InvalidArgument("unknown key \"" + name + "\" in config file " + path +
                             " (known keys: " + known + ")");
    }
  }
  return values;
}

// The highest-precedence value among flag, environment and file, if any.
template <typename T>
std::optional<T> Pick(const std::optional<T>& flag, const std::optional<T>& env,
                      const std::optional<T>& file) {
  if (flag) return flag;
  if (env) return env;
  return file;
}

// Where a setting may be given, for messages about it (never its value).
std::string Where(std::string_view key, bool has_flag) {
  std::string env_name = "RELANCE_";
  std::string flag = "--";
  for (char c : key) {
    env_name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    flag += c == '_' ? '-' : c;
  }
  return std::string(key) + " (" + (has_flag ? flag + ", " : "") + env_name + " or key " +
         std::string(key) + " in the config file)";
}

// A channel is given whole or not at all.
Result<void> CheckChannels(const Settings& s) {
  auto need = [](bool given, bool missing, std::string_view have, std::string_view lacks,
                 bool lacks_flag) -> Result<void> {
    if (given && missing) {
      return InvalidArgument(std::string(have) + " is set but " + Where(lacks, lacks_flag) +
                             " is not");
    }
    return Ok();
  };
  if (!s.smtp_url.empty() && s.smtp_url.rfind("smtp://", 0) != 0 &&
      s.smtp_url.rfind("smtps://", 0) != 0) {
    return InvalidArgument(
        "smtp_url must start with smtp:// or smtps:// (e.g. "
        "smtp://mail.example.com:587)");
  }
  RETURN_IF_ERROR(
      need(!s.smtp_user.empty(), s.smtp_password.empty(), "smtp_user", "smtp_password", false));
  RETURN_IF_ERROR(
      need(!s.smtp_password.empty(), s.smtp_user.empty(), "smtp_password", "smtp_user", true));
  RETURN_IF_ERROR(need(!s.smtp_user.empty(), s.smtp_url.empty(), "smtp_user", "smtp_url", true));
  const bool sms = !s.sms_account_sid.empty() || !s.sms_auth_token.empty() || !s.sms_from.empty();
  for (auto [key, has_flag, missing] :
       {std::tuple{"sms_account_sid", true, s.sms_account_sid.empty()},
        std::tuple{"sms_auth_token", false, s.sms_auth_token.empty()},
        std::tuple{"sms_from", true, s.sms_from.empty()}}) {
    if (sms && missing) {
      return InvalidArgument("SMS is configured in part (sms_account_sid, sms_auth_token and "
                             "sms_from go together): " + Where(key, has_flag) + " is not set");
    }
  }
  if (sms && s.sms_base_url.empty()) {
    return InvalidArgument("sms_base_url must not be empty when SMS is configured");
  }
  RETURN_IF_ERROR(need(!s.postal_base_url.empty(), s.postal_api_key.empty(), "postal_base_url",
                       "postal_api_key", false));
  RETURN_IF_ERROR(need(!s.postal_api_key.empty(), s.postal_base_url.empty(), "postal_api_key",
                       "postal_base_url", true));
  return Ok();
}

}  // namespace

bool IsValidLogLevel(std::string_view level) {
  for (auto l : kLogLevels) {
    if (l == level) return true;
  }
  return false;
}

EnvironmentLookup ProcessEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Result<Settings> ResolveSettings(const SettingFlags& flags, const EnvironmentLookup& env) {
  auto lookup = [&](std::string_view name) -> std::optional<std::string> {
    auto v = env(name);
    if (v && v->empty()) return std::nullopt;
    return v;
  };

  FileValues file;
  if (auto path = Pick(flags.config_file, lookup("RELANCE_CONFIG"), {})) {
    ASSIGN_OR_RETURN(file, ReadConfigFile(*path));
  }

  std::optional<int> env_port;
  if (auto p = lookup("RELANCE_PORT")) {
    ASSIGN_OR_RETURN(env_port, ParsePort(*p, "RELANCE_PORT"));
  }
  std::optional<std::string> env_level;
  if (auto l = lookup("RELANCE_LOG_LEVEL")) {
    ASSIGN_OR_RETURN(env_level, CheckLogLevel(*l, "RELANCE_LOG_LEVEL"));
  }
  std::optional<int> flag_port;
  if (flags.port) {
    ASSIGN_OR_RETURN(flag_port, CheckPort(*flags.port, "--port"));
  }
  std::optional<std::string> flag_level;
  if (flags.log_level) {
    ASSIGN_OR_RETURN(flag_level, CheckLogLevel(*flags.log_level, "--log-level"));
  }

  Settings s;
  if (auto v = Pick(flags.db, lookup("RELANCE_DB"), file.Text("db"))) s.db = *v;
  if (auto v = Pick(flag_port, env_port, file.port)) s.port = *v;
  if (auto v = Pick(flags.host, lookup("RELANCE_HOST"), file.Text("host"))) s.host = *v;
  s.docs_dir = Pick(flags.docs_dir, lookup("RELANCE_DOCS_DIR"), file.Text("docs_dir"));
  if (auto v = Pick(flag_level, env_level, file.Text("log_level"))) s.log_level = *v;
  if (auto v = Pick(flags.data_dir, lookup("RELANCE_DATA_DIR"), file.Text("data_dir"))) {
    s.data_dir = *v;
  }
  std::optional<bool> env_dunning;
  if (auto v = lookup("RELANCE_DUNNING")) {
    ASSIGN_OR_RETURN(env_dunning, ParseBool(*v, "RELANCE_DUNNING"));
  }
  // An integer setting: flag > RELANCE_<KEY> > the file.
  auto integer = [&](const IntegerSetting& setting, const std::optional<int>& flag,
                     int& out) -> Result<void> {
    const std::string env_name = EnvironmentName(setting.key);
    std::string flag_name = "--";
    for (char c : setting.key) flag_name += c == '_' ? '-' : c;
    std::optional<int> f, e, from_file;
    if (flag) {
      ASSIGN_OR_RETURN(f, CheckInteger(*flag, flag_name, setting));
    }
    if (auto v = lookup(env_name)) {
      ASSIGN_OR_RETURN(e, ParseInteger(*v, env_name, setting));
    }
    if (auto it = file.integers.find(setting.key); it != file.integers.end()) {
      from_file = it->second;
    }
    if (auto v = Pick(f, e, from_file)) out = *v;
    return Ok();
  };
  RETURN_IF_ERROR(integer(kInterval, flags.dunning_interval_seconds, s.dunning_interval_seconds));
  RETURN_IF_ERROR(integer(kLease, flags.dunning_lease_seconds, s.dunning_lease_seconds));
  RETURN_IF_ERROR(integer(kPoll, flags.sync_poll_ms, s.sync_poll_ms));
  RETURN_IF_ERROR(integer(kListCache, flags.list_cache_mb, s.list_cache_mb));
  RETURN_IF_ERROR(integer(kPoolSize, flags.db_pool_size, s.db_pool_size));
  if (auto v = Pick(flags.dunning, env_dunning, file.dunning)) s.dunning = *v;
  // A string setting: flag (when it has one) > RELANCE_<NAME> > the file.
  auto text = [&](std::string_view key, const std::optional<std::string>& flag, std::string& out) {
    if (auto v = Pick(flag, lookup(EnvironmentName(key)), file.Text(key))) out = *v;
  };
  text("smtp_url", flags.smtp_url, s.smtp_url);
  text("smtp_user", flags.smtp_user, s.smtp_user);
  text("smtp_password", std::nullopt, s.smtp_password);
  text("sms_base_url", flags.sms_base_url, s.sms_base_url);
  text("sms_account_sid", flags.sms_account_sid, s.sms_account_sid);
  text("sms_auth_token", std::nullopt, s.sms_auth_token);
  text("sms_from", flags.sms_from, s.sms_from);
  text("postal_base_url", flags.postal_base_url, s.postal_base_url);
  text("postal_api_key", std::nullopt, s.postal_api_key);
  RETURN_IF_ERROR(CheckChannels(s));

  text("secret_key", std::nullopt, s.secret_key);
  RETURN_IF_ERROR(CheckSecretKey(s.secret_key));
  text("public_url", flags.public_url, s.public_url);
  if (!s.public_url.empty() && s.public_url.rfind("http://", 0) != 0 &&
      s.public_url.rfind("https://", 0) != 0) {
    return InvalidArgument("public_url must start with http:// or https:// (the address at "
                           "which the connected systems reach this server), not \"" +
                           s.public_url + "\"");
  }
  text("sellsy_client_secret", std::nullopt, s.sellsy_client_secret);
  std::optional<bool> env_sync;
  if (auto v = lookup("RELANCE_SYNC")) {
    ASSIGN_OR_RETURN(env_sync, ParseBool(*v, "RELANCE_SYNC"));
  }
  if (auto v = Pick(flags.sync, env_sync, file.sync)) s.sync = *v;

  if (s.db.empty()) return InvalidArgument("the database location (--db) must not be empty");
  if (s.host.empty()) return InvalidArgument("the host (--host) must not be empty");
  if (s.data_dir.empty()) return InvalidArgument("the data folder (--data-dir) must not be empty");
  return s;
}

}  // namespace relance::cli
