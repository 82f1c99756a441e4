#include "sync/connection_service.h"

#include <nlohmann/json.hpp>

#include "core/ids.h"
#include "domain/entity_spec.h"
#include "store/record_repository.h"
#include "store/sync_queries.h"

namespace relance::sync {
namespace {

using domain::SyncConnection;
using services::Access;
using services::Authorize;
using services::Principal;

// The webhook token is kept among the sealed secrets (so the URL can be
// shown again) and as a SHA-256 for the lookup of a delivery.
constexpr std::string_view kWebhookTokenSecret = "webhook_token";

std::string ToJson(const ConnectionSettings& m) { return nlohmann::json(m).dump(); }

Result<ConnectionSettings> FromJson(std::string_view text, std::string_view what) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return Internal("the stored " + std::string(what) + " are not a JSON object");
  ConnectionSettings out;
  for (auto& [k, v] : j.items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

std::string WebhookPath(const std::string& connector, const std::string& token) {
  return "/webhooks/" + connector + "/" + token;
}

Result<void> CheckGiven(const ConnectorType& type, const ConnectionSettings& settings,
                        const ConnectionSettings& secrets) {
  std::vector<FieldError> missing;
  for (const auto& name : type.required_settings) {
    auto it = settings.find(name);
    if (it == settings.end() || it->second.empty()) {
      missing.push_back({"settings." + name, "is required for a " + type.display_name + " connection"});
    }
  }
  for (const auto& name : type.required_secrets) {
    auto it = secrets.find(name);
    if (it == secrets.end() || it->second.empty()) {
      missing.push_back({"secrets." + name, "is required for a " + type.display_name + " connection"});
    }
  }
  if (missing.empty()) return Ok();
  std::string message = missing[0].field + " " + missing[0].message;
  return InvalidArgument(std::move(message), std::move(missing));
}

}  // namespace

Result<ConnectionStatus> ConnectionService::Create(const Principal& p,
                                                   const NewConnection& in) const {
  RETURN_IF_ERROR(Authorize(p, Access::kAdmin));
  const ConnectorType* type = registry_.Find(in.connector);
  if (type == nullptr) {
    std::string known;
    for (const auto& n : registry_.Names()) known += (known.empty() ? "" : ", ") + n;
    return FieldInvalid("connector", "unknown connector \"" + in.connector + "\"; known: " + known);
  }
  if (in.name.empty()) return FieldInvalid("name", "is required");
  RETURN_IF_ERROR(CheckGiven(*type, in.settings, in.secrets));
  ConnectionSettings secrets = in.secrets;
  std::string token = RandomHex(24);
  secrets[std::string(kWebhookTokenSecret)] = token;
  SyncConnection c;
  std::string now = FormatTimestamp(ctx_.clock.Now());
  c.meta = {NewId(kConnectionPrefix, ctx_.clock.Now()), p.org_id, 1, now, now};
  c.connector = in.connector;
  c.name = in.name;
  c.settings = ToJson(in.settings);
  c.sealed_secrets = box_.Seal(ToJson(secrets));
  c.webhook_token_hash = Sha256Hex(token);
  c.next_run_at = now;
  store::RecordRepository<SyncConnection> repo(domain::SyncConnectionSpec());
  auto r = store::InTransaction(ctx_.db, [&](store::Connection& conn) { return repo.Insert(conn, c); });
  if (!r.ok() && r.error().code() == ErrorCode::kAlreadyExists) {
    return Error(ErrorCode::kAlreadyExists,
                 "this organization already has a " + type->display_name + " connection",
                 {{"connector", "already connected"}});
  }
  RETURN_IF_ERROR(r);
  return StatusOf(c, p);
}

Result<SyncConnection> ConnectionService::Load(const Principal& p, const std::string& id) const {
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  store::RecordRepository<SyncConnection> repo(domain::SyncConnectionSpec());
  return repo.Get(*conn, p.org_id, id);
}

Result<ConnectionSettings> ConnectionService::OpenSecrets(const SyncConnection& c) const {
  ASSIGN_OR_RETURN(std::string plain, box_.Open(c.sealed_secrets));
  return FromJson(plain, "secrets");
}

Result<ConnectionStatus> ConnectionService::StatusOf(const SyncConnection& c,
                                                     const Principal& p) const {
  ConnectionStatus s;
  s.connection = c;
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  ASSIGN_OR_RETURN(s.backlog, store::InboxBacklog(*conn, c.meta.org_id, c.meta.id));
  if (p.role == "ADMIN") {
    ASSIGN_OR_RETURN(auto secrets, OpenSecrets(c));
    s.webhook_path = WebhookPath(c.connector, secrets[std::string(kWebhookTokenSecret)]);
  }
  return s;
}

Result<ConnectionStatus> ConnectionService::Status(const Principal& p, const std::string& id) const {
  RETURN_IF_ERROR(Authorize(p, Access::kRead));
  ASSIGN_OR_RETURN(SyncConnection c, Load(p, id));
  return StatusOf(c, p);
}

Result<std::vector<ConnectionStatus>> ConnectionService::List(const Principal& p) const {
  RETURN_IF_ERROR(Authorize(p, Access::kRead));
  std::vector<SyncConnection> all;
  {
    ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
    store::RecordRepository<SyncConnection> repo(domain::SyncConnectionSpec());
    ASSIGN_OR_RETURN(all, repo.FindAll(*conn, p.org_id, {}));
  }
  std::vector<ConnectionStatus> out;
  for (const auto& c : all) {
    ASSIGN_OR_RETURN(auto s, StatusOf(c, p));
    out.push_back(std::move(s));
  }
  return out;
}

Result<ConnectionStatus> ConnectionService::Update(const Principal& p, const std::string& id,
                                                   const std::optional<std::string>& name,
                                                   const std::optional<bool>& enabled,
                                                   const ConnectionSettings& settings,
                                                   const ConnectionSettings& secrets) const {
  RETURN_IF_ERROR(Authorize(p, Access::kAdmin));
  if (name && name->empty()) return FieldInvalid("name", "must not be empty");
  store::RecordRepository<SyncConnection> repo(domain::SyncConnectionSpec());
  SyncConnection saved;
  RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](store::Connection& conn) -> Result<void> {
    ASSIGN_OR_RETURN(SyncConnection c, repo.Get(conn, p.org_id, id));
    ASSIGN_OR_RETURN(auto all_settings, FromJson(c.settings, "settings"));
    ASSIGN_OR_RETURN(auto all_secrets, OpenSecrets(c));
    for (const auto& [k, v] : settings) all_settings[k] = v;
    for (const auto& [k, v] : secrets) {
      if (k != kWebhookTokenSecret) all_secrets[k] = v;
    }
    const ConnectorType* type = registry_.Find(c.connector);
    if (type != nullptr) RETURN_IF_ERROR(CheckGiven(*type, all_settings, all_secrets));
    if (name) c.name = *name;
    if (enabled) {
      c.enabled = *enabled;
      if (!*enabled) c.status = "DISABLED";
      else if (c.status == "DISABLED") c.status = "OK";
    }
    c.settings = ToJson(all_settings);
    c.sealed_secrets = box_.Seal(ToJson(all_secrets));
    if (!secrets.empty() && c.status == "AUTH_ERROR") {
      // New credentials: try again now rather than after the backoff.
      c.next_run_at = FormatTimestamp(ctx_.clock.Now());
    }
    c.meta.version += 1;
    c.meta.updated_at = FormatTimestamp(ctx_.clock.Now());
    RETURN_IF_ERROR(repo.Update(conn, c));
    saved = c;
    return Ok();
  }));
  return StatusOf(saved, p);
}

