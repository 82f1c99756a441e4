#include "sync/connectors/sellsy/sellsy_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <thread>

#include "core/byte_scan.h"

namespace relance::sync::sellsy {
namespace {

using nlohmann::json;

const std::string* Header(const net::HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::optional<long> HeaderNumber(const net::HttpResponse& r, std::string_view name) {
  const std::string* v = Header(r, name);
  if (v == nullptr || v->empty() || v->size() > 12) return std::nullopt;
  if (!std::all_of(v->begin(), v->end(), [](unsigned char c) { return std::isdigit(c); })) {
    return std::nullopt;
  }
  return std::stol(*v);
}

// Never throws: invalid UTF-8 (from settings) is replaced, not an exception.
std::string SafeDump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Sellsy's error body (research §4) or an OAuth error, in one phrase.
std::string ErrorTextOf(const json& body, int status) {
  if (body.is_object()) {
    if (body.contains("error") && body["error"].is_object()) {
      const json& e = body["error"];
      std::string out = e.contains("message") && e["message"].is_string()
                            ? e["message"].get<std::string>()
                            : std::string();
      if (e.contains("context") && e["context"].is_string()) {
        out += " (" + e["context"].get<std::string>() + ")";
      }
      if (e.contains("details") && e["details"].is_object() && !e["details"].empty()) {
        out += " " + SafeDump(e["details"]);
      }
      if (!out.empty()) return out;
    }
    if (body.contains("error") && body["error"].is_string()) {
      std::string out = body["error"].get<std::string>();
      if (body.contains("error_description") && body["error_description"].is_string()) {
        out += ": " + body["error_description"].get<std::string>();
      }
      return out;
    }
  }
  return "HTTP " + std::to_string(status);
}

std::string ErrorText(const net::HttpResponse& r) {
  return ErrorTextOf(json::parse(r.body, nullptr, false), r.status);
}

bool IsJsonContainer(JsonElement e) { return e.is_object() || e.is_array(); }

// A simdjson value as a nlohmann tree, for the rare answers read that way.
json Tree(JsonElement e) { return json::parse(simdjson::to_string(e)); }

// A 429 asking to wait longer than this fails the call at once.
constexpr long kMaxRetryAfterSeconds = 60;

// The query of one page: `query`, the page size and the offset to resume
// from ("" for the first page).
Query PageQuery(Query query, const std::string& offset) {
  query.emplace_back("limit", std::to_string(SellsyClient::kPageLimit));
  if (!offset.empty()) query.emplace_back("offset", offset);
  return query;
}

// The integer or text `offset` of a list answer's pagination, as text.
std::string OffsetText(JsonElement pagination) {
  std::optional<JsonElement> offset = JsonMember(pagination, "offset");
  if (!offset) return "";
  std::string_view text;
  if (offset->get(text) == simdjson::SUCCESS) return std::string(text);
  int64_t number = 0;
  if (offset->get(number) == simdjson::SUCCESS) return std::to_string(number);
  return "";
}

// A list answer (research §3) of `what`, asked from `offset`, as a page
// that keeps `document`, which `answer` points into.
Result<SellsyPage> PageOf(JsonDocument document, std::optional<JsonElement> answer,
                          std::string_view what, const std::string& offset) {
  simdjson::dom::array items;
  if (!answer || answer->at_key("data").get(items) != simdjson::SUCCESS) {
    return Unavailable("Sellsy " + std::string(what) + " answered a list without a data array");
  }
  SellsyPage page;
  page.document = std::move(document);
  page.data.reserve(items.size());
  for (JsonElement item : items) page.data.push_back(item);
  int64_t count = static_cast<int64_t>(page.data.size());
  if (std::optional<JsonElement> p = JsonMember(*answer, "pagination"); p && p->is_object()) {
    int64_t listed = 0;
    std::optional<JsonElement> c = JsonMember(*p, "count");
    if (c && c->get(listed) == simdjson::SUCCESS) count = listed;
    page.next_offset = OffsetText(*p);
  }
  page.last = page.data.empty() || count < SellsyClient::kPageLimit || page.next_offset.empty() ||
              page.next_offset == offset;
  return page;
}

// `text` as a JSON string, as SafeDump writes it.
void AppendJsonText(std::string_view text, std::string& out) {
  if (IsPlainJsonAscii(text)) {
    out += '"';
    out += text;
    out += '"';
  } else {
    out += SafeDump(json(text));
  }
}

}  // namespace

// Written by hand, byte for byte what SafeDump gave of the nlohmann object
// once built here (keys in byte order: method, query, uri; the query's
// names too): building and dumping that tree of std::maps cost some 15,000
// instructions a request.
void AppendBatchLines(const BatchRequest& r, std::string& out) {
  out += R"({"method":)";
  AppendJsonText(r.method, out);
  if (!r.query.empty()) {
    // Each name once, in byte order, with its values in their order.
    std::vector<std::pair<std::string_view, std::vector<std::string_view>>> names;
    for (const auto& param : r.query) {
      auto it = std::find_if(names.begin(), names.end(),
                             [&](const auto& entry) { return entry.first == param.first; });
      if (it == names.end()) it = names.insert(names.end(), {param.first, {}});
      it->second.push_back(param.second);
    }
    std::sort(names.begin(), names.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    out += R"(,"query":{)";
    for (size_t i = 0; i < names.size(); ++i) {
      const auto& [name, values] = names[i];
      if (i > 0) out += ',';
      AppendJsonText(name, out);
      out += ':';
      // An array when the name ends in [] or repeats, else the value alone.
      const bool array = values.size() > 1 || name.ends_with("[]");
      if (array) out += '[';
      for (size_t j = 0; j < values.size(); ++j) {
        if (j > 0) out += ',';
        AppendJsonText(values[j], out);
      }
      if (array) out += ']';
    }
    out += '}';
  }
  out += R"(,"uri":)";
  AppendJsonText(r.path, out);
  out += "}\n";
  out += r.body ? SafeDump(*r.body) : "{}";
  out += '\n';
}

std::string EncodeQuery(const Query& query) {
  // Names and values are mostly letters and digits, which FormUrlEncode
  // keeps as they are (as it does - . _ *): those are copied.
  auto append = [](std::string_view text, std::string& out) {
    const bool kept = std::all_of(text.begin(), text.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '.' || c == '_' || c == '*';
    });
    if (kept) {
      out += text;
    } else {
      out += net::FormUrlEncode(text);
    }
  };
  std::string out;
  for (const auto& [k, v] : query) {
    if (!out.empty()) out += '&';
    append(k, out);
    out += '=';
    append(v, out);
  }
  return out;
}

SellsyClient::SellsyClient(SellsyClientOptions options) : options_(std::move(options)) {
  while (!options_.api_url.empty() && options_.api_url.back() == '/') options_.api_url.pop_back();
  if (!options_.sleep) {
    options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
  if (!options_.now) {
    options_.now = [] {
      return std::chrono::time_point_cast<std::chrono::microseconds>(
          std::chrono::system_clock::now());
    };
  }
  if (!options_.perform) {
    // One session for the client's life: consecutive calls reuse the
    // connection (used by one thread at a time, like the client).
    auto session = std::make_shared<net::HttpSession>();
    options_.perform = [session](const net::HttpRequest& request, std::string_view what) {
      return session->Perform(request, what);
    };
  }
  if (options_.max_attempts < 1) options_.max_attempts = 1;
}

std::chrono::milliseconds SellsyClient::Backoff(int attempt) const {
  auto d = options_.first_backoff * (1 << std::min(attempt, 10));
  return std::min<std::chrono::milliseconds>(d, options_.max_backoff);
}

void SellsyClient::WaitForQuota(const net::HttpResponse& response) {
  std::optional<long> left = HeaderNumber(response, "x-quota-remaining-by-second");
  if (left && *left == 0) {
    auto since_epoch =
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.now().time_since_epoch());
    auto to_next = std::chrono::milliseconds(1000 - since_epoch.count() % 1000 + 5);
    options_.sleep(to_next);
  }
}

Result<void> SellsyClient::EnsureToken() {
  if (!token_.empty() && options_.now() < token_valid_until_) return Ok();
  std::string last;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) options_.sleep(Backoff(attempt - 1));
    Result<void> r = FetchToken();
    if (r.ok()) return r;
    if (r.error().code() != ErrorCode::kUnavailable) return r;
    last = r.error().message();
  }
  return Unavailable(last + " (after " + std::to_string(options_.max_attempts) + " attempts)");
}

