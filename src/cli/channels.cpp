#include "cli/channels.h"

namespace relance::cli {
namespace {

// scheme://host[:port] of a URL, without user info, path or query: what a
// log line may show of a URL that could carry credentials.
std::string ShownUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "(set)";
  size_t start = scheme + 3;
  size_t end = url.find_first_of("/?#", start);
  if (end == std::string::npos) end = url.size();
  std::string authority = url.substr(start, end - start);
  if (auto at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  return url.substr(0, start) + authority;
}

}  // namespace

ConfiguredChannels::ConfiguredChannels(const Settings& s) {
  if (s.EmailConfigured()) {
    delivery::SmtpSettings smtp;
    smtp.url = s.smtp_url;
    smtp.user = s.smtp_user;
    smtp.password = s.smtp_password;
    email_ = std::make_unique<delivery::SmtpEmailSender>(std::move(smtp));
    smtp_shown_ = ShownUrl(s.smtp_url);
  }
  if (s.SmsConfigured()) {
    delivery::TwilioSettings twilio;
    twilio.base_url = s.sms_base_url;
    twilio.account_sid = s.sms_account_sid;
    twilio.auth_token = s.sms_auth_token;
    twilio.from = s.sms_from;
    sms_ = std::make_unique<delivery::TwilioSmsSender>(std::move(twilio));
    sms_shown_ = ShownUrl(s.sms_base_url);
  }
  if (s.LettersConfigured()) {
    delivery::PostalApiSettings postal;
    postal.base_url = s.postal_base_url;
    postal.api_key = s.postal_api_key;
    letters_ = std::make_unique<delivery::PostalApiLetterSender>(std::move(postal));
    postal_shown_ = ShownUrl(s.postal_base_url);
  }
}

dunning::Channels ConfiguredChannels::View() const {
  return dunning::Channels{email_.get(), sms_.get(), letters_.get()};
}

std::string ConfiguredChannels::Describe() const {
  std::string out;
  auto add = [&](const std::string& what) { out += (out.empty() ? "" : ", ") + what; };
  if (email_) add("e-mail (" + smtp_shown_ + ")");
  if (sms_) add("SMS (" + sms_shown_ + ")");
  if (letters_) add("letters (" + postal_shown_ + ")");
  return out.empty() ? "none" : out;
}

}  // namespace relance::cli
