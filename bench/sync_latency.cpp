// sync_latency: the webhook half of bench/sync.sh.
//
//   sync_latency --relance http://127.0.0.1:PORT --token TOKEN
//                --sellsy http://127.0.0.1:PORT --company ID [--n 200]
//
// For each of N rounds: renames a company through the emulator's control
// API (which fires Sellsy's `client.updated` delivery to Relance's webhook
// URL), then polls Relance's API until the customer shows the new name.
// The latency is from the moment the control call returned to the first
// answer showing the change: the delivery, the hint stored, the runner
// woken, the re-fetch from the emulator, the write, and the read. Prints
// p50, p99 and max in milliseconds on one key=value line.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "net/http_client.h"

namespace relance::bench {
namespace {

int Main(int argc, char** argv) {
  CLI::App app{"Relance sync benchmark: webhook to visible change"};
  std::string relance, token, sellsy;
  int64_t company = 0;
  int n = 200;
  app.add_option("--relance", relance)->required();
  app.add_option("--token", token)->required();
  app.add_option("--sellsy", sellsy)->required();
  app.add_option("--company", company)->required();
  app.add_option("--n", n);
  CLI11_PARSE(app, argc, argv);

  std::vector<double> ms;
  std::string external = "company/" + std::to_string(company);
  for (int i = 0; i < n; ++i) {
    std::string name = "Latency " + std::to_string(i);
    net::HttpRequest patch;
    patch.method = "PATCH";
    patch.url = sellsy + "/_control/objects/companies/" + std::to_string(company);
    patch.headers = {"Content-Type: application/json"};
    patch.body = nlohmann::json{{"name", name}}.dump();
    auto changed = net::PerformHttp(patch, "the Sellsy emulator");
    if (!changed.ok() || changed->status != 200) {
      std::cerr << "sync_latency: the emulator refused the change\n";
      return 1;
    }
    auto t0 = std::chrono::steady_clock::now();
    for (;;) {
      net::HttpRequest get;
      get.method = "GET";
      get.url = relance + "/api/v1/customers?external_id=" + net::FormUrlEncode(external);
      get.headers = {"Authorization: Bearer " + token};
      auto r = net::PerformHttp(get, "relance");
      if (r.ok() && r->status == 200) {
        auto j = nlohmann::json::parse(r->body, nullptr, false);
        if (j.is_object() && j.contains("data") && !j["data"].empty() &&
            j["data"][0].value("name", "") == name) {
          break;
        }
      }
      if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(30)) {
        std::cerr << "sync_latency: the change never became visible (round " << i << ")\n";
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))]; };
  std::cout << "rounds=" << ms.size() << " p50_ms=" << at(0.50) << " p99_ms=" << at(0.99)
            << " max_ms=" << ms.back() << "\n";
  return 0;
}

}  // namespace
}  // namespace relance::bench

int main(int argc, char** argv) { return relance::bench::Main(argc, argv); }
