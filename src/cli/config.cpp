#include "cli/config.h"

#include <array>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

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

// The config file's values; unset members were not in the file.
struct FileValues {
  std::optional<std::string> db, host, docs_dir, log_level, data_dir;
  std::optional<int> port;
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
    auto text_value = [&]() -> Result<std::string> {
      if (auto s = node.value_exact<std::string>()) return *s;
      return InvalidArgument(source + " must be a string");
    };
    if (name == "port") {
      auto p = node.value_exact<int64_t>();
      if (!p) return InvalidArgument(source + " must be an integer");
      ASSIGN_OR_RETURN(values.port, CheckPort(*p, source));
    } else if (name == "db") {
      ASSIGN_OR_RETURN(values.db, text_value());
    } else if (name == "host") {
      ASSIGN_OR_RETURN(values.host, text_value());
    } else if (name == "docs_dir") {
      ASSIGN_OR_RETURN(values.docs_dir, text_value());
    } else if (name == "data_dir") {
      ASSIGN_OR_RETURN(values.data_dir, text_value());
    } else if (name == "log_level") {
      ASSIGN_OR_RETURN(std::string level, text_value());
      ASSIGN_OR_RETURN(values.log_level, CheckLogLevel(std::move(level), source));
    } else {
      // A typo ("prot") silently falling back to a default is worse than a
      // refusal to start.
      return InvalidArgument("unknown key \"" + name + "\" in config file " + path +
                             " (known keys: db, port, host, docs_dir, data_dir, log_level)");
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
  if (auto v = Pick(flags.db, lookup("RELANCE_DB"), file.db)) s.db = *v;
  if (auto v = Pick(flag_port, env_port, file.port)) s.port = *v;
  if (auto v = Pick(flags.host, lookup("RELANCE_HOST"), file.host)) s.host = *v;
  s.docs_dir = Pick(flags.docs_dir, lookup("RELANCE_DOCS_DIR"), file.docs_dir);
  if (auto v = Pick(flag_level, env_level, file.log_level)) s.log_level = *v;
  if (auto v = Pick(flags.data_dir, lookup("RELANCE_DATA_DIR"), file.data_dir)) s.data_dir = *v;
  if (s.db.empty()) return InvalidArgument("the database location (--db) must not be empty");
  if (s.host.empty()) return InvalidArgument("the host (--host) must not be empty");
  if (s.data_dir.empty()) return InvalidArgument("the data folder (--data-dir) must not be empty");
  return s;
}

}  // namespace relance::cli