Result<void> SellsyClient::FetchToken() {
  token_.clear();
  net::HttpRequest req;
  req.method = "POST";
  req.url = options_.token_url;
  req.timeout_ms = options_.timeout_ms;
  req.headers = {"Content-Type: application/json", "Accept: application/json"};
  req.body = SafeDump(json{{"grant_type", "client_credentials"},
                           {"client_id", options_.client_id},
                           {"client_secret", options_.client_secret}});
  ++requests_;
  const std::string where = "the Sellsy token endpoint " + options_.token_url;
  Result<net::HttpResponse> resp = options_.perform(req, where);
  if (!resp.ok()) return Unavailable(resp.error().message());
  const net::HttpResponse& r = *resp;
  if (r.status == 429 || r.status >= 500) {
    if (r.status == 429) {
      std::optional<long> after = HeaderNumber(r, "retry-after");
      options_.sleep(after ? std::chrono::milliseconds(*after * 1000) : Backoff(0));
    }
    return Unavailable(where + " answered " + std::to_string(r.status) + ": " + ErrorText(r));
  }
  if (r.status == 400 || r.status == 401) {
    return Error(ErrorCode::kUnauthenticated,
                 "Sellsy refused the client credentials (" + ErrorText(r) +
                     "): check the client id and secret of the connection");
  }
  if (r.status == 403) {
    return Error(ErrorCode::kPermissionDenied,
                 "Sellsy does not allow this client to get a token (" + ErrorText(r) + ")");
  }
  if (r.status != 200) {
    return Unavailable(where + " answered " + std::to_string(r.status) + ": " + ErrorText(r));
  }
  json body = json::parse(r.body, nullptr, false);
  if (!body.is_object() || !body.contains("access_token") || !body["access_token"].is_string() ||
      body["access_token"].get<std::string>().empty()) {
    return Unavailable(where + " answered 200 without a JSON access_token");
  }
  int64_t ttl = 3600;
  if (body.contains("expires_in") && body["expires_in"].is_number_integer()) {
    ttl = body["expires_in"].get<int64_t>();
  }
  if (ttl <= 0) ttl = 60;
  // Renew a little before the end: a minute, or a tenth of a short lifetime.
  int64_t margin = std::min<int64_t>(60, ttl / 10);
  spdlog::debug("Sellsy: new access token from {}, valid {} s", options_.token_url, ttl);
  token_ = body["access_token"].get<std::string>();
  token_valid_until_ = options_.now() + std::chrono::seconds(ttl - margin);
  ++tokens_fetched_;
  return Ok();
}

