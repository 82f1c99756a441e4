#include "dunning/message_builder.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "delivery/template_renderer.h"
#include "store/record_repository.h"

namespace relance::dunning {
namespace {

using store::Condition;

delivery::PartyInfo Party(const domain::Customer& c) {
  return {c.name,         c.street.value_or(""), c.postal_code.value_or(""),
          c.city.value_or(""), c.country.value_or(""), "", ""};
}

delivery::PartyInfo Party(const domain::Organization& o) {
  return {o.name,          o.street.value_or(""), o.postal_code.value_or(""), o.city.value_or(""),
          o.country.value_or(""), o.email.value_or(""), o.phone.value_or("")};
}

delivery::PersonInfo Person(const domain::Contact& c) {
  return {c.first_name.value_or(""), c.last_name.value_or(""), c.email, c.phone.value_or("")};
}

// Only a web address is shown to the customer; a local document travels
// as an attachment instead.
std::string PublicUrl(const std::optional<std::string>& url) {
  if (!url) return "";
  return url->rfind("https://", 0) == 0 || url->rfind("http://", 0) == 0 ? *url : "";
}

delivery::InvoiceLine Line(const domain::Invoice& i, Date today) {
  const int64_t late = i.due_date.DaysUntil(today);
  return {i.number,         i.issue_date, i.due_date, i.gross_amount, i.outstanding_amount,
          i.currency,       late > 0 ? late : 0,      PublicUrl(i.pdf_url)};
}

// A customer's contacts or invoices: a few records an index finds.
template <typename T>
Result<std::vector<T>> ListAll(store::Connection& c, const std::string& org_id,
                               std::vector<Condition> conditions) {
  store::RecordRepository<T> repo(domain::SpecOf<T>());
  return repo.FindAll(c, org_id, conditions);
}

std::vector<std::string> Split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  std::string one;
  while (std::getline(in, one, ',')) {
    if (!one.empty()) out.push_back(one);
  }
  return out;
}

// Contacts whose position is in `positions`; with no positions, the main one.
std::vector<const domain::Contact*> Chosen(const std::vector<domain::Contact>& contacts,
                                           const std::string& positions) {
  std::vector<const domain::Contact*> out;
  const auto wanted = Split(positions);
  for (const auto& c : contacts) {
    if (wanted.empty() ? c.is_main
                       : c.position && std::find(wanted.begin(), wanted.end(), *c.position) !=
                                           wanted.end()) {
      out.push_back(&c);
    }
  }
  return out;
}

// Only local documents are attached; a URL elsewhere is fetched and stored
// by the connector that brought the invoice.
std::optional<std::string> ReadPdf(const std::string& url) {
  std::string path = url;
  if (path.rfind("file://", 0) == 0) path = path.substr(7);
  if (path.empty() || path[0] != '/') return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

bool StillOwed(const domain::Invoice& i, Date today) {
  return !i.is_void && i.outstanding_amount > 0 && !i.to_send && !i.disputed && !i.on_hold &&
         !(i.promise_to_pay_until && *i.promise_to_pay_until >= today);
}

}  // namespace

Result<delivery::TemplateContext> BuildTemplateContext(store::Connection& c,
                                                       const domain::Organization& org,
                                                       const std::string& customer_id,
                                                       const std::optional<std::string>& invoice_id,
                                                       const std::string& contact_email,
                                                       Date today) {
  store::RecordRepository<domain::Customer> customers(domain::CustomerSpec());
  ASSIGN_OR_RETURN(domain::Customer customer, customers.Get(c, org.meta.id, customer_id));
  delivery::TemplateContext ctx;
  ctx.language = org.language;
  ctx.today = today;
  ctx.company = Party(org);
  ctx.customer = Party(customer);
  ctx.currency = org.default_currency;
  if (customer.parent_id) {
    ASSIGN_OR_RETURN(domain::Customer parent, customers.Get(c, org.meta.id, *customer.parent_id));
    ctx.parent_customer = Party(parent);
  }
  ASSIGN_OR_RETURN(auto contacts, ListAll<domain::Contact>(
                                      c, org.meta.id, {{"customer_id", Condition::Op::kEq, customer_id}}));
  for (const auto& ct : contacts) {
    if (ct.email == contact_email || (contact_email.empty() && ct.is_main)) ctx.contact = Person(ct);
  }
  if (customer.account_manager_id) {
    store::RecordRepository<domain::User> users(domain::UserSpec());
    ASSIGN_OR_RETURN(auto user, users.Find(c, org.meta.id, *customer.account_manager_id));
    if (user) {
      const auto space = user->name.find(' ');
      ctx.account_manager.first_name = user->name.substr(0, space);
      if (space != std::string::npos) ctx.account_manager.last_name = user->name.substr(space + 1);
      ctx.account_manager.email = user->email;
    }
  }
  ASSIGN_OR_RETURN(auto invoices,
                   ListAll<domain::Invoice>(c, org.meta.id,
                                            {{"customer_id", Condition::Op::kEq, customer_id},
                                             {"kind", Condition::Op::kEq, std::string("INVOICE")}}));
  std::sort(invoices.begin(), invoices.end(), [](const auto& a, const auto& b) {
    return a.due_date != b.due_date ? a.due_date < b.due_date : a.meta.id < b.meta.id;
  });
  for (const auto& inv : invoices) {
    if (invoice_id && inv.meta.id == *invoice_id) {
      ctx.carrying_invoice = Line(inv, today);
      ctx.days_overdue = ctx.carrying_invoice->days_overdue;
    }
    if (!StillOwed(inv, today)) continue;
    if (!ctx.currency.empty() && inv.currency != ctx.currency && ctx.total_outstanding == 0) {
      ctx.currency = inv.currency;
    }
    if (inv.due_date < today) {
      ctx.overdue_invoices.push_back(Line(inv, today));
      ctx.total_overdue += inv.outstanding_amount;
    } else {
      ctx.due_invoices.push_back(Line(inv, today));
      ctx.total_due += inv.outstanding_amount;
    }
    ctx.total_outstanding += inv.outstanding_amount;
  }
  return ctx;
}

Result<delivery::MessageTemplate> StepTemplate(const domain::DunningStep& step,
                                               std::string_view language) {
  if (step.body) return delivery::MessageTemplate{step.subject.value_or(""), *step.body};
  std::string key = step.template_key;
  if (key.empty()) {
    if (step.kind == "INVOICING") key = "invoice";
    else if (step.channel == "SMS") key = "sms";
    else if (step.channel == "LETTER") key = "letter";
    else key = "reminder_1";
  }
  const delivery::MessageTemplate* found = delivery::FindDefaultTemplate(key, language);
  if (found == nullptr) return FieldInvalid("template_key", "no default template \"" + key + "\"");
  delivery::MessageTemplate t = *found;
  if (step.subject) t.subject = *step.subject;
  return t;
}

Result<BuiltMessage> BuildMessage(store::Connection& c, const domain::Organization& org,
                                  const domain::Action& action, const domain::DunningStep& step,
                                  Date today) {
  BuiltMessage m;
  m.channel = action.channel;
  m.from_address = org.email.value_or("");
  m.from_name = org.name;
  store::RecordRepository<domain::Invoice> invoices(domain::InvoiceSpec());
  std::vector<domain::Invoice> covered;
  for (const auto& id : Split(action.invoice_ids)) {
    ASSIGN_OR_RETURN(auto inv, invoices.Find(c, org.meta.id, id));
    if (inv) covered.push_back(std::move(*inv));
  }
  if (action.kind == "INVOICING") {
    m.still_needed = !covered.empty() && covered.front().to_send;
  } else {
    m.still_needed = std::any_of(covered.begin(), covered.end(),
                                 [&](const auto& i) { return StillOwed(i, today); });
  }
  if (!m.still_needed) return m;

  ASSIGN_OR_RETURN(auto contacts, ListAll<domain::Contact>(
                                      c, org.meta.id,
                                      {{"customer_id", Condition::Op::kEq, action.customer_id}}));
  std::sort(contacts.begin(), contacts.end(),
            [](const auto& a, const auto& b) { return a.meta.id < b.meta.id; });
  const auto to = Chosen(contacts, step.to_positions);
  std::string first_email = to.empty() ? "" : to.front()->email;
  ASSIGN_OR_RETURN(delivery::TemplateContext ctx,
                   BuildTemplateContext(c, org, action.customer_id, action.invoice_id,
                                        first_email, today));
  ASSIGN_OR_RETURN(delivery::MessageTemplate tmpl, StepTemplate(step, org.language));
  ASSIGN_OR_RETURN(m.rendered, delivery::RenderTemplate(tmpl, ctx, action.channel == "EMAIL"));

  if (action.channel == "EMAIL") {
    for (const auto* ct : to) m.to.push_back(ct->email);
    if (!step.cc_positions.empty()) {
      for (const auto* ct : Chosen(contacts, step.cc_positions)) {
        if (std::find(m.to.begin(), m.to.end(), ct->email) == m.to.end()) m.cc.push_back(ct->email);
      }
    }
    if (m.to.empty()) {
      m.cannot_send = step.to_positions.empty()
                          ? "the customer has no main contact to e-mail"
                          : "the customer has no contact with position " + step.to_positions;
    } else if (m.from_address.empty()) {
      m.cannot_send = "the organization has no sender e-mail address (settings: email)";
    }
    for (const auto& inv : covered) {
      const auto& document = inv.pdf_file ? inv.pdf_file : inv.pdf_url;
      if (!document) continue;
      if (auto pdf = ReadPdf(*document)) {
        m.attachments.push_back({inv.number + ".pdf", "application/pdf", std::move(*pdf)});
      }
    }
    if (action.kind == "INVOICING" && m.attachments.empty() && !m.cannot_send) {
      m.cannot_send = "invoice " + (covered.empty() ? action.invoice_id : covered.front().number) +
                      " has no PDF document to send";
    }
  } else if (action.channel == "SMS") {
    for (const auto* ct : to) {
      if (ct->phone && !ct->phone->empty()) {
        m.to.push_back(*ct->phone);
        break;
      }
    }
    if (m.to.empty()) m.cannot_send = "no contact with a phone number to text";
  } else if (action.channel == "LETTER") {
    m.sender = {org.name, org.street.value_or(""), org.postal_code.value_or(""),
                org.city.value_or(""), org.country.value_or("FR")};
    m.recipient = {ctx.customer.name, ctx.customer.street, ctx.customer.postal_code,
                   ctx.customer.city, ctx.customer.country.empty() ? "FR" : ctx.customer.country};
    if (m.recipient.street.empty() || m.recipient.postal_code.empty() ||
        m.recipient.city.empty()) {
      m.cannot_send = "the customer has no complete postal address (street, postal code, city)";
    } else if (m.sender.street.empty() || m.sender.city.empty()) {
      m.cannot_send = "the organization has no postal address to send letters from";
    }
  } else {
    m.cannot_send = "a " + action.channel + " action is done by a person";
  }
  return m;
}

}  // namespace relance::dunning
