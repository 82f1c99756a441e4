#include "delivery/sms_sender.h"

#include <nlohmann/json.hpp>

#include "net/curl_support.h"
#include "net/http_client.h"
#include "delivery/provider_errors.h"

namespace relance::delivery {

using net::FailedPrecondition;
using net::FormUrlEncode;
using net::HttpRequest;
using net::HttpResponse;
using net::PerformHttp;
namespace {

constexpr std::string_view kService = "the SMS provider";

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// Twilio's error body: {"code": 21211, "message": "...", "more_info": ..., "status": 400}.
std::string TwilioErrorDetail(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return body.substr(0, 200);
  std::string detail;
  if (j.contains("code") && j["code"].is_number_integer()) {
    detail = "error " + std::to_string(j["code"].get<int64_t>());
  }
  if (j.contains("message") && j["message"].is_string()) {
    if (!detail.empty()) detail += ": ";
    detail += j["message"].get<std::string>();
  }
  return detail;
}

}  // namespace

TwilioSmsSender::TwilioSmsSender(TwilioSettings settings) : settings_(std::move(settings)) {}

Result<std::string> TwilioSmsSender::Send(const SmsMessage& message) {
  if (settings_.account_sid.empty() || settings_.auth_token.empty()) {
    return FailedPrecondition("the SMS provider is not configured (account SID and auth token)");
  }
  if (settings_.from.empty() == settings_.messaging_service_sid.empty()) {
    return FailedPrecondition(
        "the SMS provider needs exactly one of a sender number and a messaging service");
  }
  if (message.to.empty()) return FailedPrecondition("the SMS has no recipient number");
  if (message.body.empty()) return FailedPrecondition("the SMS text is empty");

  HttpRequest request;
  request.url = TrimSlash(settings_.base_url) + "/2010-04-01/Accounts/" +
                FormUrlEncode(settings_.account_sid) + "/Messages.json";
  request.headers = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"};
  request.body = "To=" + FormUrlEncode(message.to);
  if (!settings_.from.empty()) {
    request.body += "&From=" + FormUrlEncode(settings_.from);
  } else {
    request.body += "&MessagingServiceSid=" + FormUrlEncode(settings_.messaging_service_sid);
  }
  request.body += "&Body=" + FormUrlEncode(message.body);
  request.basic_user = settings_.account_sid;
  request.basic_password = settings_.auth_token;
  request.timeout_ms = settings_.timeout_ms;

  ASSIGN_OR_RETURN(HttpResponse response, PerformHttp(request, kService));
  if (response.status < 200 || response.status >= 300) {
    return ProviderHttpError(kService, response.status, TwilioErrorDetail(response.body));
  }
  nlohmann::json j = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("sid") || !j["sid"].is_string()) {
    // Accepted (2xx) but unreadable: the SMS may well be on its way, so this
    // must not look retryable.
    return Internal("the SMS provider accepted the message but its answer has no \"sid\": " +
                    response.body.substr(0, 200));
  }
  return j["sid"].get<std::string>();
}

}  // namespace relance::delivery
