#include "cli/cli.h"

#include <istream>
#include <memory>
#include <ostream>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"

namespace relance::cli {
namespace {

// Logs go to stderr: stdout carries the ids and tokens scripts capture.
void ConfigureLogging(const std::string& level) {
  auto logger = std::make_shared<spdlog::logger>(
      "relance", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  logger->set_level(spdlog::level::from_str(level));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  spdlog::set_default_logger(std::move(logger));
}

// The options every subcommand takes (where the database is, how to log).
void AddCommonOptions(CLI::App& cmd, SettingFlags& flags) {
  cmd.add_option("--db", flags.db,
                 "SQLite database file or postgresql:// URL (env RELANCE_DB; default " +
                     std::string(kDefaultDb) + ")");
  cmd.add_option("--config", flags.config_file,
                 "TOML config file with keys db, port, host, docs_dir, data_dir, log_level "
                 "(env RELANCE_CONFIG)");
  cmd.add_option("--log-level", flags.log_level,
                 "trace, debug, info, warn, error or off (env RELANCE_LOG_LEVEL; default info)");
}

// Where `user create` gets its password: never from a flag, which any user
// of the machine could read in `ps`.
struct PasswordSource {
  bool from_stdin = false;
};

Result<std::string> ReadPassword(const PasswordSource& source, const CliEnvironment& env) {
  if (source.from_stdin) {
    std::string line;
    if (!std::getline(env.in, line) && line.empty()) {
      return Error(ErrorCode::kMalformed, "--password-stdin: no password on standard input");
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      return Error(ErrorCode::kMalformed, "--password-stdin: the line read is empty");
    }
    return line;
  }
  if (auto p = env.env("RELANCE_PASSWORD"); p && !p->empty()) return *p;
  return Error(ErrorCode::kMalformed,
               "user create needs a password: write it on standard input with "
               "--password-stdin, or set RELANCE_PASSWORD");
}

void PrintError(const CliEnvironment& env, const std::string& command, const Error& e) {
  env.err << "relance " << command << ": error: " << e.message() << "\n";
  for (const auto& d : e.details()) {
    // The message usually repeats the first detail; list them all only when
    // there are several, so a client fixing input sees each field.
    if (e.details().size() > 1) env.err << "  " << d.field << ": " << d.message << "\n";
  }
}

}  // namespace

int RunCli(int argc, const char* const* argv, const CliEnvironment& env) {
  CLI::App app("Relance: receivables platform (server and administration)", "relance");
  app.require_subcommand(1);
  app.footer(
      "Settings: flag > environment > config file > default. Exit codes: 0 ok, 64 usage, "
      "65 invalid input, 66 not found, 69 unavailable, 70 internal, 73 already exists, "
      "75 conflict, 77 not allowed.");

  SettingFlags flags;

  CLI::App* serve = app.add_subcommand("serve", "Run the HTTP server (REST API, /docs, /healthz)");
  AddCommonOptions(*serve, flags);
  serve->add_option("--port", flags.port, "TCP port, 0 for any free one (env RELANCE_PORT; default 8080)");
  serve->add_option("--host", flags.host,
                    "address to listen on (env RELANCE_HOST; default " +
                        std::string(kDefaultHost) + ", all interfaces)");
  serve->add_option("--data-dir", flags.data_dir,
                    "folder for files the server keeps, such as uploaded imports (env "
                    "RELANCE_DATA_DIR; default " + std::string(kDefaultDataDir) + ")");
  serve->add_option("--docs-dir", flags.docs_dir,
                    "folder of swagger-ui-dist, served at /docs (env RELANCE_DOCS_DIR)");
  ServeOptions serve_options;
  serve->add_flag("--demo", serve_options.demo,
                  "seed the demo organization on first start (reused afterwards)");

  CLI::App* migrate = app.add_subcommand("migrate", "Apply the database migrations not yet applied");
  AddCommonOptions(*migrate, flags);

  CLI::App* org = app.add_subcommand("org", "Manage organizations");
  org->require_subcommand(1);
  CLI::App* org_create = org->add_subcommand("create", "Create an organization; prints its id");
  AddCommonOptions(*org_create, flags);
  OrgCreateOptions org_options;
  org_create->add_option("--name", org_options.name, "organization name")->required();
  org_create->add_option("--time-zone", org_options.time_zone, "IANA time zone")
      ->capture_default_str();
  org_create->add_option("--currency", org_options.currency, "default ISO 4217 currency")
      ->capture_default_str();
  org_create->add_option("--language", org_options.language, "fr or en")
      ->check(CLI::IsMember({"fr", "en"}))
      ->capture_default_str();

  CLI::App* user = app.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  CLI::App* user_create = user->add_subcommand(
      "create", "Create a user; prints its id. The password comes from --password-stdin or "
                "RELANCE_PASSWORD (at least 10 characters)");
  AddCommonOptions(*user_create, flags);
  UserCreateOptions user_options;
  PasswordSource password_source;
  user_create->add_option("--org", user_options.org_id, "organization id (org_...)")->required();
  user_create->add_option("--email", user_options.email, "login e-mail")->required();
  user_create->add_option("--name", user_options.name, "display name")->required();
  user_create->add_option("--role", user_options.role, "ADMIN, MEMBER or READ_ONLY")
      ->check(CLI::IsMember({"ADMIN", "MEMBER", "READ_ONLY"}))
      ->capture_default_str();
  user_create->add_option("--language", user_options.language, "fr or en")
      ->check(CLI::IsMember({"fr", "en"}));
  user_create->add_flag("--password-stdin", password_source.from_stdin,
                        "read the password from the first line of standard input");

  CLI::App* token = app.add_subcommand("token", "Manage API tokens");
  token->require_subcommand(1);
  CLI::App* token_create = token->add_subcommand(
      "create", "Create an API token for a user; prints it (shown once only)");
  AddCommonOptions(*token_create, flags);
  TokenCreateOptions token_options;
  token_create->add_option("--org", token_options.org_id, "organization id (org_...)")->required();
  token_create->add_option("--user", token_options.user_id, "user id (usr_...)")->required();
  token_create->add_option("--name", token_options.name, "what the token is for")->required();

  CLI::App* import = app.add_subcommand("import", "Import records from a file");
  import->require_subcommand(1);
  CLI::App* import_customers = import->add_subcommand(
      "customers",
      "Import customers and contacts from a CSV, XLSX, XLS or XLSB file (upsert: existing "
      "customers by external id, else name; contacts by e-mail). Nothing is written unless "
      "every row is valid, or with --keep-valid the valid rows are");
  AddCommonOptions(*import_customers, flags);
  import_customers->add_option("--data-dir", flags.data_dir,
                               "folder for files the server keeps (env RELANCE_DATA_DIR)");
  ImportOptions import_options;
  import_customers->add_option("FILE", import_options.file, "the file to import")->required();
  import_customers->add_option("--org", import_options.org_id, "organization id (org_...)")
      ->required();
  import_customers->add_option("--as", import_options.user_email,
                               "run as this user (e-mail); default: the first administrator");
  import_customers->add_option("--mapping", import_options.mapping,
                               "auto (proposed from the header) or a JSON file of corrections "
                               "{\"header\": \"field\" or null}")
      ->capture_default_str();
  import_customers->add_option("--sheet", import_options.sheet,
                               "spreadsheets: the sheet to read (default: the first visible)");
  import_customers->add_flag("--keep-valid", import_options.keep_valid,
                             "write the valid rows even when others are rejected");
  import_customers->add_flag("--dry-run", import_options.dry_run,
                             "validate and count; write nothing");
  import_customers->add_flag("--preview", import_options.preview_only,
                             "print the detected format and the proposed mapping, and stop");
  import_customers->add_option("--report", import_options.report,
                               "write the report of rejected rows to this CSV file");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help is a success printed on stdout; every other parse error is a
    // usage error (CLI11's own codes are not sysexits).
    int code = app.exit(e, env.out, env.err);
    return code == 0 ? 0 : kExitUsage;
  }

