#include "http/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <cctype>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include <sys/socket.h>

#include "core/ids.h"
#include "http/api.h"
#include "http/auth_middleware.h"
#include "http/openapi.h"
#include "sync/connection_service.h"
#include "sync/secret_box.h"

namespace relance::http {
namespace {

using Clock = std::chrono::steady_clock;

// What the dispatcher learns about the request being served on this thread,
// for the logger callback that httplib calls after writing the response
// (on the same worker thread, whatever path the request took).
struct RequestState {
  Clock::time_point start;
  size_t slot = 0;
  std::string request_id;
  bool active = false;    // pre-routing ran for the current request
  bool observed = false;  // its metrics are recorded
};
thread_local RequestState t_request;

constexpr std::string_view kMethods[] = {"GET",    "POST",    "PUT", "PATCH",
                                         "DELETE", "OPTIONS", "HEAD"};

std::string RequestIdFrom(const httplib::Request& req) {
  std::string given = req.get_header_value("X-Request-Id");
  bool ok = !given.empty() && given.size() <= 64;
  for (char c : given) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
  }
  return ok ? given : RandomHex(8);
}

// "Text/Plain; charset=utf-8" -> "text/plain".
std::string MediaType(const std::string& content_type) {
  std::string_view ct(content_type);
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  std::string lower;
  for (char c : ct) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

bool IsJsonContentType(const std::string& content_type) {
  const std::string lower = MediaType(content_type);
  return lower == "application/json" ||
         (lower.size() > 5 && lower.compare(lower.size() - 5, 5, "+json") == 0);
}

void Write(Reply reply, httplib::Response& res) {
  res.status = reply.status;
  for (const auto& [k, v] : reply.headers) res.set_header(k, v);
  const std::string type = reply.content_type.empty() ? "application/json" : reply.content_type;
  if (reply.shared_body) {
    // httplib calls the provider until the length is written; the page
    // stays alive in the lambda until the response is gone.
    const size_t size = reply.shared_body->size();  // before the lambda takes the page
    res.set_content_provider(size, type,
                             [page = std::move(reply.shared_body)](
                                 size_t offset, size_t length, httplib::DataSink& sink) {
                               return sink.write(page->data() + offset, length);
                             });
  } else if (!reply.content_type.empty() || !reply.body.empty()) {
    // Moved, not set_content's copy: list pages run to tens of KiB.
    res.body = std::move(reply.body);
    res.headers.erase("Content-Type");
    res.set_header("Content-Type", type);
  }
}

void WriteError(const ApiError& e, httplib::Response& res) { Write(ErrorReply(e), res); }

// The request path as logged: the token of a webhook address is a
// credential, so /webhooks/<connector>/<token> is logged without it.
std::string LoggedPath(const std::string& target) {
  std::string path(RawPath(target));
  constexpr std::string_view kWebhooks = "/webhooks/";
  if (path.rfind(kWebhooks, 0) == 0) {
    size_t slash = path.find('/', kWebhooks.size());
    if (slash != std::string::npos) path = path.substr(0, slash + 1) + "***";
  }
  return path;
}

ServerOptions WithUploadsDir(ServerOptions o) {
  if (o.uploads_dir.empty()) {
    o.uploads_dir = (std::filesystem::temp_directory_path() / "relance-uploads").string();
  }
  return o;
}

// A key for this process only, when the server is given none (tests).
const sync::SecretBox& EphemeralBox() {
  static const sync::SecretBox box = *sync::SecretBox::FromHex(sync::SecretBox::GenerateKeyHex());
  return box;
}

}  // namespace

struct Server::Impl {
  Impl(services::Context ctx, const services::AuthService& auth, ServerOptions o)
      : options(WithUploadsDir(std::move(o))),
        api(ctx, auth, options, options.connectors ? *options.connectors : no_connectors,
            options.secret_box ? *options.secret_box : EphemeralBox()) {
    if (options.on_webhook_hints) api.connections.OnHintsStored(options.on_webhook_hints);
  }

