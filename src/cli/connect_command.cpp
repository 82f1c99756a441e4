// `relance connect sellsy` and `relance sync run|status|changes`: a
// connection to an external system made from the command line (credentials
// tested before anything is stored), and the syncs run, watched and
// audited (R-OPS-3) without the server.
#include <spdlog/spdlog.h>

#include <memory>
#include <ostream>

#include "cli/commands.h"
#include "cli/sync_setup.h"
#include "store/record_repository.h"
#include "sync/sync_runner.h"

namespace relance::cli {
namespace {

constexpr int kSyncPoolSize = 4;

std::string Or(const std::optional<std::string>& v, const char* none = "-") {
  return v ? *v : std::string(none);
}

void PrintOutcome(std::ostream& out, const sync::RunOutcome& r) {
  const auto& st = r.stats;
  out << (r.full ? "full" : "incremental") << " run " << r.run_id << ": written " << st.written()
      << " (created " << st.created << ", updated " << st.updated << ", deleted " << st.deleted
      << "), unchanged " << st.unchanged << ", rejected " << st.rejected << ", webhook hints "
      << r.hints_applied << (r.scan_completed ? ", full scan completed" : "") << "\n";
}

// What the commands below share: the database, the acting principal and
// the connections' service with the server's key.
struct SyncSetup {
  std::unique_ptr<store::Database> db;
  std::optional<services::Context> ctx;
  services::Principal who;
  std::optional<sync::SecretBox> box;
  std::unique_ptr<sync::ConnectionService> connections;
};

Result<void> Open(const Settings& s, const std::string& org_id, const CliEnvironment& env,
                  SyncSetup& out) {
  ASSIGN_OR_RETURN(out.db, OpenMigratedDatabase(s, env, kSyncPoolSize));
  ASSIGN_OR_RETURN(out.who, ActingUser(*out.db, org_id, std::nullopt));
  ASSIGN_OR_RETURN(sync::SecretBox box, LoadSecretBox(s));
  out.box.emplace(std::move(box));
  out.ctx.emplace(services::Context{*out.db, env.clock});
  out.connections =
      std::make_unique<sync::ConnectionService>(*out.ctx, KnownConnectors(), *out.box);
  return Ok();
}

}  // namespace

Result<void> RunConnectSellsy(const Settings& s, const ConnectOptions& o,
                              const CliEnvironment& env) {
  if (s.sellsy_client_secret.empty()) {
    return Error(ErrorCode::kMalformed,
                 "the Sellsy client secret comes from RELANCE_SELLSY_CLIENT_SECRET or key "
                 "sellsy_client_secret in the config file (never a flag); neither is set");
  }
  SyncSetup setup;
  RETURN_IF_ERROR(Open(s, o.org_id, env, setup));
  const sync::ConnectorType* type = KnownConnectors().Find("sellsy");
  sync::NewConnection c{"sellsy",
                        o.name,
                        {{"api_url", o.api_url}, {"token_url", o.token_url}},
                        {{"client_id", o.client_id}, {"client_secret", s.sellsy_client_secret}}};
  // Test through a connector that is not stored: refused credentials leave
  // nothing behind.
  {
    ASSIGN_OR_RETURN(auto probe, type->create(c.settings, c.secrets));
    auto tested = probe->TestCredentials();
    if (!tested.ok()) {
      return Error(
          tested.error().code(),
          "Sellsy refused the connection test (nothing was stored): " + tested.error().message(),
          tested.error().details());
    }
    spdlog::info("connect: Sellsy accepted the credentials");
  }
  ASSIGN_OR_RETURN(sync::ConnectionStatus created, setup.connections->Create(setup.who, c));
  const std::string id = created.connection.meta.id;
  env.out << id << "\n";
  env.out.flush();
  if (o.public_url) {
    auto registered = setup.connections->RegisterWebhook(setup.who, id, *o.public_url);
    if (!registered.ok()) {
      return Error(registered.error().code(),
                   "connection " + id +
                       " is created, but registering its webhook failed (retry "
                       "with POST /api/v1/connections/" +
                       id + "/webhook): " + registered.error().message());
    }
    env.err << "webhook registered at Sellsy (id " << Or(registered->connection.webhook_id)
            << ")\n";
  }
  if (o.backfill) {
    sync::SyncRunner runner(*setup.ctx, *setup.connections, {});
    env.err << "backfill of " << id << " running...\n";
    ASSIGN_OR_RETURN(sync::RunOutcome outcome, runner.RunOne(o.org_id, id, true));
    PrintOutcome(env.err, outcome);
  }
  return Ok();
}

Result<void> RunSync(const Settings& s, SyncVerb verb, const SyncOptions& o,
                     const CliEnvironment& env) {
  SyncSetup setup;
  RETURN_IF_ERROR(Open(s, o.org_id, env, setup));
  switch (verb) {
    case SyncVerb::kRun: {
      std::vector<std::string> ids;
      if (o.connection_id) {
        // RunOne cannot tell an unknown id from one another runner holds.
        RETURN_IF_ERROR(setup.connections->Status(setup.who, *o.connection_id));
        ids.push_back(*o.connection_id);
      } else {
        ASSIGN_OR_RETURN(auto all, setup.connections->List(setup.who));
        for (const auto& c : all) ids.push_back(c.connection.meta.id);
        if (ids.empty()) env.err << "no connection in " << o.org_id << "\n";
      }
      sync::SyncRunner runner(*setup.ctx, *setup.connections, {});
      std::optional<Error> failed;
      for (const auto& id : ids) {
        auto outcome = runner.RunOne(o.org_id, id, o.full);
        if (!outcome.ok()) {
          env.err << id << ": " << outcome.error().message() << "\n";
          failed = outcome.error();
          continue;
        }
        env.out << id << ": ";
        PrintOutcome(env.out, *outcome);
      }
      if (failed) return *failed;
      return Ok();
    }
    case SyncVerb::kStatus: {
      ASSIGN_OR_RETURN(auto all, setup.connections->List(setup.who));
      for (const auto& st : all) {
        const auto& c = st.connection;
        env.out << c.meta.id << " " << c.connector << " \"" << c.name << "\" status " << c.status
                << (c.enabled ? "" : " (disabled)") << ", last success "
                << Or(c.last_success_at, "never") << ", backlog " << st.backlog << ", next run "
                << c.next_run_at << ", written " << c.records_written << ", rejected "
                << c.records_rejected;
        if (c.last_error)
          env.out << ", last error at " << Or(c.last_error_at) << ": " << *c.last_error;
        env.out << "\n";
      }
      if (all.empty()) env.err << "no connection in " << o.org_id << "\n";
      return Ok();
    }
    case SyncVerb::kChanges: {
      store::RecordRepository<domain::SyncChange> repo(domain::SyncChangeSpec());
      store::ListQuery q;
      q.descending = true;
      q.limit = o.limit;
      if (o.record_id)
        q.conditions.push_back({"record_id", store::Condition::Op::kEq, *o.record_id});
      ASSIGN_OR_RETURN(auto conn, setup.db->Acquire());
      ASSIGN_OR_RETURN(auto page, repo.List(*conn, o.org_id, q));
      for (const auto& ch : page.items) {
        env.out << ch.meta.created_at << " " << ch.operation << " " << ch.entity << " "
                << (ch.record_id.empty() ? "-" : ch.record_id) << " external " << ch.external_id
                << " run " << ch.run_id << " " << ch.changes << "\n";
      }
      if (page.items.empty()) env.err << "no sync change recorded\n";
      return Ok();
    }
  }
  return Ok();
}

}  // namespace relance::cli
