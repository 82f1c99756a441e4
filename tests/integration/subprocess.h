// A child process for integration tests: the real `relance` binary run with
// arguments, extra environment and standard input, its stdout and stderr
// collected by two reader threads so neither pipe can fill up and block it.
//
// The child's environment is the test's, minus the RELANCE_* settings that
// would make a test depend on who runs it (RELANCE_DB, RELANCE_PORT,
// RELANCE_HOST, RELANCE_CONFIG, RELANCE_PASSWORD, RELANCE_LOG_LEVEL), plus
// `env` ("NAME=value").
//
// One test thread drives a Subprocess; the destructor kills a child still
// running and joins the readers.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace relance::test {

class Subprocess {
 public:
  // Starts `argv[0]` (a path) with `input` written to its stdin, which is
  // then closed. Returns null (after a gtest failure) if it cannot start.
  static std::unique_ptr<Subprocess> Start(const std::vector<std::string>& argv,
                                           const std::vector<std::string>& env = {},
                                           const std::string& input = "");
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // Waits until stdout has a line containing `needle`; returns that line,
  // or nullopt when the process exits or the timeout passes first.
  std::optional<std::string> WaitForStdoutLine(const std::string& needle,
                                               std::chrono::milliseconds timeout);
  // Sends a signal (SIGTERM, SIGINT).
  void Signal(int sig);
  // Waits for the exit; returns the exit code, 128 + N when killed by signal
  // N, or -1 after killing it when the timeout passed.
  int Wait(std::chrono::milliseconds timeout);

  // Everything read so far (complete once Wait returned).
  std::string out() const;
  std::string err() const;

 private:
  Subprocess() = default;
  void ReadInto(int fd, std::string* buffer);

  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::string out_;
  std::string err_;
  int readers_done_ = 0;
  std::thread out_reader_;
  std::thread err_reader_;
};

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs to completion (killed after `timeout`).
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::vector<std::string>& env = {}, const std::string& input = "",
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace relance::test
