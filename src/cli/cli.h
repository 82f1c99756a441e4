// The `relance` command line: serve, migrate, org create, user create,
// token create, import customers, dunning plan|run, todo list|done|ignore|
// reschedule|reassign|send, mail bounce, connect sellsy, sync run|status|changes (each
// with --help). See README "The command line".
//
// Output contract, so scripts can rely on it: a command that creates
// something prints only its id (or the token) on stdout; logs and errors go
// to stderr; the exit code is 0 on success, 64 for bad usage (unknown flag,
// missing argument, missing password) and ExitCode(ErrorCode) from
// core/error.h otherwise (65 invalid input, 66 not found, 69 database
// unavailable, 73 already exists, ...).
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

#include "cli/config.h"
#include "core/clock.h"
#include "store/db.h"

namespace relance::cli {

inline constexpr int kExitUsage = 64;  // sysexits.h EX_USAGE

// What the commands take from the process, injected so that tests can run
// them in-process and so that the app alone decides how databases open.
// Everything referenced must outlive the RunCli call.
struct CliEnvironment {
  // Opens a database location (SQLite path or postgresql:// URL) with at
  // most `pool_size` connections.
  std::function<Result<std::unique_ptr<store::Database>>(const std::string& location,
                                                         int pool_size)>
      open_database;
  const Clock& clock;
  EnvironmentLookup env;
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  bool err_is_terminal = false;  // progress bars only on a terminal
};

// Parses argv and runs the command; returns the process exit code. Does not
// throw for expected failures (they are exit codes and messages on `err`).
int RunCli(int argc, const char* const* argv, const CliEnvironment& env);

}  // namespace relance::cli