Result<JsonDocument> SellsyClient::Parse(std::string_view text) {
  auto document = std::make_shared<simdjson::dom::document>();
  // realloc_if_needed: the body has no padding of its own, so simdjson
  // copies it into the parser's padded buffer, which is kept between calls.
  const simdjson::error_code error =
      parser_.parse_into_document(*document, text.data(), text.size(), true).error();
  if (error != simdjson::SUCCESS) return Unavailable(simdjson::error_message(error));
  return JsonDocument(std::move(document));
}

Result<JsonDocument> SellsyClient::Call(const std::string& method, std::string_view path,
                                        const Query& query, const RequestBody* body) {
  std::string url = options_.api_url + std::string(path);
  if (!query.empty()) url += "?" + EncodeQuery(query);
  const std::string what = "Sellsy (" + method + " " + url + ")";
  std::string last;        // the last retryable problem
  bool backoff = false;    // wait before the next attempt
  bool refreshed = false;  // a new token was fetched after a 401
  int attempt = 0;
  while (attempt < options_.max_attempts) {
    if (!last.empty()) {
      // Never the token or the secret: the URL and what went wrong.
      spdlog::warn("Sellsy {} {}: {} (attempt {}/{}, retrying)", method, url, last, attempt,
                   options_.max_attempts);
    }
    if (backoff) options_.sleep(Backoff(attempt - 1));
    backoff = true;
    Result<void> token = EnsureToken();
    if (!token.ok()) return std::move(token).take_error();

    net::HttpRequest req;
    req.method = method;
    req.url = url;
    req.timeout_ms = options_.timeout_ms;
    req.headers = {"Authorization: Bearer " + token_, "Accept: application/json"};
    if (body != nullptr) {
      req.headers.push_back("Content-Type: " + std::string(body->content_type));
      req.body = body->text;
    }
    ++requests_;
    ++attempt;
    Result<net::HttpResponse> resp = options_.perform(req, what);
    if (!resp.ok()) {
      last = resp.error().message();
      continue;
    }
    const net::HttpResponse& r = *resp;
    if (r.status != 429) WaitForQuota(r);  // a 429 waits for Retry-After below
    if (r.status == 401) {
      token_.clear();
      if (refreshed) {
        return Error(ErrorCode::kUnauthenticated,
                     "Sellsy refused a freshly issued access token for " + method + " " + url +
                         " (" + ErrorText(r) + "): the API client was revoked or lacks access");
      }
      // The token expired or was revoked: one new token, and this retry
      // does not use up an attempt.
      refreshed = true;
      backoff = false;
      last.clear();
      --attempt;
      continue;
    }
    if (r.status == 403) {
      return Error(ErrorCode::kPermissionDenied, "Sellsy denies " + method + " " + url + " (" +
                                                     ErrorText(r) +
                                                     "): the API client lacks the scope");
    }
    if (r.status == 404)
      return NotFound("Sellsy has no " + std::string(path) + ": " + ErrorText(r));
    if (r.status == 429) {
      std::optional<long> after = HeaderNumber(r, "retry-after");
      if (after && *after > kMaxRetryAfterSeconds) {
        // A minute, day or month window: not worth blocking the runner.
        return Unavailable("Sellsy " + method + " " + url +
                           ": the request quota is exhausted (429), retry after " +
                           std::to_string(*after) + " s");
      }
      options_.sleep(after ? std::chrono::milliseconds(*after * 1000) : Backoff(attempt));
      last = "the request quota is exhausted (429)";
      backoff = false;  // already waited
      continue;
    }
    if (r.status >= 500) {
      last = "HTTP " + std::to_string(r.status) + ": " + ErrorText(r);
      continue;
    }
    if (r.status >= 400) {
      return Internal("Sellsy refused " + method + " " + url + " with " + std::to_string(r.status) +
                      ": " + ErrorText(r));
    }
    if (r.status == 204 || r.body.empty()) return Parse("null");
    Result<JsonDocument> parsed = Parse(r.body);
    if (!parsed.ok() || !IsJsonContainer((*parsed)->root())) {
      std::string start = r.body.substr(0, 40);
      for (char& c : start) {
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
      }
      last = "the answer (HTTP " + std::to_string(r.status) + ") is not valid JSON: \"" + start +
             (r.body.size() > 40 ? "...\"" : "\"");
      // What simdjson found (a number beyond 64 bits is one), for the logs.
      if (!parsed.ok()) last += " (" + parsed.error().message() + ")";
      continue;
    }
    return parsed;
  }
  return Unavailable("Sellsy " + method + " " + url + " failed after " +
                     std::to_string(options_.max_attempts) + " attempts: " + last);
}

