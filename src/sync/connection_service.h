// Connections of an organization to external systems (issue 5): create one
// (settings checked against the connector type, secrets sealed with the
// server's key, a webhook URL with an unguessable token), test its
// credentials, register its webhook, ask for a backfill, read its status,
// delete it; and the public entry point for webhook deliveries, which only
// stores the hints (fast answer) for the runner to apply.
//
// Secrets never leave this service: the connection record carries them
// sealed, and the API codec never outputs sealed or hashed fields.
// Thread-safe; holds references to what the app owns.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/entities.h"
#include "services/context.h"
#include "sync/connector.h"
#include "sync/secret_box.h"

namespace relance::sync {

// The connector types the server knows, by name.
class ConnectorRegistry {
 public:
  void Add(const ConnectorType& type) { types_[type.name] = &type; }
  const ConnectorType* Find(const std::string& name) const {
    auto it = types_.find(name);
    return it == types_.end() ? nullptr : it->second;
  }
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const auto& [n, t] : types_) out.push_back(n);
    return out;
  }

 private:
  std::map<std::string, const ConnectorType*> types_;
};

struct NewConnection {
  std::string connector;
  std::string name;
  ConnectionSettings settings;
  ConnectionSettings secrets;
};

struct ConnectionStatus {
  domain::SyncConnection connection;
  int64_t backlog = 0;  // webhook hints not applied yet
  // "/webhooks/<connector>/<token>"; empty unless the caller is an
  // administrator (the token lets anyone post hints for this connection).
  std::string webhook_path;
};

class ConnectionService {
 public:
  ConnectionService(services::Context ctx, const ConnectorRegistry& registry,
                    const SecretBox& box)
      : ctx_(ctx), registry_(registry), box_(box) {}

  // kInvalidArgument naming each missing setting or secret; kAlreadyExists
  // when the organization already has a connection to that system.
  Result<ConnectionStatus> Create(const services::Principal& p, const NewConnection& c) const;
  Result<ConnectionStatus> Status(const services::Principal& p, const std::string& id) const;
  Result<std::vector<ConnectionStatus>> List(const services::Principal& p) const;
  // Replaces the given secrets (others kept) and settings.
  Result<ConnectionStatus> Update(const services::Principal& p, const std::string& id,
                                  const std::optional<std::string>& name,
                                  const std::optional<bool>& enabled,
                                  const ConnectionSettings& settings,
                                  const ConnectionSettings& secrets) const;
  Result<void> Delete(const services::Principal& p, const std::string& id) const;

  // The connector of a stored connection, with its secrets opened.
  Result<std::unique_ptr<Connector>> Open(const domain::SyncConnection& c) const;
  Result<void> TestCredentials(const services::Principal& p, const std::string& id) const;
  // Registers `public_base_url` + webhook path with the source.
  Result<ConnectionStatus> RegisterWebhook(const services::Principal& p, const std::string& id,
                                           const std::string& public_base_url) const;
  // Asks for a full run (backfill / resync) as soon as a runner is free.
  Result<ConnectionStatus> RequestBackfill(const services::Principal& p,
                                           const std::string& id) const;

  // A delivery to /webhooks/<connector>/<token>: kNotFound for an unknown
  // token (or another connector's), kInvalidArgument for a malformed body;
  // otherwise the hints are stored and their count returned.
  Result<int> ReceiveWebhook(const std::string& connector, const std::string& token,
                             std::string_view content_type, std::string_view body) const;

  // Called after hints are stored (serve wakes its SyncRunner there). Set
  // before the service is shared between threads.
  void OnHintsStored(std::function<void()> listener) { on_hints_ = std::move(listener); }

 private:
  Result<domain::SyncConnection> Load(const services::Principal& p, const std::string& id) const;
  Result<ConnectionStatus> StatusOf(const domain::SyncConnection& c,
                                    const services::Principal& p) const;
  Result<ConnectionSettings> OpenSecrets(const domain::SyncConnection& c) const;

  services::Context ctx_;
  const ConnectorRegistry& registry_;
  const SecretBox& box_;
  std::function<void()> on_hints_;
};

}  // namespace relance::sync