Result<void> ConnectionService::Delete(const Principal& p, const std::string& id) const {
  RETURN_IF_ERROR(Authorize(p, Access::kAdmin));
  store::RecordRepository<SyncConnection> repo(domain::SyncConnectionSpec());
  return store::InTransaction(ctx_.db, [&](store::Connection& conn) -> Result<void> {
    ASSIGN_OR_RETURN(SyncConnection c, repo.Get(conn, p.org_id, id));
    RETURN_IF_ERROR(store::DeleteConnectionState(conn, p.org_id, id, c.connector));
    return repo.Delete(conn, p.org_id, id);
  });
}

Result<std::unique_ptr<Connector>> ConnectionService::Open(const SyncConnection& c) const {
  const ConnectorType* type = registry_.Find(c.connector);
  if (type == nullptr) return Internal("no connector named " + c.connector + " in this server");
  ASSIGN_OR_RETURN(auto settings, FromJson(c.settings, "settings"));
  ASSIGN_OR_RETURN(auto secrets, OpenSecrets(c));
  secrets.erase(std::string(kWebhookTokenSecret));
  return type->create(settings, secrets);
}

Result<void> ConnectionService::TestCredentials(const Principal& p, const std::string& id) const {
  RETURN_IF_ERROR(Authorize(p, Access::kWrite));
  ASSIGN_OR_RETURN(SyncConnection c, Load(p, id));
  ASSIGN_OR_RETURN(auto connector, Open(c));
  return connector->TestCredentials();
}