Result<JsonDocument> SellsyClient::GetDocument(std::string_view path, const Query& query) {
  return Call("GET", path, query, nullptr);
}

Result<json> SellsyClient::Get(std::string_view path, const Query& query) {
  ASSIGN_OR_RETURN(JsonDocument got, GetDocument(path, query));
  return Tree(got->root());
}

Result<json> SellsyClient::Post(std::string_view path, const json& body, const Query& query) {
  const RequestBody json_body{SafeDump(body), "application/json"};
  ASSIGN_OR_RETURN(JsonDocument got, Call("POST", path, query, &json_body));
  return Tree(got->root());
}

Result<json> SellsyClient::Delete(std::string_view path) {
  ASSIGN_OR_RETURN(JsonDocument got, Call("DELETE", path, {}, nullptr));
  return Tree(got->root());
}

Result<SellsyPage> SellsyClient::Page(std::string_view path, Query query, const std::string& offset,
                                      const std::optional<json>& search_filters) {
  query = PageQuery(std::move(query), offset);
  std::optional<RequestBody> search;
  if (search_filters)
    search = RequestBody{SafeDump(json{{"filters", *search_filters}}), "application/json"};
  ASSIGN_OR_RETURN(JsonDocument got,
                   Call(search ? "POST" : "GET", path, query, search ? &*search : nullptr));
  const JsonElement root = got->root();
  return PageOf(std::move(got), root, path, offset);
}