  void BuildRoutes();
  void Dispatch(const httplib::Request& req, httplib::Response& res, std::string body,
                std::optional<Upload> upload = std::nullopt);
  void DispatchRoute(const httplib::Request& req, httplib::Response& res, std::string body,
                     std::optional<Upload> upload);
  // The route a request goes to, if any (for the upload check before routing).
  const Route* RouteOf(const httplib::Request& req) const;
  void DispatchWithBody(const httplib::Request& req, httplib::Response& res,
                        const httplib::ContentReader& reader);
  Reply Handle(const Route& route, ApiRequest& areq);
  void Install();
  // Records the request's metrics once. Called before the response is
  // written (end of dispatch, error handler), so a client that reads
  // /metrics right after its response always finds its request counted.
  void Observe(int status);

  ServerOptions options;
  sync::ConnectorRegistry no_connectors;  // when options.connectors is null
  Api api;
  Router router;
  std::vector<size_t> slots;                     // metrics slot of each route
  std::map<std::string, size_t> unmatched_slot;  // by method; read-only once serving
  size_t other_slot = 0;                         // unmatched, unusual method
  std::string openapi_json;
  httplib::Server svr;
  std::thread thread;
  std::mutex mu;  // guards thread, started
  bool started = false;
  std::atomic<bool> listen_returned{false};
  int bound_port = 0;
  // The listening socket, as httplib's socket-options hook saw it.
  int listen_socket = -1;
};

void Server::Impl::BuildRoutes() {
  AddSystemRoutes(router, api, &openapi_json);
  AddDocsRoutes(router, api);
  AddSessionRoutes(router, api);
  AddOrganizationRoutes(router, api);
  AddUserRoutes(router, api);
  AddTokenRoutes(router, api);
  AddCustomerRoutes(router, api);
  AddContactRoutes(router, api);
  AddInvoiceRoutes(router, api);
  AddPaymentRoutes(router, api);
  AddAllocationRoutes(router, api);
  AddProductRoutes(router, api);
  AddDunningPlanRoutes(router, api);
  AddDunningStepRoutes(router, api);
  AddActionRoutes(router, api);
  AddImportRoutes(router, api);
  AddConnectionRoutes(router, api);
  AddWebhookRoutes(router, api);
  AddBounceRoutes(router, api);
  for (const Route& r : router.routes()) slots.push_back(api.metrics.Register(r.method, r.path));
  for (auto m : kMethods) {
    unmatched_slot[std::string(m)] = api.metrics.Register(std::string(m), "unmatched");
  }
  other_slot = api.metrics.Register("OTHER", "unmatched");
  openapi_json = BuildOpenApi(router.routes()).dump(2);
}

Reply Server::Impl::Handle(const Route& route, ApiRequest& areq) {
  if (route.access) {
    auto principal = Authenticate(api.auth, areq.http);
    if (!principal.ok()) {
      Reply r = ErrorReply(principal.error());
      if (r.status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"relance\"");
      return r;
    }
    if (auto allowed = services::Authorize(*principal, *route.access); !allowed.ok()) {
      return ErrorReply(allowed.error());
    }
    areq.principal = std::move(*principal);
  }
  if (route.method == "POST" && route.doc.idempotency_key && areq.principal &&
      areq.http.has_header(std::string(kIdempotencyHeader))) {
    return api.idempotency.Run(*areq.principal,
                               areq.http.get_header_value(std::string(kIdempotencyHeader)), areq,
                               [&] { return route.handler(areq); });
  }
  return route.handler(areq);
}

void Server::Impl::Dispatch(const httplib::Request& req, httplib::Response& res, std::string body,
                            std::optional<Upload> upload) {
  DispatchRoute(req, res, std::move(body), std::move(upload));
  Observe(res.status);
}

const Route* Server::Impl::RouteOf(const httplib::Request& req) const {
  auto segments = SplitPath(RawPath(req.target));
  if (!segments) return nullptr;
  return router.Find(req.method, *segments).route;
}

void Server::Impl::DispatchRoute(const httplib::Request& req, httplib::Response& res,
                                 std::string body, std::optional<Upload> upload) {
  const std::string method = req.method == "HEAD" ? "GET" : req.method;
  auto segments = SplitPath(RawPath(req.target));
  if (!segments) {
    WriteError(ApiError{400, "malformed_request", "the request path has a malformed %-escape", {}},
               res);
    return;
  }
  Router::Found found = router.Find(method, *segments);
  if (found.route == nullptr) {
    std::string path(RawPath(req.target));
    if (found.allowed.empty()) {
      WriteError(RouteNotFound(req.method, path), res);
    } else if (req.method == "OPTIONS") {
      res.status = 204;
      res.set_header("Allow", found.allowed + ", OPTIONS");
    } else {
      res.set_header("Allow", found.allowed);
      WriteError(MethodNotAllowed(req.method, path, found.allowed), res);
    }
    return;
  }
  const Route& route = *found.route;
  t_request.slot = slots[route.index];

  const auto& raw_types = route.doc.raw_body_types;
  if (!body.empty() && !raw_types.empty() && req.has_header("Content-Type") &&
      std::find(raw_types.begin(), raw_types.end(),
                MediaType(req.get_header_value("Content-Type"))) == raw_types.end()) {
    std::string types;
    for (const auto& t : raw_types) types += (types.empty() ? "" : " or ") + t;
    WriteError(ApiError{415, "unsupported_media_type",
                        "send the body as " + types + ", not \"" +
                            req.get_header_value("Content-Type") + "\"",
                        {}},
               res);
    return;
  }
  if (!body.empty() && !route.doc.any_content_type && raw_types.empty() &&
      req.has_header("Content-Type") && !IsJsonContentType(req.get_header_value("Content-Type"))) {
    WriteError(UnsupportedMediaType(req.get_header_value("Content-Type")), res);
    return;
  }
  if (route.doc.upload && !upload) {
    WriteError(ApiError{415, "unsupported_media_type",
                        "send the file as multipart/form-data, in a part named \"file\"", {}},
               res);
    return;
  }
  ApiRequest areq{req, std::move(body), std::move(found.params), std::nullopt,
                  t_request.request_id, std::move(upload)};
  Reply reply;
  try {
    reply = Handle(route, areq);
  } catch (const std::exception& e) {
    spdlog::error("request {}: {} {}: unhandled exception: {}", areq.request_id, req.method,
                  route.path, e.what());
    reply = ErrorReply(InternalError(areq.request_id));
  } catch (...) {
    spdlog::error("request {}: {} {}: unhandled exception of unknown type", areq.request_id,
                  req.method, route.path);
    reply = ErrorReply(InternalError(areq.request_id));
  }
  if (reply.status >= 500 && reply.status != 503) {
    // A service error of kind internal: its message may quote the database;
    // keep it in the log and give the client the request id only.
    spdlog::error("request {}: {} {} failed: {}", areq.request_id, req.method, route.path,
                  reply.body);
    reply = ErrorReply(InternalError(areq.request_id));
  }
  Write(std::move(reply), res);
}

void Server::Impl::Observe(int status) {
  if (t_request.observed) return;
  double seconds = 0;
  size_t slot = other_slot;
  if (t_request.active) {
    seconds = std::chrono::duration<double>(Clock::now() - t_request.start).count();
    slot = t_request.slot;
  }
  api.metrics.Observe(slot, status, seconds);
  t_request.observed = true;
}

void Server::Impl::DispatchWithBody(const httplib::Request& req, httplib::Response& res,
                                    const httplib::ContentReader& reader) {
  std::string body;
  bool too_large = false;
  bool read = true;
  if (req.is_multipart_form_data()) {
    const Route* route = RouteOf(req);
    if (route == nullptr || !route->doc.upload) {
      res.set_header("Connection", "close");
      WriteError(UnsupportedMediaType(req.get_header_value("Content-Type")), res);
      Observe(res.status);
      return;
    }
    UploadResult up = ReceiveUpload(reader, api.imports.uploads_dir() + "/tmp",
                                    {options.max_upload_bytes, options.max_body_bytes});
    if (!up.ok) {
      res.set_header("Connection", "close");
      WriteError(up.error, res);
      Observe(res.status);
      return;
    }
    Dispatch(req, res, std::string(), std::move(up.upload));
    return;
  }
  read = reader([&](const char* data, size_t n) {
    if (body.size() + n > options.max_body_bytes) {
      too_large = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (too_large || res.status == 413) {
    res.set_header("Connection", "close");
    WriteError(PayloadTooLarge(options.max_body_bytes), res);
    Observe(res.status);
    return;
  }
  if (!read) {
    res.set_header("Connection", "close");
    WriteError(ApiError{400, "malformed_request", "the request body could not be read", {}}, res);
    Observe(res.status);
    return;
  }
  Dispatch(req, res, std::move(body));
}

void Server::Impl::Install() {
  svr.new_task_queue = [n = options.worker_threads] {
    return new httplib::ThreadPool(static_cast<size_t>(n > 0 ? n : 1));
  };
  // Uploads may be larger than other bodies; those are limited while read.
  svr.set_payload_max_length(std::max(options.max_body_bytes, options.max_upload_bytes));
  svr.set_default_headers({{"X-Content-Type-Options", "nosniff"}});
  // httplib writes headers and body separately: with Nagle's algorithm the
  // body waits for the client's delayed ACK, 40 ms on every keep-alive
  // request after the first.
  svr.set_tcp_nodelay(true);
  // A worker thread serves one connection until it closes; more requests per
  // connection save reconnects, and worker_threads bounds how many clients
  // are served at once.
  svr.set_keep_alive_max_count(1000);
  // Replaces httplib's hook, which sets SO_REUSEPORT: with it a second
  // server could bind this port beside us; SO_REUSEADDR only allows a
  // restart over connections still in TIME_WAIT. The socket is kept so that
  // Start can raise its listen backlog.
  svr.set_socket_options([this](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_socket = sock;
  });

  svr.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    t_request.start = Clock::now();
    t_request.request_id = RequestIdFrom(req);
    auto it = unmatched_slot.find(req.method);
    t_request.slot = it != unmatched_slot.end() ? it->second : other_slot;
    t_request.active = true;
    t_request.observed = false;
    res.set_header("X-Request-Id", t_request.request_id);
    return httplib::Server::HandlerResponse::Unhandled;
  });

  auto plain = [this](const httplib::Request& req, httplib::Response& res) {
    Dispatch(req, res, std::string());
  };
  auto with_body = [this](const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& reader) {
    DispatchWithBody(req, res, reader);
  };
  const std::string any = ".*";
  svr.Get(any, plain);
  svr.Options(any, plain);
  svr.Delete(any, plain);
  svr.Post(any, with_body);
  svr.Put(any, with_body);
  svr.Patch(any, with_body);
  svr.Delete(any, with_body);

  // Statuses httplib sets on its own (unreadable request line, 413 on a
  // Content-Length above the limit, 414 ...) get the envelope too.
  svr.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) {
          Observe(res.status);
          return httplib::Server::HandlerResponse::Unhandled;
        }
        ApiError e =
            res.status == 413 ? PayloadTooLarge(options.max_body_bytes) : FromStatus(res.status);
        if (res.status == 400 && (req.method == "CONNECT" || req.method == "TRACE")) {
          e = MethodNotAllowed(req.method, req.path, "GET, POST, PATCH, DELETE, OPTIONS");
          res.status = 405;
        }
        res.set_content(EnvelopeJson(e), "application/json");
        Observe(res.status);
        return httplib::Server::HandlerResponse::Handled;
      }));
  svr.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("request {}: {} {}: exception outside a handler: {}", t_request.request_id,
                      req.method, LoggedPath(req.target), what);
        res.status = 500;
        res.set_content(EnvelopeJson(InternalError(t_request.request_id)), "application/json");
      });

  svr.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    Observe(res.status);  // a path that recorded nothing yet (e.g. 400 before routing)
    double ms =
        t_request.active
            ? std::chrono::duration<double, std::milli>(Clock::now() - t_request.start).count()
            : 0.0;
    spdlog::info("{} {} {} {:.1f}ms rid={}", req.method, LoggedPath(req.target), res.status, ms,
                 t_request.active ? t_request.request_id : "-");
    t_request.active = false;
    t_request.observed = false;
  });
}

