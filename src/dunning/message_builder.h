// Turns one decided action into what a channel sends (R-DUN-3, R-SEND-3):
// gathers the organization, the customer (and its parent), the contacts
// chosen by the step's positions, the account manager and the invoices the
// action covers into a template context, renders the step's template (or
// the default one for the step and language), and collects the invoice PDFs
// to attach.
//
// Read-only on the store; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "delivery/channels.h"
#include "delivery/template_context.h"
#include "domain/entities.h"
#include "store/db.h"

namespace relance::dunning {

struct BuiltMessage {
  std::string channel;  // EMAIL, LETTER, SMS
  std::vector<std::string> to;  // e-mail addresses, or one phone number for SMS
  std::vector<std::string> cc;
  delivery::RenderedMessage rendered;
  std::vector<delivery::Attachment> attachments;
  delivery::PostalAddress sender;     // letters
  delivery::PostalAddress recipient;  // letters
  std::string from_address;
  std::string from_name;
  // Set when the action cannot be sent automatically (no contact, no
  // address, no phone: R-SEND-7), saying why; the rest is then unset.
  std::optional<std::string> cannot_send;
  // The invoices that still justify the message (a reminder whose invoices
  // were all paid since it was decided is not sent).
  bool still_needed = true;
};

// The template context alone, for previews (a real customer, a step).
Result<delivery::TemplateContext> BuildTemplateContext(store::Connection& c,
                                                       const domain::Organization& org,
                                                       const std::string& customer_id,
                                                       const std::optional<std::string>& invoice_id,
                                                       const std::string& contact_email,
                                                       Date today);

// The step's template, or the default one it names for the language.
Result<delivery::MessageTemplate> StepTemplate(const domain::DunningStep& step,
                                               std::string_view language);

Result<BuiltMessage> BuildMessage(store::Connection& c, const domain::Organization& org,
                                  const domain::Action& action, const domain::DunningStep& step,
                                  Date today);

}  // namespace relance::dunning
