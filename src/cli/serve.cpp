// `relance serve`: open and migrate the database, seed the demo on request,
// run the dunning worker (plans and sends, R-DUN-4) and the sync runner
// (connections to external systems, src/sync) beside the HTTP server, serve
// until SIGINT or SIGTERM; the worker and the runner stop first, finishing
// the send or page in progress, then the server, then the database closes.
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <ostream>

#include "cli/channels.h"
#include "cli/commands.h"
#include "cli/shutdown.h"
#include "cli/sync_setup.h"
#include "dunning/dunning_worker.h"
#include "http/server.h"
#include "services/auth_service.h"
#include "services/demo_data.h"
#include "sync/sync_runner.h"

namespace relance::cli {
namespace {

void PrintDemoBanner(const services::DemoSeed& seed, const CliEnvironment& env) {
  if (seed.created) {
    env.out << "Seeded the demo organization \"" << services::kDemoOrganizationName << "\": "
            << seed.customers << " customers, " << seed.contacts << " contacts, " << seed.invoices
            << " invoices, " << seed.credit_notes << " credit notes, " << seed.payments
            << " payments.\n";
  } else {
    env.out << "Using the existing demo organization \"" << services::kDemoOrganizationName
            << "\".\n";
  }
  env.out << "Log in as " << services::kDemoAdminEmail << " with password "
          << services::kDemoPassword << " (POST /api/v1/auth/login).\n";
  if (seed.admin_token) {
    env.out << "API token of the demo admin (shown once): " << *seed.admin_token << "\n";
  }
}

}  // namespace

Result<void> RunServe(const Settings& s, const ServeOptions& o, const CliEnvironment& env) {
  ASSIGN_OR_RETURN(auto db, OpenMigratedDatabase(s, env, s.db_pool_size));
  services::Context ctx{*db, env.clock};
  if (o.demo) {
    ASSIGN_OR_RETURN(services::DemoSeed seed, services::SeedDemoData(ctx));
    PrintDemoBanner(seed, env);
  }
  services::AuthService auth(ctx);
  ASSIGN_OR_RETURN(sync::SecretBox box, LoadSecretBox(s));
  const sync::ConnectorRegistry& connectors = KnownConnectors();
  // The runner's own service (the server has one for the API and webhooks).
  sync::ConnectionService connections(ctx, connectors, box);
  std::unique_ptr<sync::SyncRunner> runner;
  // Block the signals before the server starts its threads, so they inherit
  // the mask and only this thread receives SIGINT / SIGTERM.
  ShutdownSignals signals;
  http::ServerOptions options;
  options.host = s.host;
  options.port = s.port;
  options.docs_dir = s.docs_dir;
  options.uploads_dir = s.data_dir + "/uploads";
  options.connectors = &connectors;
  options.secret_box = &box;
  options.public_url = s.public_url;
  options.list_cache_bytes = static_cast<size_t>(s.list_cache_mb) << 20;
  // Set before the server starts; the runner is created before it serves
  // requests that could call this and destroyed after the server stops.
  options.on_webhook_hints = [&runner] {
    if (runner) runner->Wake();
  };
  if (s.sync) {
    sync::RunnerOptions runner_options;
    runner_options.poll = std::chrono::milliseconds(s.sync_poll_ms);
    // The invoices' PDFs fetched from the sources (attached by dunning e-mails).
    runner_options.documents_dir = s.data_dir + "/documents";
    runner = std::make_unique<sync::SyncRunner>(ctx, connections, runner_options);
  }
  http::Server server(ctx, auth, options);
  RETURN_IF_ERROR(server.Start());
  // Started after ShutdownSignals, like the server: its thread inherits the
  // blocked mask, so SIGINT / SIGTERM still reach Wait below.
  ConfiguredChannels channels(s);
  std::unique_ptr<dunning::DunningWorker> worker;
  if (s.dunning) {
    spdlog::info("dunning: every {} s; channels configured: {}{}", s.dunning_interval_seconds,
                 channels.Describe(),
                 channels.any() ? "" : " (automatic sends wait until a channel is configured)");
    dunning::ExecutorOptions executor;
    executor.lease = std::chrono::seconds(s.dunning_lease_seconds);
    worker = std::make_unique<dunning::DunningWorker>(
        ctx, channels.View(), std::chrono::seconds(s.dunning_interval_seconds), executor);
    worker->Start();
  } else {
    spdlog::info("dunning: off (--no-dunning / RELANCE_DUNNING=false)");
  }
  if (runner) {
    spdlog::info("sync: runner on, every {} ms; webhooks at {}/webhooks/...", s.sync_poll_ms,
                 s.public_url.empty() ? "http://127.0.0.1:" + std::to_string(server.port())
                                      : s.public_url);
    runner->Start();
  } else {
    spdlog::info("sync: off (--no-sync / RELANCE_SYNC=false)");
  }
  std::string shown_host = s.host == "0.0.0.0" ? "localhost" : s.host;
  std::string base = "http://" + shown_host + ":" + std::to_string(server.port());
  env.out << "Relance is serving " << db->Describe() << " on " << base << "\n"
          << "  API documentation: " << base << "/docs\n"
          << "  OpenAPI document:  " << base << "/api/v1/openapi.json\n"
          << "  Health:            " << base << "/healthz\n"
          << "Press Ctrl-C to stop.\n";
  env.out.flush();
  int signal = signals.Wait([] { return false; });
  spdlog::info("received signal {}, stopping", signal);
  if (worker) worker->Stop();
  if (runner) runner->Stop();
  server.Stop();
  server.Wait();
  return Ok();
}

}  // namespace relance::cli
