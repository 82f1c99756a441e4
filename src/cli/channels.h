// The delivery channels of the dunning worker, built from the settings
// (config.h): SMTP e-mail, Twilio-style SMS, a postal provider's letters.
// A channel without settings is null, so its actions wait in the outbox
// until a server that has it runs (dunning/executor.h).
//
// Owns the senders; dunning::Channels points into it, so it must outlive
// every worker or executor given View(). Senders are thread-safe.
#pragma once

#include <memory>
#include <string>

#include "cli/config.h"
#include "delivery/postal_sender.h"
#include "delivery/sms_sender.h"
#include "delivery/smtp_sender.h"
#include "dunning/executor.h"

namespace relance::cli {

class ConfiguredChannels {
 public:
  explicit ConfiguredChannels(const Settings& s);

  dunning::Channels View() const;
  // "e-mail (smtp://mail.example.com:587), SMS, letters" or "none"; never
  // a secret (the SMTP URL is shown without any user:password part).
  std::string Describe() const;
  bool any() const { return email_ || sms_ || letters_; }

 private:
  std::unique_ptr<delivery::SmtpEmailSender> email_;
  std::unique_ptr<delivery::TwilioSmsSender> sms_;
  std::unique_ptr<delivery::PostalApiLetterSender> letters_;
  std::string smtp_shown_;
  std::string sms_shown_;
  std::string postal_shown_;
};

}  // namespace relance::cli
