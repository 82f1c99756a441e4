// The HTTP server of Relance: the REST API under /api/v1, its OpenAPI
// document (/api/v1/openapi.json), the interactive documentation (/docs),
// /healthz, /metrics and a small index page at /.
//
// Every request goes through one dispatcher: route lookup in the route table
// (404 route_not_found / 405 method_not_allowed), body size limit (413),
// authentication (401) and role check (403), Idempotency-Key on POST, the
// handler, and one catch-all that turns any exception into a 500 envelope
// logged with the request id (never a stack trace or SQL to the client).
// Every error answer is the envelope of error_response.h.
//
// Wiring (src/cli serve):
//   http::Server server(services::Context{db, clock}, auth,
//                       {.host = s.host, .port = s.port, .docs_dir = s.docs_dir});
//   RETURN_IF_ERROR(server.Start());   // binds; serves on background threads
//   ... server.port() ...               // the bound port (useful with port 0)
//   server.Wait();                      // until Stop() from another thread
//
// The context's database and clock and `auth` must outlive the Server.
// Start, Stop and Wait may be called from different threads; Stop is
// idempotent and safe to call before Start.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "services/auth_service.h"
#include "services/context.h"

namespace relance::sync {
class ConnectorRegistry;
class SecretBox;
}  // namespace relance::sync

namespace relance::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;                     // 0: any free port; port() tells which
  size_t max_body_bytes = 1 << 20;  // larger request bodies get 413
  // Where swagger-ui-dist's files are (web/node_modules/swagger-ui-dist).
  // Unset or missing: /docs answers 503 saying how to install them.
  std::optional<std::string> docs_dir;
  // httplib serves one connection per thread for as long as it stays open
  // (keep-alive): this bounds the clients served at once, not the CPU used.
  int worker_threads = 64;
  // Uploaded import files are kept here until their import has run.
  // Empty: a folder under the system's temporary directory.
  std::string uploads_dir;
  size_t max_upload_bytes = size_t{256} << 20;  // a larger upload gets 413
  // Rendered list pages kept until their table changes (list_page_cache.h);
  // 0 turns the cache off.
  size_t list_cache_bytes = size_t{32} << 20;
  // Run queued imports in this process (imports::ImportService worker).
  bool import_worker = true;
  // Connections to external systems (/api/v1/connections, /webhooks): the
  // connector types served and the key that seals their secrets. Both must
  // outlive the Server. Null registry: no connector type; null box: a random
  // key for this process only (tests).
  const sync::ConnectorRegistry* connectors = nullptr;
  const sync::SecretBox* secret_box = nullptr;
  // The base URL sources use to reach /webhooks/...; empty:
  // http://127.0.0.1:<bound port>.
  std::string public_url;
  // Called after a webhook delivery stored hints (serve wakes its runner).
  std::function<void()> on_webhook_hints;
};

class Server {
 public:
  Server(services::Context ctx, const services::AuthService& auth, ServerOptions options = {});
  ~Server();  // stops and joins
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds host:port and serves on background threads. kUnavailable when the
  // address cannot be bound; kFailedPrecondition when already started.
  Result<void> Start();
  // Blocks until the server stops (Stop, from another thread).
  void Wait();
  // Start, then Wait.
  Result<void> Run();
  void Stop();

  // The bound port once started (the chosen one when options.port was 0).
  int port() const;

  // Every (method, path template) the server answers, in table order: the
  // same table the OpenAPI document is generated from.
  std::vector<std::pair<std::string, std::string>> Routes() const;
  // The OpenAPI 3 document served at /api/v1/openapi.json.
  const std::string& OpenApiJson() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace relance::http
