// The routes around the API: "/" (where things are), /healthz (a database
// round trip), /metrics (Prometheus) and /api/v1/openapi.json.
#include "http/api.h"
#include "store/migrations/migrations.h"

namespace relance::http {
namespace {

constexpr std::string_view kIndexHtml = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Relance</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; color: #1d2733; }
 code, pre { background: #f2f4f7; padding: .1rem .3rem; border-radius: 3px; }
 pre { padding: .8rem; overflow-x: auto; }
 li { margin: .3rem 0; }
</style>
</head>
<body>
<h1>Relance</h1>
<p>Relance gathers your customers, contacts, invoices, credit notes and payments,
chases late payers and keeps your business tools in sync. This server answers the
REST API; the web application is not served here yet.</p>
<h2>Where things are</h2>
<ul>
 <li><a href="/docs">/docs</a>: interactive API documentation (try requests from the browser).</li>
 <li><a href="/api/v1/openapi.json">/api/v1/openapi.json</a>: the OpenAPI 3 description of the API.</li>
 <li><a href="/healthz">/healthz</a>: health check (the database answers).</li>
 <li><a href="/metrics">/metrics</a>: Prometheus metrics.</li>
 <li><code>/api/v1/…</code>: the API itself (JSON).</li>
</ul>
<h2>Signing in</h2>
<p>With an API token (from <code>relance token create</code>, or
<code>POST /api/v1/tokens</code> once signed in):</p>
<pre>curl -H "Authorization: Bearer rlt_…" http://HOST/api/v1/customers</pre>
<p>Or with your e-mail and password, which sets a session cookie:</p>
<pre>curl -c cookies.txt -H "Content-Type: application/json" \
     -d '{"email":"you@example.com","password":"…"}' http://HOST/api/v1/auth/login
curl -b cookies.txt http://HOST/api/v1/me</pre>
<p>Started with <code>--demo</code> (as <code>make run</code> does), the demo organization's
users are <code>admin@demo.relance.test</code>, <code>membre@demo.relance.test</code> and
<code>lecture@demo.relance.test</code>, password <code>relance-demo</code>. On
<a href="/docs">/docs</a>, call <code>POST /api/v1/auth/login</code> first: the cookie then
authenticates the other calls.</p>
</body>
</html>
)html";

Reply Html(std::string_view html) {
  Reply r;
  r.body = std::string(html);
  r.content_type = "text/html; charset=utf-8";
  return r;
}

}  // namespace

void AddSystemRoutes(Router& r, const Api& api, const std::string* openapi_json) {
  RouteDoc index_doc{"System", "Where things are (HTML)", "", "index"};
  index_doc.response = Body::kHtml;
  r.Add({"GET", "/", std::nullopt, [](ApiRequest&) { return Html(kIndexHtml); },
         std::move(index_doc)});

  RouteDoc health_doc{"System", "Health check",
                      "200 {\"status\":\"ok\"} when the database answers and its schema is "
                      "current; 503 with the error envelope otherwise.",
                      "healthz"};
  health_doc.response_schema = "Health";
  r.Add({"GET", "/healthz", std::nullopt,
         [&api](ApiRequest&) -> Reply {
           auto version = store::CurrentSchemaVersion(api.ctx.db);
           if (!version.ok()) {
             return ErrorReply(Unavailable("the database does not answer: " +
                                           std::string(ErrorCodeName(version.error().code()))));
           }
           int latest = store::AllMigrations().empty() ? 0 : store::AllMigrations().back().version;
           if (*version < latest) {
             return ErrorReply(Unavailable("the database schema is at version " +
                                           std::to_string(*version) + ", expected " +
                                           std::to_string(latest) + "; run relance migrate"));
           }
           nlohmann::ordered_json j = nlohmann::ordered_json::object();
           j["status"] = "ok";
           j["schema_version"] = *version;
           Reply reply = JsonReply(200, j);
           reply.headers.emplace_back("Cache-Control", "no-store");
           return reply;
         },
         std::move(health_doc)});

  RouteDoc metrics_doc{"System", "Prometheus metrics (text exposition format)", "", "metrics"};
  metrics_doc.response = Body::kText;
  r.Add({"GET", "/metrics", std::nullopt,
         [&api](ApiRequest&) {
           Reply reply;
           reply.body = api.metrics.Render();
           const ListPageCache& pages = api.list_pages;
           reply.body +=
               "# HELP relance_list_cache_hits_total List pages answered from the cache.\n"
               "# TYPE relance_list_cache_hits_total counter\n"
               "relance_list_cache_hits_total " + std::to_string(pages.hits()) +
               "\n# HELP relance_list_cache_misses_total List pages read from the store.\n"
               "# TYPE relance_list_cache_misses_total counter\n"
               "relance_list_cache_misses_total " + std::to_string(pages.misses()) +
               "\n# HELP relance_list_cache_bytes Bytes of list pages kept.\n"
               "# TYPE relance_list_cache_bytes gauge\n"
               "relance_list_cache_bytes " + std::to_string(pages.bytes()) + "\n";
           reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
           return reply;
         },
         std::move(metrics_doc)});

  RouteDoc openapi_doc{"System", "This API's OpenAPI 3 document", "", "openapi"};
  openapi_doc.response = Body::kObject;
  r.Add({"GET", "/api/v1/openapi.json", std::nullopt,
         [openapi_json](ApiRequest&) {
           Reply reply;
           reply.body = *openapi_json;
           return reply;
         },
         std::move(openapi_doc)});
}

}  // namespace relance::http
