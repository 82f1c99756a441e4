// sync_backfill: the sync benchmark of bench/sync.sh.
//
//   sync_backfill --db LOCATION --sellsy http://127.0.0.1:PORT [--token-out FILE]
//
// Creates an organization, an admin and a Sellsy connection to the
// emulator at PORT (rate limit off, data generated beforehand by sync.sh),
// then times one full run of the connection in this process (SyncRunner::
// RunOne: every stream from the start, the snapshot diff, every record
// written in its own savepoint with its change-log row). The emulator runs
// in another process, so this process's CPU time is Relance's own cost:
// HTTP client, JSON parsing, mapping, the store. Connection secrets are
// sealed with RELANCE_SECRET_KEY when set. Prints one line of
// key=value figures on stdout. With --token-out, writes an API token and
// the connection id there for the webhook-latency part of sync.sh.

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>

#include "bench/process_usage.h"
#include "services/auth_service.h"
#include "store/migrations/migrations.h"
#include "sync/connection_service.h"
#include "sync/connectors/sellsy/sellsy_connector.h"
#include "sync/sync_runner.h"

namespace relance::bench {
namespace {


int Fail(const Error& e) {
  std::cerr << "sync_backfill: " << e.ToString() << "\n";
  return 1;
}

int Main(int argc, char** argv) {
  CLI::App app{"Relance sync benchmark: one Sellsy backfill"};
  std::string db_location, sellsy, token_out;
  app.add_option("--db", db_location, "database (SQLite file or postgresql:// URL)")->required();
  app.add_option("--sellsy", sellsy, "emulator base URL, http://127.0.0.1:PORT")->required();
  app.add_option("--token-out", token_out, "write an API token and the connection id here");
  CLI11_PARSE(app, argc, argv);

  auto db = store::OpenDatabase(db_location, 4);
  if (!db.ok()) return Fail(db.error());
  if (auto m = store::ApplyMigrations(**db); !m.ok()) return Fail(m.error());
  SystemClock clock;
  services::Context ctx{**db, clock};
  services::AuthService auth(ctx, services::PasswordCost::kMinimum);
  auto org = auth.CreateOrganization({"Bench sync"});
  if (!org.ok()) return Fail(org.error());
  auto user = auth.CreateUser(org->meta.id, {"bench-sync@relance.test", "Bench", "ADMIN",
                                             "correct horse battery", std::nullopt});
  if (!user.ok()) return Fail(user.error());
  services::Principal who{org->meta.id, user->meta.id, "ADMIN"};

  sync::ConnectorRegistry registry;
  registry.Add(sync::sellsy::SellsyConnectorType());
  // The server's key when given (bench/sync.sh then serves the same data).
  const char* key = std::getenv("RELANCE_SECRET_KEY");
  auto box = sync::SecretBox::FromHex(key ? key : sync::SecretBox::GenerateKeyHex());
  if (!box.ok()) return Fail(box.error());
  sync::ConnectionService connections(ctx, registry, *box);
  auto conn = connections.Create(
      who, {"sellsy",
            "Sellsy (bench)",
            {{"api_url", sellsy + "/v2"}, {"token_url", sellsy + "/oauth2/access-tokens"}},
            {{"client_id", "relance-test-client"}, {"client_secret", "relance-test-secret"}}});
  if (!conn.ok()) return Fail(conn.error());
  sync::SyncRunner runner(ctx, connections, {});

  std::cerr << "backfill...\n";
  double cpu0 = CpuSeconds();
  auto t0 = std::chrono::steady_clock::now();
  auto run = runner.RunOne(who.org_id, conn->connection.meta.id, true);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = CpuSeconds() - cpu0;
  if (!run.ok()) return Fail(run.error());
  int64_t records = run->stats.written() + run->stats.unchanged + run->stats.rejected;
  std::cout << "records=" << records << " created=" << run->stats.created
            << " rejected=" << run->stats.rejected << " wall_s=" << wall << " cpu_s=" << cpu
            << " records_per_s=" << static_cast<int64_t>(records / wall)
            << " cpu_us_per_record=" << (records ? cpu * 1e6 / records : 0.0)
            << " peak_rss_mb=" << PeakRssMb() << " allocator=" << AllocatorName() << "\n";
  if (!token_out.empty()) {
    auto token = auth.CreateToken(who.org_id, who.user_id, "bench");
    if (!token.ok()) return Fail(token.error());
    std::ofstream out(token_out);
    out << token->token << "\n" << conn->connection.meta.id << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace relance::bench

int main(int argc, char** argv) { return relance::bench::Main(argc, argv); }
