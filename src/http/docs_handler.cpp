// /docs: Swagger UI (npm package swagger-ui-dist, installed in
// web/node_modules by `make`) browsing /api/v1/openapi.json. The page is
// ours; its three assets are read from the docs directory, by name from a
// fixed list, so no request path ever reaches the file system.
#include <fstream>
#include <sstream>

#include "http/api.h"

namespace relance::http {
namespace {

constexpr std::string_view kDocsHtml = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Relance API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script>
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    withCredentials: true,
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout"
  });
};
</script>
</body>
</html>
)html";

struct Asset {
  std::string_view name;
  std::string_view content_type;
};

constexpr Asset kAssets[] = {
    {"swagger-ui.css", "text/css; charset=utf-8"},
    {"swagger-ui-bundle.js", "application/javascript; charset=utf-8"},
    {"swagger-ui-standalone-preset.js", "application/javascript; charset=utf-8"},
    {"favicon-32x32.png", "image/png"},
    {"favicon-16x16.png", "image/png"},
};

ApiError DocsMissing(const std::optional<std::string>& dir) {
  std::string where = dir ? "the docs directory " + *dir + " has no swagger-ui-dist files"
                          : "no docs directory is configured (--docs-dir / RELANCE_DOCS_DIR)";
  return ApiError{503,
                  "docs_unavailable",
                  "the API documentation page is not installed: " + where +
                      ". Run `make` (it runs npm ci in web/) and start the server with "
                      "--docs-dir web/node_modules/swagger-ui-dist. The OpenAPI document itself "
                      "is at /api/v1/openapi.json.",
                  {}};
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool DocsInstalled(const std::optional<std::string>& dir) {
  if (!dir) return false;
  std::ifstream probe(*dir + "/swagger-ui-bundle.js");
  return static_cast<bool>(probe);
}

}  // namespace

void AddDocsRoutes(Router& r, const Api& api) {
  RouteDoc page_doc{"System", "Interactive API documentation (Swagger UI, HTML)",
                    "503 with the error envelope when swagger-ui-dist is not installed.", "docs"};
  page_doc.response = Body::kHtml;
  r.Add({"GET", "/docs", std::nullopt,
         [&api](ApiRequest&) -> Reply {
           if (!DocsInstalled(api.docs_dir)) return ErrorReply(DocsMissing(api.docs_dir));
           Reply reply;
           reply.body = std::string(kDocsHtml);
           reply.content_type = "text/html; charset=utf-8";
           return reply;
         },
         std::move(page_doc)});

  RouteDoc asset_doc{"System", "A file of the documentation page", "", "docsAsset"};
  asset_doc.response = Body::kFile;
  r.Add({"GET", "/docs/assets/{file}", std::nullopt,
         [&api](ApiRequest& req) -> Reply {
           const std::string& name = req.PathParam("file");
           for (const Asset& a : kAssets) {
             if (a.name != name) continue;
             if (!api.docs_dir) return ErrorReply(DocsMissing(api.docs_dir));
             auto content = ReadFile(*api.docs_dir + "/" + std::string(a.name));
             if (!content) return ErrorReply(DocsMissing(api.docs_dir));
             Reply reply;
             reply.body = std::move(*content);
             reply.content_type = std::string(a.content_type);
             reply.headers.emplace_back("Cache-Control", "public, max-age=3600");
             return reply;
           }
           return ErrorReply(NotFound("no documentation file named \"" + name + "\""));
         },
         std::move(asset_doc)});
}

}  // namespace relance::http
