// A blocking client of the Sellsy API v2 (research §1-§4): OAuth2 client
// credentials with a cached access token, JSON calls with the bearer, seek
// pagination, and the retry policy:
// - X-Quota-Remaining-By-Second at 0: wait for the next second;
// - 429: wait Retry-After (or a backoff) and retry;
// - 5xx, transport failures, garbage or truncated JSON: retry with backoff;
// - 401: fetch a new token once and retry; again 401 -> kUnauthenticated;
// - 403 -> kPermissionDenied; 404 -> kNotFound; other 4xx -> kInternal
//   (our request is wrong), with Sellsy's message.
// After `max_attempts` the call fails with kUnavailable naming the URL and
// the last problem. Messages never contain the token or the secret.
//
// One instance is used by one thread at a time (like its Connector).
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/date.h"
#include "core/result.h"
#include "net/http_client.h"
#include "sync/connectors/sellsy/sellsy_json.h"

namespace relance::sync::sellsy {

// Query parameters in order; a name may repeat ("embed[]").
using Query = std::vector<std::pair<std::string, std::string>>;

struct SellsyClientOptions {
  std::string api_url;    // "https://api.sellsy.com/v2", no trailing slash needed
  std::string token_url;  // "https://login.sellsy.com/oauth2/access-tokens"
  std::string client_id;
  std::string client_secret;
  int max_attempts = 5;
  long timeout_ms = 30000;
  std::chrono::milliseconds first_backoff{250};
  std::chrono::milliseconds max_backoff{8000};
  // Injectable for tests: how to wait, and what time it is.
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<Timestamp()> now;
  // Injectable transport. The default keeps one libcurl handle for the
  // client's life (keep-alive: consecutive calls reuse the connection).
  std::function<Result<net::HttpResponse>(const net::HttpRequest&, std::string_view)> perform;
};

// One page of a list or search (research §3).
struct SellsyPage {
  JsonDocument document;          // what `data` points into
  std::vector<JsonElement> data;  // the items
  std::string next_offset;        // pagination.offset to pass back
  bool last = true;               // count < limit or empty data
};

// The items of every page of a list, with the documents they point into.
struct SellsyItems {
  std::vector<JsonDocument> documents;
  std::vector<JsonElement> data;
};

// One request of POST /batch (research §2); `path` is relative to api_url,
// as for Get ("/contacts/42/companies").
struct BatchRequest {
  std::string method = "GET";
  std::string path;
  Query query;
  std::optional<nlohmann::json> body;
};
// What one request of a batch got: its HTTP status and its body (Sellsy's
// error body when it failed), nullopt when the answer has none.
struct BatchAnswer {
  int code = 0;
  JsonDocument document;  // the batch's answer, which `response` points into
  std::optional<JsonElement> response;
};

class SellsyClient {
 public:
  static constexpr int kPageLimit = 100;
  // Requests per POST /batch. Sellsy documents no limit; the emulator's is
  // 50 (an inference, tests/emulators/sellsy/README.md).
  static constexpr size_t kBatchLimit = 50;

  explicit SellsyClient(SellsyClientOptions options);

  // `path` is relative to api_url ("/companies/42"). 204 gives null.
  Result<JsonDocument> GetDocument(std::string_view path, const Query& query = {});
  // As nlohmann trees, for the rare calls (webhooks, credentials).
  Result<nlohmann::json> Get(std::string_view path, const Query& query = {});
  Result<nlohmann::json> Post(std::string_view path, const nlohmann::json& body,
                              const Query& query = {});
  Result<nlohmann::json> Delete(std::string_view path);

  // One page of GET `path` (list) or, when `search_filters` is set, of
  // POST `path` {"filters": ...}; `offset` empty = the first page.
  Result<SellsyPage> Page(std::string_view path, Query query, const std::string& offset,
                          const std::optional<nlohmann::json>& search_filters = std::nullopt);
  // Every item of a list or search, page after page.
  Result<SellsyItems> All(std::string_view path, const Query& query,
                          const std::optional<nlohmann::json>& search_filters = std::nullopt);

  // `requests` through POST /batch, kBatchLimit a call, each call with the
  // retry policy above; the answers in the order of the requests. A 207
  // that is not one answer per request is kUnavailable.
  Result<std::vector<BatchAnswer>> Batch(const std::vector<BatchRequest>& requests);
  // The first page of GET `path` (with `query`) for each of `paths`, through
  // Batch. An entry is the page, or kUnavailable naming the path and what
  // its request answered, for the caller to ask again alone (Page, All),
  // which then gets the retries or the error of a call of its own.
  Result<std::vector<Result<SellsyPage>>> FirstPages(const std::vector<std::string>& paths,
                                                     const Query& query);

  // Fetches a token now if none is cached (TestCredentials).
  Result<void> EnsureToken();
  // Forgets the cached token.
  void InvalidateToken() { token_.clear(); }

  // How many HTTP exchanges were made (tests, logs).
  int requests() const { return requests_; }
  int tokens_fetched() const { return tokens_fetched_; }

 private:
  struct RequestBody {
    std::string text;
    std::string_view content_type;
  };
  Result<JsonDocument> Call(const std::string& method, std::string_view path, const Query& query,
                            const RequestBody* body);
  // `text` parsed into a document of its own (so elements of earlier
  // answers stay valid); kUnavailable with simdjson's reason if it is not JSON.
  Result<JsonDocument> Parse(std::string_view text);
  // One token request; kUnavailable when it may be retried.
  Result<void> FetchToken();
  std::chrono::milliseconds Backoff(int attempt) const;
  void WaitForQuota(const net::HttpResponse& response);

  SellsyClientOptions options_;
  // Reused by every parse (its buffers stay allocated); the documents are
  // not its own, so a parse never invalidates an earlier answer.
  simdjson::dom::parser parser_;
  std::string token_;
  Timestamp token_valid_until_{};
  int requests_ = 0;
  int tokens_fetched_ = 0;
};

// One request of a batch as its NDJSON pair (research §2), appended to
// `out`: the request line {"method","query","uri"} and the body line ({}
// when it has none). A query name ending in [] is always an array, another
// one when it repeats.
void AppendBatchLines(const BatchRequest& request, std::string& out);

// "a=1&embed%5B%5D=x": the query string of `query`, without '?'.
std::string EncodeQuery(const Query& query);

}  // namespace relance::sync::sellsy
