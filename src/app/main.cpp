// relance: the server and its administration commands. The one place that
// decides how a database location becomes a backend (store::OpenDatabase:
// SQLite for a path, PostgreSQL for a postgresql:// URL) and which clock is
// real; everything else receives them.
#include <unistd.h>

#include <exception>
#include <iostream>

#include "cli/cli.h"
#include "core/clock.h"
#include "store/db.h"

int main(int argc, char** argv) {
  // Errors are values inside; an exception reaching here is a bug or a
  // library failing in a way it documents only by throwing (bad_alloc, ...).
  try {
    relance::SystemClock clock;
    const relance::cli::CliEnvironment env{
        [](const std::string& location, int pool_size) {
          return relance::store::OpenDatabase(location, pool_size);
        },
        clock,
        relance::cli::ProcessEnvironment(),
        std::cin,
        std::cout,
        std::cerr,
        isatty(STDERR_FILENO) == 1,
    };
    return relance::cli::RunCli(argc, argv, env);
  } catch (const std::exception& e) {
    std::cerr << "relance: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "relance: internal error (unknown exception)\n";
  }
  return relance::ExitCode(relance::ErrorCode::kInternal);
}
