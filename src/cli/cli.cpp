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
                 "TOML config file with keys db, port, host, docs_dir, data_dir, log_level and "
                 "the dunning settings (env RELANCE_CONFIG)");
  cmd.add_option("--log-level", flags.log_level,
                 "trace, debug, info, warn, error or off (env RELANCE_LOG_LEVEL; default info)");
}

// The delivery channels of the dunning worker. Secrets (smtp_password,
// sms_auth_token, postal_api_key) have no flag: any user of the machine can
// read a command line in `ps`; they come from the environment or the file.
void AddChannelOptions(CLI::App& cmd, SettingFlags& flags) {
  cmd.add_option("--smtp-url", flags.smtp_url,
                 "SMTP server for e-mails, smtp://host:587 (STARTTLS when offered) or "
                 "smtps://host:465 (env RELANCE_SMTP_URL; password in RELANCE_SMTP_PASSWORD)");
  cmd.add_option("--smtp-user", flags.smtp_user, "SMTP login (env RELANCE_SMTP_USER)");
  cmd.add_option("--sms-base-url", flags.sms_base_url,
                 "Twilio-style SMS API (env RELANCE_SMS_BASE_URL; default " +
                     std::string(kDefaultSmsBaseUrl) + ")");
  cmd.add_option("--sms-account-sid", flags.sms_account_sid,
                 "SMS account SID (env RELANCE_SMS_ACCOUNT_SID; token in RELANCE_SMS_AUTH_TOKEN)");
  cmd.add_option("--sms-from", flags.sms_from, "SMS sender number or name (env RELANCE_SMS_FROM)");
  cmd.add_option("--postal-base-url", flags.postal_base_url,
                 "postal letters API (env RELANCE_POSTAL_BASE_URL; key in "
                 "RELANCE_POSTAL_API_KEY)");
}