Result<std::vector<BatchAnswer>> SellsyClient::Batch(const std::vector<BatchRequest>& requests) {
  std::vector<BatchAnswer> out;
  out.reserve(requests.size());
  for (size_t start = 0; start < requests.size(); start += kBatchLimit) {
    const size_t end = std::min(requests.size(), start + kBatchLimit);
    RequestBody body{"", "text/plain"};
    for (size_t i = start; i < end; ++i) AppendBatchLines(requests[i], body.text);
    ASSIGN_OR_RETURN(JsonDocument got, Call("POST", "/batch", {}, &body));
    const std::string what = "Sellsy POST /batch of " + std::to_string(end - start) + " requests";
    simdjson::dom::array answers;
    if (got->root().at_key("responses").get(answers) != simdjson::SUCCESS) {
      return Unavailable(what + " answered without a responses array");
    }
    if (answers.size() != end - start) {
      return Unavailable(what + " answered " + std::to_string(answers.size()) + " responses");
    }
    size_t i = 0;
    for (JsonElement answer : answers) {
      ++i;
      int64_t code = 0;
      if (answer.at_key("code").get(code) != simdjson::SUCCESS) {
        return Unavailable(what + ": response " + std::to_string(i) + " has no integer code");
      }
      out.push_back({static_cast<int>(code), got, JsonMember(answer, "response")});
    }
  }
  return out;
}

Result<std::vector<Result<SellsyPage>>> SellsyClient::FirstPages(
    const std::vector<std::string>& paths, const Query& query) {
  std::vector<BatchRequest> requests;
  requests.reserve(paths.size());
  const Query first_page = PageQuery(query, "");
  for (const std::string& path : paths) requests.push_back({"GET", path, first_page, std::nullopt});
  ASSIGN_OR_RETURN(std::vector<BatchAnswer> answers, Batch(requests));
  std::vector<Result<SellsyPage>> out;
  out.reserve(paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string what = "GET " + paths[i] + " in a batch";
    if (answers[i].code != 200) {
      out.push_back(Unavailable(
          "Sellsy " + what + " answered " + std::to_string(answers[i].code) + ": " +
          ErrorTextOf(answers[i].response ? Tree(*answers[i].response) : json(), answers[i].code)));
    } else {
      out.push_back(PageOf(answers[i].document, answers[i].response, what, ""));
    }
  }
  return out;
}

Result<SellsyItems> SellsyClient::All(std::string_view path, const Query& query,
                                      const std::optional<json>& search_filters) {
  SellsyItems out;
  std::string offset;
  for (int guard = 0; guard < 100000; ++guard) {
    ASSIGN_OR_RETURN(SellsyPage page, Page(path, query, offset, search_filters));
    out.data.insert(out.data.end(), page.data.begin(), page.data.end());
    out.documents.push_back(std::move(page.document));
    if (page.last) return out;
    offset = page.next_offset;
  }
  return Unavailable("Sellsy " + std::string(path) + " never reached the end of its pages");
}

}  // namespace relance::sync::sellsy
