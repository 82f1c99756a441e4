#include "delivery/template_renderer.h"

#include <algorithm>
#include <mstch/mstch.hpp>
#include <mutex>
#include <set>

#include "delivery/limited_html.h"
#include "delivery/mustache_scan.h"

namespace relance::delivery {
namespace {

using Placeholders = std::vector<std::pair<std::string_view, std::string_view>>;

// Field names of the objects and list items, shared by validation, the
// context built for mstch and the documentation table.
constexpr std::string_view kPartyFields[] = {"name",    "street", "postal_code", "city",
                                             "country", "email",  "phone"};
constexpr std::string_view kPersonFields[] = {"first_name", "last_name", "email", "phone"};
constexpr std::string_view kInvoiceFields[] = {"number",  "issue_date",  "due_date",
                                               "amount",  "outstanding", "days_overdue",
                                               "pdf_url", "currency"};
constexpr std::string_view kPartyObjects[] = {"company", "customer", "parent_customer"};
constexpr std::string_view kPersonObjects[] = {"contact", "account_manager"};
constexpr std::string_view kInvoiceLists[] = {"overdue_invoices", "due_invoices"};
constexpr std::string_view kScalars[] = {"total_overdue", "total_due",  "total_outstanding",
                                         "days_overdue",  "portal_url", "today",
                                         "currency"};

template <size_t N>
bool In(const std::string_view (&list)[N], std::string_view s) {
  return std::find(std::begin(list), std::end(list), s) != std::end(list);
}

// The names a section opened on `name` brings into scope.
std::set<std::string> ScopeOf(std::string_view name) {
  std::set<std::string> scope;
  auto add = [&](const auto& fields) {
    for (auto f : fields) scope.emplace(f);
  };
  if (In(kPartyObjects, name)) add(kPartyFields);
  if (In(kPersonObjects, name)) add(kPersonFields);
  if (name == "invoice" || In(kInvoiceLists, name)) add(kInvoiceFields);
  return scope;
}

const std::set<std::string>& TopScope() {
  static const std::set<std::string>* scope = [] {
    auto* s = new std::set<std::string>;
    auto add_object = [&](std::string_view object, const auto& fields) {
      s->emplace(object);
      for (auto f : fields) s->emplace(std::string(object) + "." + std::string(f));
    };
    for (auto o : kPartyObjects) add_object(o, kPartyFields);
    for (auto o : kPersonObjects) add_object(o, kPersonFields);
    add_object("invoice", kInvoiceFields);
    for (auto l : kInvoiceLists) s->emplace(l);
    for (auto v : kScalars) s->emplace(v);
    return s;
  }();
  return *scope;
}

Result<void> CheckPlaceholders(std::string_view text, std::string_view where) {
  ASSIGN_OR_RETURN(std::vector<MustacheTag> tags, ScanMustache(text, where));
  // Mustache looks a name up through every open section, innermost first,
  // so a name is known when any open scope knows it.
  std::vector<std::set<std::string>> scopes = {TopScope()};
  for (const auto& tag : tags) {
    if (tag.kind == MustacheTag::Kind::kSectionClose) {
      scopes.pop_back();
      continue;
    }
    bool known = std::any_of(scopes.begin(), scopes.end(),
                             [&](const auto& s) { return s.count(tag.name) > 0; });
    if (!known) {
      return FieldInvalid(std::string(where), "unknown placeholder {{" + tag.name + "}} on line " +
                                                  std::to_string(tag.line) + " of the " +
                                                  std::string(where));
    }
    if (tag.kind != MustacheTag::Kind::kVariable) scopes.push_back(ScopeOf(tag.name));
  }
  return Ok();
}

// Builds the mstch data. `escape` is applied to every value once, here,
// because mstch's own escaping is switched off (see the header).
class ContextBuilder {
 public:
  ContextBuilder(const TemplateContext& ctx, bool escape) : ctx_(ctx), escape_(escape) {}

