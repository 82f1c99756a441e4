// The data a message template is rendered with (template_renderer.h): plain
// values gathered by the dunning engine from the store, with no behaviour and
// no dependency on domain or store types. Amounts are integer minor units of
// `currency`; the renderer formats them and the dates for `language`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/date.h"

namespace relance::delivery {

struct PartyInfo {
  std::string name, street, postal_code, city, country, email, phone;
};

struct PersonInfo {
  std::string first_name, last_name, email, phone;
};

struct InvoiceLine {
  std::string number;
  Date issue_date;
  Date due_date;
  int64_t gross_amount = 0;
  int64_t outstanding_amount = 0;
  std::string currency;  // empty: the context's currency
  int64_t days_overdue = 0;
  std::string pdf_url;
};

struct TemplateContext {
  std::string language = "fr";  // "fr" or "en": money and date formats
  Date today;
  PartyInfo company;  // the organization
  PartyInfo customer;
  std::optional<PartyInfo> parent_customer;
  PersonInfo contact;  // the main recipient
  PersonInfo account_manager;
  // The oldest unpaid invoice (customer-level plans) or the invoice
  // (invoice-level plans).
  std::optional<InvoiceLine> carrying_invoice;
  std::vector<InvoiceLine> overdue_invoices;
  std::vector<InvoiceLine> due_invoices;  // open, not yet due
  std::string currency = "EUR";
  int64_t total_overdue = 0, total_due = 0, total_outstanding = 0;  // minor units
  int64_t days_overdue = 0;                                         // of the carrying invoice
  std::string portal_url;
};

// body: mustache over limited HTML (e-mail) or plain text (SMS, letter).
struct MessageTemplate {
  std::string subject;
  std::string body;
};

struct RenderedMessage {
  std::string subject;
  std::string text;
  std::string html;  // empty for plain-text templates
};

}  // namespace relance::delivery
