// The server's settings and where each one comes from. Precedence, highest
// first: command-line flag > environment variable > TOML config file >
// built-in default. The config file is the one named by --config, else by
// RELANCE_CONFIG; without either, no file is read.
//
//   setting    flag          environment        TOML key    default
//   db         --db          RELANCE_DB         db          var/relance.db
//   port       --port        RELANCE_PORT       port        8080
//   host       --host        RELANCE_HOST       host        0.0.0.0
//   docs_dir   --docs-dir    RELANCE_DOCS_DIR   docs_dir    (none: /docs says so)
//   log_level  --log-level   RELANCE_LOG_LEVEL  log_level   info
//   data_dir   --data-dir    RELANCE_DATA_DIR   data_dir    var/data (uploaded import files)
//   list_cache_mb  --list-cache-mb  RELANCE_LIST_CACHE_MB  list_cache_mb  32
//              (MiB of rendered invoice list pages the server keeps; 0 turns
//              the cache off; http/list_page_cache.h)
//   db_pool_size  --db-pool-size  RELANCE_DB_POOL_SIZE  db_pool_size  8
//              (database connections `relance serve` keeps, 4 to 1000)
//
// The dunning worker of `relance serve` and `relance dunning run`, and its
// delivery channels (a channel without settings is off: its actions wait).
// Flag --name-with-dashes, environment RELANCE_NAME_IN_UPPER_CASE:
//
//   setting                   flag?       default
//   dunning                   --no-dunning  true (RELANCE_DUNNING=false turns it off)
//   dunning_interval_seconds  yes         60
//   dunning_lease_seconds     yes         300 (a claimed send's lease, executor.h)
//   smtp_url                  yes         (no e-mail) smtp://host:587 or smtps://host:465
//   smtp_user                 yes
//   smtp_password             no: secret
//   sms_base_url              yes         https://api.twilio.com
//   sms_account_sid           yes         (no SMS)
//   sms_auth_token            no: secret
//   sms_from                  yes
//   postal_base_url           yes         (no letters)
//   postal_api_key            no: secret
//
// Connections to external systems (src/sync) and the sync runner of
// `relance serve`:
//
//   setting               flag?        default
//   secret_key            no: secret   <data_dir>/secret.key, created on first use (mode 0600)
//   public_url            yes          http://127.0.0.1:<port> (how sources reach /webhooks)
//   sync                  --no-sync    true (RELANCE_SYNC=false turns the runner off)
//   sync_poll_ms          yes          1000 (how often the runner looks for due syncs)
//   sellsy_client_secret  no: secret   (for `relance connect sellsy`)
//
// secret_key is 64 hexadecimal characters (openssl rand -hex 32): it seals
// the connections' secrets, so the server and the CLI must use the same.
//
// The TOML key is the setting's name. Secrets have no flag, so that they
// never show in `ps`; they are never printed or logged, and error messages
// name them without their value. A channel given only in part (an SMS
// account without its token, an SMTP user without a password) is an error
// rather than a channel that silently stays off.
//
// The default host is 0.0.0.0 (every interface) so that `make run` inside a
// container or VM can be opened from the host's browser; set
// RELANCE_HOST=127.0.0.1 to keep a server on loopback only.
//
// Resolution is a pure function of its inputs (the environment is passed
// in), so tests need not touch the process environment. Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace relance::cli {

inline constexpr std::string_view kDefaultDb = "var/relance.db";
inline constexpr int kDefaultPort = 8080;
inline constexpr std::string_view kDefaultHost = "0.0.0.0";
inline constexpr std::string_view kDefaultLogLevel = "info";
inline constexpr std::string_view kDefaultDataDir = "var/data";
inline constexpr int kDefaultDunningIntervalSeconds = 60;
inline constexpr int kDefaultDunningLeaseSeconds = 300;
inline constexpr std::string_view kDefaultSmsBaseUrl = "https://api.twilio.com";
inline constexpr int kDefaultSyncPollMs = 1000;
inline constexpr int kDefaultListCacheMb = 32;
// Two per CPU of the machines measured (bench/RESULTS.md): more PostgreSQL
// backends than that only take turns on the CPUs, and the tail grows.
inline constexpr int kDefaultDbPoolSize = 8;

