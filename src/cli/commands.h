// The subcommands behind RunCli, once their arguments are parsed and the
// settings resolved. Each returns an Error for RunCli to print and turn into
// an exit code; what they print on success goes to env.out. Internal to
// src/cli (RunCli is the public entry point).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/config.h"
#include "services/context.h"

namespace relance::cli {

struct OrgCreateOptions {
  std::string name;
  std::string time_zone = "Europe/Paris";
  std::string currency = "EUR";
  std::string language = "fr";
};

struct UserCreateOptions {
  std::string org_id;
  std::string email;
  std::string name;
  std::string role = "MEMBER";
  std::optional<std::string> language;
  std::string password;  // read by RunCli from stdin or RELANCE_PASSWORD
};

struct TokenCreateOptions {
  std::string org_id;
  std::string user_id;
  std::string name;
};

struct ImportOptions {
  std::string file;
  std::string org_id;
  std::optional<std::string> user_email;  // runs as this user; default: the first admin
  std::string mapping = "auto";            // or a JSON file of corrections
  std::string sheet;
  bool keep_valid = false;
  bool dry_run = false;
  bool preview_only = false;
  std::optional<std::string> report;  // write the CSV report there
};

struct ServeOptions {
  bool demo = false;  // seed the demo organization on first start
};

// `dunning plan` and `dunning run` (dunning_command.cpp).
struct DunningOptions {
  std::string org_id;
  std::optional<std::string> at;  // plan: the moment (default now); see ParseWhen
};

// `todo ...` (dunning_command.cpp). Without org_id, the organization of the
// action is looked up from its id.
struct TodoOptions {
  std::optional<std::string> org_id;
  std::optional<std::string> user_email;  // --as; default: the first administrator
  // list
  std::optional<std::string> owner_email;
  std::optional<std::string> category;
  std::optional<std::string> status;  // comma list
  std::optional<std::string> customer_id;
  int limit = 100;
  // verbs
  std::vector<std::string> ids;
  std::optional<std::string> note;
  std::string at;        // reschedule
  std::string to_email;  // reassign
};

// `connect sellsy` (connect_command.cpp). The client secret is not here: it
// comes from the settings (environment or config file), never a flag.
struct ConnectOptions {
  std::string org_id;
  std::string name = "Sellsy";
  std::string api_url;
  std::string token_url;
  std::string client_id;
  std::optional<std::string> public_url;  // register the webhook with this base URL
  bool backfill = false;                  // run the backfill now, in the foreground
};

// `sync run|status|changes` (connect_command.cpp).
struct SyncOptions {
  std::string org_id;
  std::optional<std::string> connection_id;  // run: this one; default every connection
  bool full = false;                          // run: a full run (backfill / resync)
  std::optional<std::string> record_id;       // changes: of this record only
  int limit = 50;                             // changes: at most this many, newest first
};

// `mail bounce` (mail_command.cpp).
struct MailBounceOptions {
  std::string file = "-";  // "-": standard input
  std::string org_id;
  std::optional<std::string> user_email;  // --as; default: the first administrator
};

enum class SyncVerb { kRun, kStatus, kChanges };

enum class TodoVerb { kList, kDone, kIgnore, kReschedule, kReassign, kSend };

// Prints one line per migration applied, or that the schema is current.
Result<void> RunMigrate(const Settings& s, const CliEnvironment& env);
// Print the new record's id.
Result<void> RunOrgCreate(const Settings& s, const OrgCreateOptions& o, const CliEnvironment& env);
Result<void> RunUserCreate(const Settings& s, const UserCreateOptions& o, const CliEnvironment& env);
// Prints the token itself (shown this once; only its hash is stored).
Result<void> RunTokenCreate(const Settings& s, const TokenCreateOptions& o,
                            const CliEnvironment& env);
// `import customers` (import_command.cpp): prints the outcome; an import
// with rejected rows (nothing written, or some rows left out) still prints
// its report and, when it failed, returns kInvalidArgument.
Result<void> RunImportCustomers(const Settings& s, const ImportOptions& o,
                                const CliEnvironment& env);
// Serves until SIGINT or SIGTERM (serve.cpp).
Result<void> RunServe(const Settings& s, const ServeOptions& o, const CliEnvironment& env);

// Dry run of the planner for one organization: one line per action that
// would be decided, then a summary. Writes nothing.
Result<void> RunDunningPlan(const Settings& s, const DunningOptions& o, const CliEnvironment& env);
// Plans the organization now (storing the new actions), then sends what is
// due in the outbox once with the configured channels; prints the report.
Result<void> RunDunningRun(const Settings& s, const DunningOptions& o, const CliEnvironment& env);
Result<void> RunTodo(const Settings& s, TodoVerb verb, const TodoOptions& o,
                     const CliEnvironment& env);

// Applies a bounce read from the file or stdin; prints the action, what
// the report says of each recipient and what was recorded.
Result<void> RunMailBounce(const Settings& s, const MailBounceOptions& o,
                           const CliEnvironment& env);

// Tests the credentials with a connector that is not stored, then creates
// the connection (prints its id), registers its webhook when asked, and
// runs the backfill when asked (the counts go to stderr).
Result<void> RunConnectSellsy(const Settings& s, const ConnectOptions& o,
                              const CliEnvironment& env);
// run: one line of counts per connection run; status: one line per
// connection; changes: the change log, newest first.
Result<void> RunSync(const Settings& s, SyncVerb verb, const SyncOptions& o,
                     const CliEnvironment& env);

// Who a command acts as in `org_id`: the user with `email`, else the
// organization's first administrator (the operator acts for the
// organization; an organization with no administrator yet gets an ADMIN
// principal with no user id). kNotFound for an unknown organization or user.
Result<services::Principal> ActingUser(store::Database& db, const std::string& org_id,
                                       const std::optional<std::string>& email);

// Opens the database of `s` and brings its schema up to date; the admin
// commands use it so that they work on a brand new database too.
Result<std::unique_ptr<store::Database>> OpenMigratedDatabase(const Settings& s,
                                                              const CliEnvironment& env,
                                                              int pool_size);

}  // namespace relance::cli