  // The full command name, for error messages ("user create").
  std::string command;
  for (const CLI::App* sub = &app; !sub->get_subcommands().empty();) {
    sub = sub->get_subcommands().front();
    command += (command.empty() ? "" : " ") + sub->get_name();
  }

  auto settings = ResolveSettings(flags, env.env);
  if (!settings.ok()) {
    PrintError(env, command, settings.error());
    return kExitUsage;
  }
  ConfigureLogging(settings->log_level);

  Result<void> result = Ok();
  if (serve->parsed()) {
    result = RunServe(*settings, serve_options, env);
  } else if (migrate->parsed()) {
    result = RunMigrate(*settings, env);
  } else if (org_create->parsed()) {
    result = RunOrgCreate(*settings, org_options, env);
  } else if (user_create->parsed()) {
    auto password = ReadPassword(password_source, env);
    if (!password.ok()) {
      PrintError(env, command, password.error());
      return kExitUsage;
    }
    user_options.password = std::move(password).value();
    result = RunUserCreate(*settings, user_options, env);
  } else if (token_create->parsed()) {
    result = RunTokenCreate(*settings, token_options, env);
  } else if (import_customers->parsed()) {
    result = RunImportCustomers(*settings, import_options, env);
  }
  if (!result.ok()) {
    PrintError(env, command, result.error());
    return ExitCode(result.error().code());
  }
  return 0;
}

}  // namespace relance::cli