Result<ConnectionStatus> ConnectionService::RegisterWebhook(const Principal& p,
                                                            const std::string& id,
                                                            const std::string& public_base_url) const {
  RETURN_IF_ERROR(Authorize(p, Access::kAdmin));
  if (!public_base_url.starts_with("http://") && !public_base_url.starts_with("https://")) {
    return FieldInvalid("public_url", "must be the http(s) address at which the source can reach "
                                      "this server, e.g. https://relance.example.com");
  }
  ASSIGN_OR_RETURN(SyncConnection c, Load(p, id));
  ASSIGN_OR_RETURN(auto connector, Open(c));
  ASSIGN_OR_RETURN(auto secrets, OpenSecrets(c));
  std::string base = public_base_url;
  while (base.ends_with('/')) base.pop_back();
  std::string url = base + WebhookPath(c.connector, secrets[std::string(kWebhookTokenSecret)]);
  if (c.webhook_id) {
    // Re-registering replaces the previous registration.
    (void)connector->UnregisterWebhook(*c.webhook_id);
  }
  ASSIGN_OR_RETURN(std::string webhook_id, connector->RegisterWebhook(url));
  store::RecordRepository<SyncConnection> repo(domain::SyncConnectionSpec());
  SyncConnection saved;
  RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](store::Connection& conn) -> Result<void> {
    ASSIGN_OR_RETURN(SyncConnection s, repo.Get(conn, p.org_id, id));
    s.webhook_id = webhook_id;
    s.meta.version += 1;
    s.meta.updated_at = FormatTimestamp(ctx_.clock.Now());
    RETURN_IF_ERROR(repo.Update(conn, s));
    saved = s;
    return Ok();
  }));
  return StatusOf(saved, p);
}

Result<ConnectionStatus> ConnectionService::RequestBackfill(const Principal& p,
                                                            const std::string& id) const {
  RETURN_IF_ERROR(Authorize(p, Access::kWrite));
  store::RecordRepository<SyncConnection> repo(domain::SyncConnectionSpec());
  SyncConnection saved;
  RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](store::Connection& conn) -> Result<void> {
    ASSIGN_OR_RETURN(SyncConnection s, repo.Get(conn, p.org_id, id));
    s.backfill_requested = true;
    s.next_run_at = FormatTimestamp(ctx_.clock.Now());
    s.meta.version += 1;
    s.meta.updated_at = s.next_run_at;
    RETURN_IF_ERROR(repo.Update(conn, s));
    saved = s;
    return Ok();
  }));
  return StatusOf(saved, p);
}

Result<int> ConnectionService::ReceiveWebhook(const std::string& connector,
                                              const std::string& token,
                                              std::string_view content_type,
                                              std::string_view body) const {
  auto unknown = [] { return NotFound("no connection has this webhook address"); };
  const ConnectorType* type = registry_.Find(connector);
  if (type == nullptr || token.empty()) return unknown();
  std::optional<std::pair<std::string, std::string>> found;
  {
    ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
    ASSIGN_OR_RETURN(found, store::FindConnectionByWebhook(*conn, Sha256Hex(token)));
  }
  if (!found) return unknown();
  auto [org_id, connection_id] = *found;
  {
    ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
    store::RecordRepository<SyncConnection> repo(domain::SyncConnectionSpec());
    ASSIGN_OR_RETURN(SyncConnection c, repo.Get(*conn, org_id, connection_id));
    if (c.connector != connector) return unknown();
  }
  ASSIGN_OR_RETURN(auto hints, type->parse_webhook(content_type, body));
  std::string now = FormatTimestamp(ctx_.clock.Now());
  RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](store::Connection& conn) -> Result<void> {
    for (const auto& h : hints) {
      store::InboxRow row{NewId(kInboxPrefix, ctx_.clock.Now()), h.object_type, h.object_id,
                          h.event, 0};
      RETURN_IF_ERROR(store::InsertInbox(conn, org_id, connection_id, row, now));
    }
    return Ok();
  }));
  if (on_hints_ && !hints.empty()) on_hints_();
  return static_cast<int>(hints.size());
}

}  // namespace relance::sync
