#include "integration/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace relance::test {
namespace {

constexpr const char* kHermeticUnset[] = {"RELANCE_DB=",     "RELANCE_PORT=",
                                          "RELANCE_HOST=",   "RELANCE_CONFIG=",
                                          "RELANCE_PASSWORD=", "RELANCE_LOG_LEVEL="};

bool HasName(const std::string& entry, const std::string& name_eq) {
  return entry.compare(0, name_eq.size(), name_eq) == 0;
}

std::vector<std::string> ChildEnvironment(const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    bool drop = false;
    for (const char* name : kHermeticUnset) drop = drop || HasName(entry, name);
    for (const auto& x : extra) drop = drop || HasName(entry, x.substr(0, x.find('=') + 1));
    if (!drop) out.push_back(std::move(entry));
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::unique_ptr<Subprocess> Subprocess::Start(const std::vector<std::string>& argv,
                                              const std::vector<std::string>& env,
                                              const std::string& input) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return nullptr;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);

  std::vector<std::string> args = argv;
  std::vector<std::string> envs = ChildEnvironment(env);
  auto c_args = CStrings(args);
  auto c_envs = CStrings(envs);

  std::unique_ptr<Subprocess> p(new Subprocess());
  const int rc = posix_spawn(&p->pid_, args[0].c_str(), &actions, nullptr, c_args.data(),
                             c_envs.data());
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    ADD_FAILURE() << "cannot start " << args[0] << ": " << std::strerror(rc);
    return nullptr;
  }
  // A child that exits without reading must not kill the test with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  for (size_t written = 0; written < input.size();) {
    ssize_t n = write(in[1], input.data() + written, input.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  close(in[1]);
  p->out_reader_ = std::thread([raw = p.get(), fd = out[0]] { raw->ReadInto(fd, &raw->out_); });
  p->err_reader_ = std::thread([raw = p.get(), fd = err[0]] { raw->ReadInto(fd, &raw->err_); });
  return p;
}

void Subprocess::ReadInto(int fd, std::string* buffer) {
  char chunk[4096];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::lock_guard lock(mu_);
    buffer->append(chunk, static_cast<size_t>(n));
    changed_.notify_all();
  }
  close(fd);
  std::lock_guard lock(mu_);
  ++readers_done_;
  changed_.notify_all();
}

std::optional<std::string> Subprocess::WaitForStdoutLine(const std::string& needle,
                                                         std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    size_t start = 0;
    for (size_t end; (end = out_.find('\n', start)) != std::string::npos; start = end + 1) {
      std::string line = out_.substr(start, end - start);
      if (line.find(needle) != std::string::npos) return line;
    }
    // Both pipes closed: the child is gone and nothing more will come.
    if (readers_done_ == 2) return std::nullopt;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) return std::nullopt;
  }
}

void Subprocess::Signal(int sig) {
  if (!exited_) kill(pid_, sig);
}

int Subprocess::Wait(std::chrono::milliseconds timeout) {
  if (exited_) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      exited_ = true;
      exit_code_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!exited_) {
    exited_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  // The pipes close when the child (and anything it forked) is gone.
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
  return exit_code_;
}

std::string Subprocess::out() const {
  std::lock_guard lock(mu_);
  return out_;
}

std::string Subprocess::err() const {
  std::lock_guard lock(mu_);
  return err_;
}

Subprocess::~Subprocess() {
  if (!exited_) {
    kill(pid_, SIGKILL);
    Wait(std::chrono::seconds(10));
  }
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
}

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                         const std::string& input, std::chrono::milliseconds timeout) {
  ProcessResult result;
  auto p = Subprocess::Start(argv, env, input);
  if (!p) return result;
  result.exit_code = p->Wait(timeout);
  result.out = p->out();
  result.err = p->err();
  return result;
}

}  // namespace relance::test
