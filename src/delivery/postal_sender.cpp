#include "delivery/postal_sender.h"

#include <nlohmann/json.hpp>

#include "net/curl_support.h"
#include "net/http_client.h"
#include "delivery/provider_errors.h"

namespace relance::delivery {

using net::FailedPrecondition;
using net::HttpRequest;
using net::HttpResponse;
using net::PerformHttp;
namespace {

constexpr std::string_view kService = "the postal service";
constexpr size_t kMaxReferenceLength = 100;

nlohmann::json AddressJson(const PostalAddress& a) {
  nlohmann::json lines = nlohmann::json::array();
  std::string_view rest = a.street;
  while (!rest.empty()) {
    size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (!line.empty()) lines.push_back(std::string(line));
  }
  return {{"name", a.name},
          {"address_lines", std::move(lines)},
          {"postal_code", a.postal_code},
          {"city", a.city},
          {"country", a.country}};
}

// {"error":{"code","message","details":[{"field","message"}]}}
std::string PostalErrorDetail(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) {
    return body.substr(0, 200);
  }
  const nlohmann::json& e = j["error"];
  std::string detail = e.value("message", std::string());
  if (e.contains("code") && e["code"].is_string()) {
    detail = e["code"].get<std::string>() + (detail.empty() ? "" : ": " + detail);
  }
  if (e.contains("details") && e["details"].is_array()) {
    for (const auto& d : e["details"]) {
      if (!d.is_object()) continue;
      detail +=
          "; " + d.value("field", std::string("?")) + ": " + d.value("message", std::string());
    }
  }
  return detail;
}

}  // namespace

PostalApiLetterSender::PostalApiLetterSender(PostalApiSettings settings)
    : settings_(std::move(settings)) {}

Result<std::string> PostalApiLetterSender::Send(const Letter& letter) {
  if (settings_.api_key.empty()) return FailedPrecondition("the postal service has no API key");
  if (letter.pdf.rfind("%PDF-", 0) != 0) return FailedPrecondition("the letter is not a PDF");
  if (letter.idempotency_key.empty()) {
    // Without the key a retry could print and post the letter twice.
    return Internal("a letter must carry an idempotency key");
  }
  for (unsigned char c : letter.idempotency_key) {
    if (c < 0x21 || c > 0x7E) return Internal("the letter's idempotency key is not visible ASCII");
  }

  nlohmann::json options = {{"color", settings_.color},
                            {"duplex", settings_.duplex},
                            {"registered", settings_.registered},
                            {"acknowledgement", settings_.acknowledgement}};
  HttpRequest request;
  std::string base = settings_.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  request.url = base + "/v1/letters";
  request.headers = {"Authorization: Bearer " + settings_.api_key, "Accept: application/json",
                     "Idempotency-Key: " + letter.idempotency_key};
  request.form = {
      {"document", letter.pdf, "letter.pdf", "application/pdf"},
      {"recipient", AddressJson(letter.recipient).dump(), "", "application/json"},
      {"sender", AddressJson(letter.sender).dump(), "", "application/json"},
      {"options", options.dump(), "", "application/json"},
  };
  if (letter.idempotency_key.size() <= kMaxReferenceLength) {
    request.form.push_back({"reference", letter.idempotency_key, "", ""});
  }
  request.timeout_ms = settings_.timeout_ms;

  ASSIGN_OR_RETURN(HttpResponse response, PerformHttp(request, kService));
  if (response.status < 200 || response.status >= 300) {
    return ProviderHttpError(kService, response.status, PostalErrorDetail(response.body));
  }
  nlohmann::json j = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string()) {
    return Internal("the postal service accepted the letter but its answer has no \"id\": " +
                    response.body.substr(0, 200));
  }
  return j["id"].get<std::string>();
}

}  // namespace relance::delivery
