// Starts one of the Python emulators of tests/emulators/ as a child process
// and reads the ports it printed, for the delivery channel tests.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "integration/subprocess.h"

namespace relance::test {

struct Emulator {
  std::unique_ptr<Subprocess> process;
  int port = 0;          // SMTP port, or the HTTP API's
  int control_port = 0;  // the SMTP sink's control API; the HTTP emulators use `port`

  // The control API, JSON in and out.
  nlohmann::json Get(const std::string& path) const {
    httplib::Client c("127.0.0.1", control_port);
    auto r = c.Get(path);
    if (!r) return nullptr;
    return nlohmann::json::parse(r->body, nullptr, false);
  }
  std::string GetRaw(const std::string& path) const {
    httplib::Client c("127.0.0.1", control_port);
    auto r = c.Get(path);
    return r ? r->body : std::string();
  }
  int Post(const std::string& path, const nlohmann::json& body) const {
    httplib::Client c("127.0.0.1", control_port);
    auto r = c.Post(path, body.dump(), "application/json");
    return r ? r->status : -1;
  }
  int Delete(const std::string& path) const {
    httplib::Client c("127.0.0.1", control_port);
    auto r = c.Delete(path);
    return r ? r->status : -1;
  }
  std::string BaseUrl() const { return "http://127.0.0.1:" + std::to_string(port); }
};

// `script` is relative to tests/emulators ("smtp/smtp_sink.py"). Returns an
// emulator with port 0 (after a gtest failure) when it does not start.
inline Emulator StartEmulator(const std::string& script, std::vector<std::string> args) {
  Emulator e;
  const char* source = std::getenv("RELANCE_SOURCE_DIR");
  if (source == nullptr) {
    ADD_FAILURE() << "RELANCE_SOURCE_DIR is not set";
    return e;
  }
  std::vector<std::string> argv = {"/usr/bin/python3",
                                   std::string(source) + "/tests/emulators/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  e.process = Subprocess::Start(argv);
  if (!e.process) return e;
  auto line = e.process->WaitForStdoutLine("127.0.0.1", std::chrono::seconds(30));
  if (!line) {
    ADD_FAILURE() << script << " did not start:\n" << e.process->err();
    return e;
  }
  std::smatch m;
  if (std::regex_search(
          *line, m, std::regex(R"(^smtp 127\.0\.0\.1:(\d+) control http://127\.0\.0\.1:(\d+))"))) {
    e.port = std::stoi(m[1]);
    e.control_port = std::stoi(m[2]);
  } else if (std::regex_search(*line, m, std::regex(R"(http://127\.0\.0\.1:(\d+))"))) {
    e.port = e.control_port = std::stoi(m[1]);
  } else {
    ADD_FAILURE() << "no port in: " << *line;
  }
  return e;
}

}  // namespace relance::test