  mstch::map Build() const {
    mstch::map root;
    root.emplace("company", Party(ctx_.company));
    root.emplace("customer", Party(ctx_.customer));
    root.emplace("parent_customer",
                 ctx_.parent_customer ? mstch::node(Party(*ctx_.parent_customer)) : false);
    root.emplace("contact", Person(ctx_.contact));
    root.emplace("account_manager", Person(ctx_.account_manager));
    root.emplace("invoice",
                 ctx_.carrying_invoice ? mstch::node(Invoice(*ctx_.carrying_invoice)) : false);
    root.emplace("overdue_invoices", Invoices(ctx_.overdue_invoices));
    root.emplace("due_invoices", Invoices(ctx_.due_invoices));
    root.emplace("total_overdue", Money(ctx_.total_overdue, ctx_.currency));
    root.emplace("total_due", Money(ctx_.total_due, ctx_.currency));
    root.emplace("total_outstanding", Money(ctx_.total_outstanding, ctx_.currency));
    root.emplace("days_overdue", V(std::to_string(ctx_.days_overdue)));
    root.emplace("portal_url", V(ctx_.portal_url));
    root.emplace("today", V(FormatDate(ctx_.today, ctx_.language)));
    root.emplace("currency", V(ctx_.currency));
    return root;
  }

 private:
  // Empty strings stay empty so that {{#customer.phone}}...{{/customer.phone}}
  // can hide a line when there is no value.
  std::string V(const std::string& s) const { return escape_ ? HtmlEscape(s) : s; }
  std::string Money(int64_t minor, const std::string& currency) const {
    return V(FormatMoney(minor, currency, ctx_.language));
  }

  mstch::map Party(const PartyInfo& p) const {
    return {{"name", V(p.name)},  {"street", V(p.street)},   {"postal_code", V(p.postal_code)},
            {"city", V(p.city)},  {"country", V(p.country)}, {"email", V(p.email)},
            {"phone", V(p.phone)}};
  }
  mstch::map Person(const PersonInfo& p) const {
    return {{"first_name", V(p.first_name)},
            {"last_name", V(p.last_name)},
            {"email", V(p.email)},
            {"phone", V(p.phone)}};
  }
  mstch::map Invoice(const InvoiceLine& i) const {
    const std::string& currency = i.currency.empty() ? ctx_.currency : i.currency;
    return {{"number", V(i.number)},
            {"issue_date", V(FormatDate(i.issue_date, ctx_.language))},
            {"due_date", V(FormatDate(i.due_date, ctx_.language))},
            {"amount", Money(i.gross_amount, currency)},
            {"outstanding", Money(i.outstanding_amount, currency)},
            {"days_overdue", V(std::to_string(i.days_overdue))},
            {"pdf_url", V(i.pdf_url)},
            {"currency", V(currency)}};
  }
  mstch::array Invoices(const std::vector<InvoiceLine>& lines) const {
    mstch::array out;
    out.reserve(lines.size());
    for (const auto& line : lines) out.emplace_back(Invoice(line));
    return out;
  }

  const TemplateContext& ctx_;
  bool escape_;
};

Result<std::string> Render(const std::string& text, const mstch::map& data) {
  static std::once_flag once;
  std::call_once(once, [] { mstch::config::escape = [](const std::string& s) { return s; }; });
  try {
    return mstch::render(text, data);
  } catch (const std::exception& e) {
    return Internal(std::string("the template could not be rendered: ") + e.what());
  }
}

std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  size_t begin = s.find_first_not_of(' ');
  size_t end = s.find_last_not_of(' ');
  return begin == std::string::npos ? std::string() : s.substr(begin, end - begin + 1);
}

}  // namespace

Result<void> ValidateTemplate(const MessageTemplate& t, bool html) {
  RETURN_IF_ERROR(CheckPlaceholders(t.subject, "subject"));
  RETURN_IF_ERROR(CheckPlaceholders(t.body, "body"));
  if (html) RETURN_IF_ERROR(CheckLimitedHtml(t.body, "body", /*allow_placeholder_href=*/true));
  return Ok();
}

