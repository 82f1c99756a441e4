// The built-in templates, French and English. They are a starting point an
// organization copies and edits; they use only placeholders of
// TemplatePlaceholders() and only the limited HTML, which a test checks.
#include <array>
#include <initializer_list>
#include <string>

#include "delivery/template_renderer.h"

namespace relance::delivery {
namespace {

// The overdue invoices as a table, shared by the e-mail reminders.
constexpr std::string_view kFrTable =
    "<table>\n<thead><tr><th>Facture</th><th>Échéance</th><th>Reste dû</th>"
    "<th>Retard</th></tr></thead>\n<tbody>\n"
    "{{#overdue_invoices}}<tr><td>{{number}}</td><td>{{due_date}}</td>"
    "<td align=\"right\">{{outstanding}}</td><td>{{days_overdue}} jours</td></tr>\n"
    "{{/overdue_invoices}}</tbody>\n</table>\n"
    "<p>Total échu : <strong>{{total_overdue}}</strong></p>\n";
constexpr std::string_view kEnTable =
    "<table>\n<thead><tr><th>Invoice</th><th>Due date</th><th>Outstanding</th>"
    "<th>Overdue</th></tr></thead>\n<tbody>\n"
    "{{#overdue_invoices}}<tr><td>{{number}}</td><td>{{due_date}}</td>"
    "<td align=\"right\">{{outstanding}}</td><td>{{days_overdue}} days</td></tr>\n"
    "{{/overdue_invoices}}</tbody>\n</table>\n"
    "<p>Total overdue: <strong>{{total_overdue}}</strong></p>\n";
constexpr std::string_view kFrPortal =
    "{{#portal_url}}<p>Vos factures sont consultables et téléchargeables sur "
    "<a href=\"{{portal_url}}\">votre espace client</a>.</p>\n{{/portal_url}}";
constexpr std::string_view kEnPortal =
    "{{#portal_url}}<p>You can see and download your invoices in "
    "<a href=\"{{portal_url}}\">your customer portal</a>.</p>\n{{/portal_url}}";
constexpr std::string_view kFrSignature =
    "<p>Cordialement,<br>\n{{account_manager.first_name}} {{account_manager.last_name}}<br>\n"
    "{{company.name}}{{#account_manager.phone}}<br>\n{{account_manager.phone}}"
    "{{/account_manager.phone}}</p>\n";
constexpr std::string_view kEnSignature =
    "<p>Kind regards,<br>\n{{account_manager.first_name}} {{account_manager.last_name}}<br>\n"
    "{{company.name}}{{#account_manager.phone}}<br>\n{{account_manager.phone}}"
    "{{/account_manager.phone}}</p>\n";

struct Entry {
  std::string_view key;
  MessageTemplate fr;
  MessageTemplate en;
};

std::string Cat(std::initializer_list<std::string_view> pieces) {
  std::string out;
  for (auto p : pieces) out += p;
  return out;
}

const std::array<Entry, 6>& Entries() {
  static const auto* entries = new std::array<Entry, 6>{{
      {"reminder_1",
       {"Rappel : facture{{#invoice}} {{number}}{{/invoice}} en attente de règlement",
        Cat({"<p>Bonjour {{contact.first_name}},</p>\n"
             "<p>Sauf erreur de notre part, les factures suivantes de {{customer.name}} restent "
             "impayées à ce jour :</p>\n",
             kFrTable,
             "<p>Il s'agit peut-être d'un simple oubli : nous vous remercions de bien vouloir "
             "procéder au règlement. Si celui-ci est déjà parti, merci de ne pas tenir compte de "
             "ce message.</p>\n",
             kFrPortal, kFrSignature})},
       {"Reminder: invoice{{#invoice}} {{number}}{{/invoice}} awaiting payment",
        Cat({"<p>Hello {{contact.first_name}},</p>\n"
             "<p>According to our records, the following invoices of {{customer.name}} are still "
             "unpaid:</p>\n",
             kEnTable,
             "<p>This may simply be an oversight: we would be grateful if you could arrange "
             "payment. If you have already paid, please disregard this message.</p>\n",
             kEnPortal, kEnSignature})}},
      {"reminder_2",
       {"Deuxième relance : {{total_overdue}} échus",
        Cat({"<p>Bonjour {{contact.first_name}},</p>\n"
             "<p>Malgré notre précédent rappel, les factures suivantes de {{customer.name}} "
             "restent impayées :</p>\n",
             kFrTable,
             "<p>Nous vous demandons de procéder à leur règlement sous huit jours. En cas de "
             "difficulté ou de désaccord sur une facture, merci de nous contacter dès à présent "
             "afin que nous trouvions une solution.</p>\n",
             kFrPortal, kFrSignature})},
       {"Second reminder: {{total_overdue}} overdue",
        Cat({"<p>Hello {{contact.first_name}},</p>\n"
             "<p>Despite our previous reminder, the following invoices of {{customer.name}} "
             "remain unpaid:</p>\n",
             kEnTable,
             "<p>Please settle them within eight days. If there is a problem or a disagreement "
             "about an invoice, please contact us now so that we can find a solution.</p>\n",
             kEnPortal, kEnSignature})}},
      {"final_notice",
       {"Dernier avis avant recouvrement : {{total_overdue}} impayés",
        Cat({"<p>Madame, Monsieur,</p>\n"
             "<p>Nos relances sont restées sans effet : les factures suivantes de "
             "{{customer.name}} sont toujours impayées.</p>\n",
             kFrTable,
             "<p>Sans règlement de votre part sous huit jours, nous serons contraints d'engager "
             "une procédure de recouvrement. Tout retard de paiement entraîne l'application de "
             "pénalités de retard et d'une indemnité forfaitaire pour frais de recouvrement de "
             "40 € (articles L441-10 et D441-5 du Code de commerce).</p>\n",
             kFrPortal, kFrSignature})},
       {"Final notice before collection: {{total_overdue}} unpaid",
        Cat({"<p>Dear Sir or Madam,</p>\n"
             "<p>Our reminders have gone unanswered: the following invoices of {{customer.name}} "
             "are still unpaid.</p>\n",
             kEnTable,
             "<p>Unless we receive payment within eight days, we will have to start collection "
             "proceedings. Late payment also incurs late-payment interest and a fixed "
             "collection fee of €40.</p>\n",
             kEnPortal, kEnSignature})}},
      {"invoice",
       {"Votre facture {{invoice.number}}",
        Cat({"<p>Bonjour {{contact.first_name}},</p>\n"
             "<p>Veuillez trouver ci-joint la facture {{invoice.number}} du "
             "{{invoice.issue_date}}, d'un montant de <strong>{{invoice.amount}}</strong>, à "
             "régler au plus tard le {{invoice.due_date}}.</p>\n"
             "{{#invoice.pdf_url}}<p>Elle est aussi disponible <a "
             "href=\"{{invoice.pdf_url}}\">en ligne</a>.</p>\n{{/invoice.pdf_url}}"
             "<p>Nous vous remercions de votre confiance.</p>\n",
             kFrSignature})},
       {"Your invoice {{invoice.number}}",
        Cat({"<p>Hello {{contact.first_name}},</p>\n"
             "<p>Please find attached invoice {{invoice.number}} of {{invoice.issue_date}}, for "
             "<strong>{{invoice.amount}}</strong>, payable by {{invoice.due_date}}.</p>\n"
             "{{#invoice.pdf_url}}<p>It is also available <a "
             "href=\"{{invoice.pdf_url}}\">online</a>.</p>\n{{/invoice.pdf_url}}"
             "<p>Thank you for your business.</p>\n",
             kEnSignature})}},
      {"sms",
       {"",
        "{{company.name}} : sauf erreur, {{total_overdue}} restent impayés"
        "{{#invoice}} (facture {{number}} échue le {{due_date}}){{/invoice}}. "
        "Merci de votre règlement{{#portal_url}} : {{portal_url}}{{/portal_url}}"},
       {"",
        "{{company.name}}: according to our records {{total_overdue}} is unpaid"
        "{{#invoice}} (invoice {{number}} due {{due_date}}){{/invoice}}. "
        "Please arrange payment{{#portal_url}}: {{portal_url}}{{/portal_url}}"}},
      {"letter",
       {"Objet : factures impayées, {{total_overdue}}",
        "Madame, Monsieur,\n\n"
        "Sauf erreur de notre part, les factures suivantes restent impayées à ce jour :\n\n"
        "{{#overdue_invoices}}- facture {{number}} du {{issue_date}}, échue le {{due_date}} : "
        "{{outstanding}} restant dû\n{{/overdue_invoices}}\n\n"
        "Le total échu s'élève à {{total_overdue}}. Nous vous remercions de bien vouloir en "
        "effectuer le règlement dans les meilleurs délais. Si votre paiement nous est parvenu "
        "entre-temps, merci de ne pas tenir compte de ce courrier.\n\n"
        "{{#portal_url}}Vos factures sont consultables sur {{portal_url}}\n\n{{/portal_url}}"
        "Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations "
        "distinguées.\n\n"
        "{{account_manager.first_name}} {{account_manager.last_name}}\n{{company.name}}"},
       {"Re: unpaid invoices, {{total_overdue}}",
        "Dear Sir or Madam,\n\n"
        "According to our records, the following invoices are still unpaid:\n\n"
        "{{#overdue_invoices}}- invoice {{number}} of {{issue_date}}, due {{due_date}}: "
        "{{outstanding}} outstanding\n{{/overdue_invoices}}\n\n"
        "The total overdue is {{total_overdue}}. We would be grateful if you could arrange "
        "payment as soon as possible. If your payment has reached us in the meantime, please "
        "disregard this letter.\n\n"
        "{{#portal_url}}Your invoices are available at {{portal_url}}\n\n{{/portal_url}}"
        "Yours faithfully,\n\n"
        "{{account_manager.first_name}} {{account_manager.last_name}}\n{{company.name}}"}},
  }};
  return *entries;
}

}  // namespace

const std::vector<std::string_view>& DefaultTemplateKeys() {
  static const auto* keys = new std::vector<std::string_view>{
      "reminder_1", "reminder_2", "final_notice", "sms", "letter", "invoice"};
  return *keys;
}

bool IsHtmlTemplateKey(std::string_view key) { return key != "sms" && key != "letter"; }

const MessageTemplate* FindDefaultTemplate(std::string_view key, std::string_view language) {
  bool english = language.substr(0, 2) == "en";
  for (const auto& e : Entries()) {
    if (e.key == key) return english ? &e.en : &e.fr;
  }
  return nullptr;
}

const MessageTemplate& DefaultTemplate(std::string_view key, std::string_view language) {
  static const MessageTemplate kEmpty;
  const MessageTemplate* t = FindDefaultTemplate(key, language);
  return t != nullptr ? *t : kEmpty;
}

}  // namespace relance::delivery
