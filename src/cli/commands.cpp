#include "cli/commands.h"

#include <spdlog/spdlog.h>

#include <ostream>

#include "services/auth_service.h"
#include "store/migrations/migrations.h"
#include "store/record_repository.h"

namespace relance::cli {
namespace {

// The admin commands do a handful of statements: one connection is plenty.
constexpr int kAdminPoolSize = 1;

std::string MigrationName(int version) {
  for (const auto& m : store::AllMigrations()) {
    if (m.version == version) return std::string(m.name);
  }
  return "?";
}

Result<std::unique_ptr<store::Database>> OpenDatabase(const Settings& s, const CliEnvironment& env,
                                                      int pool_size) {
  auto db = env.open_database(s.db, pool_size);
  if (!db.ok()) {
    const Error& e = db.error();
    return Error(e.code(), "cannot open the database " + s.db + ": " + e.message());
  }
  return db;
}

}  // namespace

Result<std::unique_ptr<store::Database>> OpenMigratedDatabase(const Settings& s,
                                                              const CliEnvironment& env,
                                                              int pool_size) {
  ASSIGN_OR_RETURN(auto db, OpenDatabase(s, env, pool_size));
  ASSIGN_OR_RETURN(std::vector<int> applied, store::ApplyMigrations(*db));
  for (int v : applied) {
    spdlog::info("applied migration {} ({}) to {}", v, MigrationName(v), db->Describe());
  }
  return db;
}

Result<services::Principal> ActingUser(store::Database& db, const std::string& org_id,
                                       const std::optional<std::string>& email) {
  ASSIGN_OR_RETURN(auto conn, db.Acquire());
  store::RecordRepository<domain::Organization> orgs(domain::OrganizationSpec());
  ASSIGN_OR_RETURN(auto org, orgs.Find(*conn, org_id, org_id));
  if (!org) return NotFound("no organization " + org_id);
  store::RecordRepository<domain::User> users(domain::UserSpec());
  store::ListQuery q;
  q.limit = 1;
  if (email) {
    q.conditions = {{"email", store::Condition::Op::kEq, *email}};
  } else {
    q.conditions = {{"role", store::Condition::Op::kEq, std::string("ADMIN")}};
  }
  ASSIGN_OR_RETURN(auto page, users.List(*conn, org_id, q));
  if (page.items.empty()) {
    if (email) return NotFound("no user " + *email + " in organization " + org_id);
    return services::Principal{org_id, "", "ADMIN"};
  }
  const auto& u = page.items.front();
  return services::Principal{org_id, u.meta.id, u.role};
}

Result<void> RunMigrate(const Settings& s, const CliEnvironment& env) {
  ASSIGN_OR_RETURN(auto db, OpenDatabase(s, env, kAdminPoolSize));
  ASSIGN_OR_RETURN(std::vector<int> applied, store::ApplyMigrations(*db));
  for (int v : applied) {
    env.out << "applied migration " << v << " (" << MigrationName(v) << ")\n";
  }
  ASSIGN_OR_RETURN(int version, store::CurrentSchemaVersion(*db));
  env.out << db->Describe() << ": schema version " << version
          << (applied.empty() ? ", already up to date" : "") << "\n";
  return Ok();
}

Result<void> RunOrgCreate(const Settings& s, const OrgCreateOptions& o, const CliEnvironment& env) {
  ASSIGN_OR_RETURN(auto db, OpenMigratedDatabase(s, env, kAdminPoolSize));
  services::AuthService auth(services::Context{*db, env.clock});
  ASSIGN_OR_RETURN(auto org, auth.CreateOrganization({o.name, o.time_zone, o.currency, o.language}));
  spdlog::info("created organization {} ({})", org.meta.id, org.name);
  env.out << org.meta.id << "\n";
  return Ok();
}

Result<void> RunUserCreate(const Settings& s, const UserCreateOptions& o,
                           const CliEnvironment& env) {
  ASSIGN_OR_RETURN(auto db, OpenMigratedDatabase(s, env, kAdminPoolSize));
  services::AuthService auth(services::Context{*db, env.clock});
  ASSIGN_OR_RETURN(auto user,
                   auth.CreateUser(o.org_id, {o.email, o.name, o.role, o.password, o.language}));
  spdlog::info("created user {} ({}, {}) in {}", user.meta.id, user.email, user.role, o.org_id);
  env.out << user.meta.id << "\n";
  return Ok();
}

Result<void> RunTokenCreate(const Settings& s, const TokenCreateOptions& o,
                            const CliEnvironment& env) {
  ASSIGN_OR_RETURN(auto db, OpenMigratedDatabase(s, env, kAdminPoolSize));
  services::AuthService auth(services::Context{*db, env.clock});
  ASSIGN_OR_RETURN(auto token, auth.CreateToken(o.org_id, o.user_id, o.name));
  spdlog::info("created API token {} for user {}; it is shown once, keep it", token.id, o.user_id);
  env.out << token.token << "\n";
  return Ok();
}

}  // namespace relance::cli