Result<RenderedMessage> RenderTemplate(const MessageTemplate& t, const TemplateContext& ctx,
                                       bool html) {
  RETURN_IF_ERROR(ValidateTemplate(t, html));
  mstch::map raw = ContextBuilder(ctx, /*escape=*/false).Build();
  RenderedMessage out;
  ASSIGN_OR_RETURN(std::string subject, Render(t.subject, raw));
  out.subject = OneLine(std::move(subject));
  if (!html) {
    ASSIGN_OR_RETURN(out.text, Render(t.body, raw));
    return out;
  }
  mstch::map escaped = ContextBuilder(ctx, /*escape=*/true).Build();
  ASSIGN_OR_RETURN(out.html, Render(t.body, escaped));
  // Values are escaped, so they cannot add elements; only a link's address
  // can change, and it must still be http, https or mailto.
  RETURN_IF_ERROR(CheckLimitedHtml(out.html, "rendered body", /*allow_placeholder_href=*/false));
  out.text = HtmlToText(out.html);
  return out;
}

const Placeholders& TemplatePlaceholders() {
  static const Placeholders* table = new Placeholders{
      {"company.name", "your organization's name"},
      {"company.street", "your organization's street address"},
      {"company.postal_code", "your organization's postal code"},
      {"company.city", "your organization's city"},
      {"company.country", "your organization's country"},
      {"company.email", "your organization's e-mail address"},
      {"company.phone", "your organization's phone number"},
      {"customer.name", "the customer's name"},
      {"customer.street", "the customer's street address"},
      {"customer.postal_code", "the customer's postal code"},
      {"customer.city", "the customer's city"},
      {"customer.country", "the customer's country"},
      {"customer.email", "the customer's e-mail address"},
      {"customer.phone", "the customer's phone number"},
      {"parent_customer", "section shown when the customer belongs to a group"},
      {"parent_customer.name", "the name of the customer's parent company (group)"},
      {"contact.first_name", "the recipient contact's first name"},
      {"contact.last_name", "the recipient contact's last name"},
      {"contact.email", "the recipient contact's e-mail address"},
      {"contact.phone", "the recipient contact's phone number"},
      {"account_manager.first_name", "the account manager's first name"},
      {"account_manager.last_name", "the account manager's last name"},
      {"account_manager.email", "the account manager's e-mail address"},
      {"account_manager.phone", "the account manager's phone number"},
      {"invoice", "section shown when there is an invoice the message is about"},
      {"invoice.number", "the invoice's number (the oldest unpaid one for customer-level plans)"},
      {"invoice.issue_date", "the invoice's issue date"},
      {"invoice.due_date", "the invoice's due date"},
      {"invoice.amount", "the invoice's total amount, tax included"},
      {"invoice.outstanding", "what remains to be paid on the invoice"},
      {"invoice.days_overdue", "days since the invoice's due date"},
      {"invoice.pdf_url", "a link to the invoice's PDF"},
      {"invoice.currency", "the invoice's currency code"},
      {"overdue_invoices", "section repeated for each overdue invoice (empty: not shown)"},
      {"overdue_invoices.number", "inside {{#overdue_invoices}}: write {{number}}"},
      {"overdue_invoices.issue_date", "inside {{#overdue_invoices}}: write {{issue_date}}"},
      {"overdue_invoices.due_date", "inside {{#overdue_invoices}}: write {{due_date}}"},
      {"overdue_invoices.amount", "inside {{#overdue_invoices}}: write {{amount}}"},
      {"overdue_invoices.outstanding", "inside {{#overdue_invoices}}: write {{outstanding}}"},
      {"overdue_invoices.days_overdue", "inside {{#overdue_invoices}}: write {{days_overdue}}"},
      {"overdue_invoices.pdf_url", "inside {{#overdue_invoices}}: write {{pdf_url}}"},
      {"due_invoices", "section repeated for each open invoice not yet due"},
      {"due_invoices.number",
       "inside {{#due_invoices}}: write {{number}} (and the other "
       "fields of overdue_invoices)"},
      {"total_overdue", "the total overdue amount"},
      {"total_due", "the total amount open but not yet due"},
      {"total_outstanding", "the total amount still to be paid"},
      {"days_overdue", "days since the due date of the invoice the message is about"},
      {"portal_url", "the link to the customer portal"},
      {"today", "today's date"},
      {"currency", "the currency code of the totals"},
  };
  return *table;
}

}  // namespace relance::delivery