Server::Server(services::Context ctx, const services::AuthService& auth, ServerOptions options)
    : impl_(std::make_unique<Impl>(ctx, auth, std::move(options))) {
  impl_->BuildRoutes();
  impl_->Install();
}

Server::~Server() {
  Stop();
  std::lock_guard lock(impl_->mu);
  if (impl_->thread.joinable()) impl_->thread.join();
}

Result<void> Server::Start() {
  std::lock_guard lock(impl_->mu);
  if (impl_->started) return Error(ErrorCode::kFailedPrecondition, "the server is already started");
  const auto& o = impl_->options;
  int port = o.port;
  if (o.port == 0) {
    port = impl_->svr.bind_to_any_port(o.host);
    if (port < 0) return Unavailable("cannot listen on " + o.host + " (any port)");
  } else if (!impl_->svr.bind_to_port(o.host, o.port)) {
    return Unavailable("cannot listen on " + o.host + ":" + std::to_string(o.port) +
                       " (in use, or not an address of this machine)");
  }
  // httplib's library listens with a backlog of 5: a burst of clients
  // connecting at once (a pool of 32 reconnecting together) overflowed it,
  // and each dropped connection attempt is sent again a second later. On
  // Linux, listen() again on the bound socket sets the new backlog.
  if (impl_->listen_socket >= 0 && ::listen(impl_->listen_socket, SOMAXCONN) != 0) {
    spdlog::warn("could not raise the listen backlog: {}", std::strerror(errno));
  }
  if (o.import_worker) RETURN_IF_ERROR(impl_->api.imports.StartWorker());
  impl_->bound_port = port;
  if (impl_->api.public_url.empty()) {
    // Before the listening thread starts: handlers read it afterwards only.
    impl_->api.public_url = "http://127.0.0.1:" + std::to_string(port);
  }
  impl_->started = true;
  impl_->listen_returned = false;
  impl_->thread = std::thread([this] {
    impl_->svr.listen_after_bind();
    impl_->listen_returned = true;
  });
  // Stop() only stops a server that is running: wait until it is, so that
  // a Stop() right after Start() is never lost.
  while (!impl_->svr.is_running() && !impl_->listen_returned)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  spdlog::info("listening on http://{}:{} ({} routes)", o.host, port,
               impl_->router.routes().size());
  return Ok();
}

void Server::Wait() {
  std::thread t;
  {
    std::lock_guard lock(impl_->mu);
    t = std::move(impl_->thread);
  }
  if (t.joinable()) t.join();
}

Result<void> Server::Run() {
  RETURN_IF_ERROR(Start());
  Wait();
  return Ok();
}

void Server::Stop() {
  impl_->svr.stop();
  impl_->api.imports.Stop();
}

int Server::port() const { return impl_->bound_port; }

std::vector<std::pair<std::string, std::string>> Server::Routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Route& r : impl_->router.routes()) out.emplace_back(r.method, r.path);
  return out;
}

const std::string& Server::OpenApiJson() const { return impl_->openapi_json; }

}  // namespace relance::http