struct Settings {
  std::string db{kDefaultDb};  // SQLite file path or postgresql:// URL
  int port = kDefaultPort;     // 0..65535; 0 = any free port
  std::string host{kDefaultHost};
  std::optional<std::string> docs_dir;  // Swagger UI files served at /docs
  std::string log_level{kDefaultLogLevel};  // trace, debug, info, warn, error, off
  std::string data_dir{kDefaultDataDir};  // files kept by the server (uploads)
  int list_cache_mb = kDefaultListCacheMb;  // 0..65536; 0 = no list page cache
  int db_pool_size = kDefaultDbPoolSize;    // 4..1000 connections of `serve`

  // Dunning (empty strings: not configured).
  bool dunning = true;  // run the dunning worker in `serve`
  int dunning_interval_seconds = kDefaultDunningIntervalSeconds;  // 1..86400
  int dunning_lease_seconds = kDefaultDunningLeaseSeconds;        // 1..86400
  std::string smtp_url;  // smtp://host:port or smtps://host:port; empty: no e-mail
  std::string smtp_user;
  std::string smtp_password;  // secret
  std::string sms_base_url{kDefaultSmsBaseUrl};
  std::string sms_account_sid;  // empty: no SMS
  std::string sms_auth_token;   // secret
  std::string sms_from;
  std::string postal_base_url;  // empty: no letters
  std::string postal_api_key;   // secret

  // Sync (connections to external systems).
  std::string secret_key;  // secret; 64 hex characters; empty: the key file
  std::string public_url;  // empty: http://127.0.0.1:<port>
  bool sync = true;        // run the sync runner in `serve`
  int sync_poll_ms = kDefaultSyncPollMs;  // 10..3600000
  std::string sellsy_client_secret;       // secret; for `relance connect sellsy`

  bool EmailConfigured() const { return !smtp_url.empty(); }
  bool SmsConfigured() const { return !sms_account_sid.empty(); }
  bool LettersConfigured() const { return !postal_base_url.empty(); }
};

// What the command line gave; unset members were not given.
struct SettingFlags {
  std::optional<std::string> db;
  std::optional<int> port;
  std::optional<std::string> host;
  std::optional<std::string> docs_dir;
  std::optional<std::string> log_level;
  std::optional<std::string> data_dir;
  std::optional<std::string> config_file;
  std::optional<bool> dunning;
  std::optional<int> dunning_interval_seconds;
  std::optional<int> dunning_lease_seconds;
  std::optional<std::string> smtp_url;
  std::optional<std::string> smtp_user;
  std::optional<std::string> sms_base_url;
  std::optional<std::string> sms_account_sid;
  std::optional<std::string> sms_from;
  std::optional<std::string> postal_base_url;
  std::optional<std::string> public_url;
  std::optional<bool> sync;
  std::optional<int> sync_poll_ms;
  std::optional<int> list_cache_mb;
  std::optional<int> db_pool_size;
};

// Reads one environment variable; nullopt when it is unset.
using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The real process environment (std::getenv).
EnvironmentLookup ProcessEnvironment();

// Resolves every setting. Errors (kInvalidArgument) name what is wrong and
// where it came from: an unreadable or malformed config file (with its line),
// an unknown key in it, a value of the wrong type, a port out of range, an
// unknown log level, a dunning interval out of range, a delivery channel
// given in part, a secret key that is not 64 hexadecimal characters, a sync
// poll interval, list cache size or pool size out of range, a public URL that is not
// http(s). An empty
// environment variable counts as unset.
Result<Settings> ResolveSettings(const SettingFlags& flags, const EnvironmentLookup& env);

// True for the names spdlog knows that we accept.
bool IsValidLogLevel(std::string_view level);

}  // namespace relance::cli