// The options of the `todo` verbs that act on actions.
void AddActingOptions(CLI::App& cmd, TodoOptions& o) {
  cmd.add_option("--org", o.org_id,
                 "organization id (org_...); default: the one the action belongs to");
  cmd.add_option("--as", o.user_email,
                 "act as this user (e-mail); default: the organization's first administrator");
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
  bool no_dunning = false;
  serve->add_flag("--no-dunning", no_dunning,
                  "do not run the dunning worker (env RELANCE_DUNNING=false)");
  serve->add_option("--dunning-interval-seconds", flags.dunning_interval_seconds,
                    "how often the dunning worker plans and sends (env "
                    "RELANCE_DUNNING_INTERVAL_SECONDS; default 60)");
  serve->add_option("--dunning-lease-seconds", flags.dunning_lease_seconds,
                    "how long a claimed send may take before another worker takes it over (env "
                    "RELANCE_DUNNING_LEASE_SECONDS; default 300)");
  AddChannelOptions(*serve, flags);
  bool no_sync = false;
  serve->add_flag("--no-sync", no_sync,
                  "do not run the sync runner of the connections (env RELANCE_SYNC=false)");
  serve->add_option("--sync-poll-ms", flags.sync_poll_ms,
                    "how often the sync runner looks for due syncs, in milliseconds (env "
                    "RELANCE_SYNC_POLL_MS; default 1000)");
  serve->add_option("--list-cache-mb", flags.list_cache_mb,
                    "MiB of rendered invoice list pages kept in memory; 0 turns the cache off "
                    "(env RELANCE_LIST_CACHE_MB; default 32)");
  serve->add_option("--db-pool-size", flags.db_pool_size,
                    "database connections the server keeps open at most, 4 to 1000 (env "
                    "RELANCE_DB_POOL_SIZE; default 8)");
  serve->add_option("--public-url", flags.public_url,
                    "base URL at which connected systems reach this server's webhooks (env "
                    "RELANCE_PUBLIC_URL; default http://127.0.0.1:<port>)");

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

  CLI::App* dunning = app.add_subcommand("dunning", "Run the dunning engine by hand");
  dunning->require_subcommand(1);
  DunningOptions dunning_options;
  CLI::App* dunning_plan = dunning->add_subcommand(
      "plan",
      "Dry run: list the actions the planner would decide (reminders, invoices to send, calls, "
      "tasks), with their due time in the organization's zone; writes nothing");
  AddCommonOptions(*dunning_plan, flags);
  dunning_plan->add_option("--org", dunning_options.org_id, "organization id (org_...)")
      ->required();
  dunning_plan->add_option("--at", dunning_options.at,
                           "plan for this moment: 2026-03-12 (the send hour that day), "
                           "\"2026-03-12 14:30\" (local time) or RFC 3339; default now");
  CLI::App* dunning_run = dunning->add_subcommand(
      "run",
      "Plan the organization now (storing the new actions), then send its due actions once "
      "with the configured channels, and print what happened");
  AddCommonOptions(*dunning_run, flags);
  AddChannelOptions(*dunning_run, flags);
  dunning_run->add_option("--dunning-lease-seconds", flags.dunning_lease_seconds,
                          "how long a claimed send may take (env RELANCE_DUNNING_LEASE_SECONDS; "
                          "default 300)");
  dunning_run->add_option("--org", dunning_options.org_id, "organization id (org_...)")->required();

  CLI::App* mail = app.add_subcommand("mail", "Mail received for the organization");
  mail->require_subcommand(1);
  MailBounceOptions mail_options;
  CLI::App* mail_bounce = mail->add_subcommand(
      "bounce",
      "Apply a bounce (a delivery status notification) received after the SMTP server accepted "
      "a message: its action becomes a permanent failure in the to-do list. Reads the raw "
      "message from FILE or standard input, so a mail alias can pipe bounces to it");
  AddCommonOptions(*mail_bounce, flags);
  mail_bounce->add_option("FILE", mail_options.file, "the message, or - for standard input")
      ->capture_default_str();
  mail_bounce->add_option("--org", mail_options.org_id, "organization id (org_...)")->required();
  mail_bounce->add_option("--as", mail_options.user_email,
                          "act as this user (e-mail); default: the first administrator");

  // Connections to external systems. The secret key (RELANCE_SECRET_KEY, or
  // <data-dir>/secret.key) must be the server's, to seal and open secrets.
  auto add_sync_common = [&](CLI::App& cmd) {
    AddCommonOptions(cmd, flags);
    cmd.add_option("--data-dir", flags.data_dir,
                   "the server's data folder, where secret.key is kept unless RELANCE_SECRET_KEY "
                   "is set (env RELANCE_DATA_DIR; default " + std::string(kDefaultDataDir) + ")");
  };
  CLI::App* connect = app.add_subcommand("connect", "Connect an organization to an external system");
  connect->require_subcommand(1);
  ConnectOptions connect_options;
  CLI::App* connect_sellsy = connect->add_subcommand(
      "sellsy",
      "Connect to Sellsy: test the credentials (nothing is stored if Sellsy refuses them), create "
      "the connection and print its id; the client secret comes from "
      "RELANCE_SELLSY_CLIENT_SECRET or key sellsy_client_secret in the config file");
  add_sync_common(*connect_sellsy);
  connect_sellsy->add_option("--org", connect_options.org_id, "organization id (org_...)")
      ->required();
  connect_sellsy->add_option("--name", connect_options.name, "name of the connection")
      ->required();
  connect_sellsy->add_option("--api-url", connect_options.api_url,
                             "Sellsy API base, e.g. https://api.sellsy.com/v2")
      ->required();
  connect_sellsy->add_option("--token-url", connect_options.token_url,
                             "OAuth2 token URL, e.g. https://login.sellsy.com/oauth2/access-tokens")
      ->required();
  connect_sellsy->add_option("--client-id", connect_options.client_id, "OAuth2 client id")
      ->required();
  connect_sellsy->add_option("--public-url", connect_options.public_url,
                             "register the webhook at Sellsy with this base URL of the server");
  connect_sellsy->add_flag("--backfill", connect_options.backfill,
                           "run the backfill now, in the foreground, and print the counts");

  CLI::App* sync_cmd = app.add_subcommand("sync", "Run and watch the syncs of the connections");
  sync_cmd->require_subcommand(1);
  SyncOptions sync_options;
  CLI::App* sync_run = sync_cmd->add_subcommand(
      "run", "Run the organization's connections once now and print written/unchanged/rejected");
  add_sync_common(*sync_run);
  sync_run->add_option("--org", sync_options.org_id, "organization id (org_...)")->required();
  sync_run->add_option("--connection", sync_options.connection_id,
                       "only this connection (con_...)");
  sync_run->add_flag("--full", sync_options.full,
                     "a full run: every record of the source, then deletions");
  CLI::App* sync_status = sync_cmd->add_subcommand(
      "status", "Each connection's status, last success, last error and webhook backlog");
  add_sync_common(*sync_status);
  sync_status->add_option("--org", sync_options.org_id, "organization id (org_...)")->required();
  CLI::App* sync_changes = sync_cmd->add_subcommand(
      "changes", "The change log of the syncs, newest first (R-OPS-3)");
  add_sync_common(*sync_changes);
  sync_changes->add_option("--org", sync_options.org_id, "organization id (org_...)")->required();
  sync_changes->add_option("--record", sync_options.record_id,
                           "only the changes of this record (cus_..., inv_...)");
  sync_changes->add_option("--limit", sync_options.limit, "at most this many lines")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();

  CLI::App* todo = app.add_subcommand("todo", "The to-do list: manual actions and failed sends");
  todo->require_subcommand(1);
  TodoOptions todo_options;
  CLI::App* todo_list = todo->add_subcommand(
      "list", "List what waits for a person (TODO, FAILED, UNCERTAIN), by due time");
  AddCommonOptions(*todo_list, flags);
  todo_list->add_option("--org", todo_options.org_id, "organization id (org_...)")->required();
  todo_list->add_option("--as", todo_options.user_email,
                        "act as this user (e-mail); default: the first administrator");
  todo_list->add_option("--owner", todo_options.owner_email, "only this user's actions (e-mail)");
  todo_list->add_option("--type", todo_options.category, "REMINDER, INVOICING, CALL or TASK")
      ->check(CLI::IsMember({"REMINDER", "INVOICING", "CALL", "TASK"}));
  todo_list->add_option("--status", todo_options.status,
                        "comma-separated statuses (default TODO,FAILED,UNCERTAIN)");
  todo_list->add_option("--customer", todo_options.customer_id, "only this customer (cus_...)");
  todo_list->add_option("--limit", todo_options.limit, "at most this many lines")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  CLI::App* todo_done = todo->add_subcommand("done", "Mark an action done");
  AddCommonOptions(*todo_done, flags);
  AddActingOptions(*todo_done, todo_options);
  todo_done->add_option("ID", todo_options.ids, "action id (act_...)")->required()->expected(1);
  todo_done->add_option("--note", todo_options.note, "what was done");
  CLI::App* todo_ignore = todo->add_subcommand(
      "ignore",
      "Ignore actions (several: all or nothing); an ignored invoicing action counts its invoice "
      "as sent");
  AddCommonOptions(*todo_ignore, flags);
  AddActingOptions(*todo_ignore, todo_options);
  todo_ignore->add_option("ID", todo_options.ids, "action ids (act_...)")->required();
  CLI::App* todo_reschedule = todo->add_subcommand("reschedule", "Give an action a new due time");
  AddCommonOptions(*todo_reschedule, flags);
  AddActingOptions(*todo_reschedule, todo_options);
  todo_reschedule->add_option("ID", todo_options.ids, "action id (act_...)")
      ->required()
      ->expected(1);
  todo_reschedule
      ->add_option("--at", todo_options.at,
                   "2026-03-12 (the send hour that day), \"2026-03-12 14:30\" "
                   "(local time) or RFC 3339")
      ->required();
  CLI::App* todo_reassign = todo->add_subcommand("reassign", "Give an action to another user");
  AddCommonOptions(*todo_reassign, flags);
  AddActingOptions(*todo_reassign, todo_options);
  todo_reassign->add_option("ID", todo_options.ids, "action id (act_...)")->required()->expected(1);
  todo_reassign->add_option("--to", todo_options.to_email, "the new owner (e-mail)")->required();
  CLI::App* todo_send = todo->add_subcommand(
      "send", "Send a manual e-mail, SMS or letter now (or a failed one again)");
  AddCommonOptions(*todo_send, flags);
  AddActingOptions(*todo_send, todo_options);
  todo_send->add_option("ID", todo_options.ids, "action id (act_...)")->required()->expected(1);

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

  if (no_dunning) flags.dunning = false;
  if (no_sync) flags.sync = false;
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
  } else if (connect_sellsy->parsed()) {
    result = RunConnectSellsy(*settings, connect_options, env);
  } else if (sync_run->parsed()) {
    result = RunSync(*settings, SyncVerb::kRun, sync_options, env);
  } else if (sync_status->parsed()) {
    result = RunSync(*settings, SyncVerb::kStatus, sync_options, env);
  } else if (sync_changes->parsed()) {
    result = RunSync(*settings, SyncVerb::kChanges, sync_options, env);
  } else if (mail_bounce->parsed()) {
    result = RunMailBounce(*settings, mail_options, env);
  } else if (dunning_plan->parsed()) {
    result = RunDunningPlan(*settings, dunning_options, env);
  } else if (dunning_run->parsed()) {
    result = RunDunningRun(*settings, dunning_options, env);
  } else {
    const std::pair<CLI::App*, TodoVerb> verbs[] = {
        {todo_list, TodoVerb::kList},         {todo_done, TodoVerb::kDone},
        {todo_ignore, TodoVerb::kIgnore},     {todo_reschedule, TodoVerb::kReschedule},
        {todo_reassign, TodoVerb::kReassign}, {todo_send, TodoVerb::kSend}};
    for (const auto& [cmd, verb] : verbs) {
      if (cmd->parsed()) result = RunTodo(*settings, verb, todo_options, env);
    }
  }
  if (!result.ok()) {
    PrintError(env, command, result.error());
    return ExitCode(result.error().code());
  }
  return 0;
}

}  // namespace relance::cli
