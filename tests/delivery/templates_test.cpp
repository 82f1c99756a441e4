// Message templates (R-DUN-3: placeholders for customer, contact, invoice
// list, amounts, due dates and portal link, checked before use; R-SEND-5:
// the same templates feed e-mail, SMS and letters).
#include <gtest/gtest.h>

#include "delivery/limited_html.h"
#include "delivery/template_renderer.h"

namespace relance::delivery {
namespace {

constexpr char kNnbsp[] = "\u202F";  // narrow no-break space
constexpr char kNbsp[] = "\u00A0";

Date D(int y, int m, int d) { return *Date::FromYmd(y, m, d); }

TemplateContext Context(const std::string& language) {
  TemplateContext c;
  c.language = language;
  c.today = D(2026, 3, 2);
  c.company = {"ACME SAS", "3 avenue des Lilas", "69003",         "Lyon",
               "FR",       "compta@acme.test",   "04 72 00 00 00"};
  c.customer = {"Dupont & Fils <SARL>",
                "12 rue de la Paix",
                "75002",
                "Paris",
                "FR",
                "compta@dupont.test",
                ""};
  c.contact = {"Zoé", "Martin", "zoe@dupont.test", "+33612345678"};
  c.account_manager = {"Émilie", "Durand", "emilie@acme.test", ""};
  InvoiceLine a{"F-42", D(2026, 1, 15), D(2026, 2, 14), 123456, 100000, "", 16, ""};
  InvoiceLine b{
      "F-57", D(2026, 2, 1), D(2026, 2, 20), 5000, 5000, "", 10, "https://portal.test/i/F-57.pdf"};
  c.carrying_invoice = a;
  c.overdue_invoices = {a, b};
  c.due_invoices = {{"F-60", D(2026, 2, 25), D(2026, 3, 27), 20000, 20000, "", 0, ""}};
  c.total_overdue = 105000;
  c.total_due = 20000;
  c.total_outstanding = 125000;
  c.days_overdue = 16;
  c.portal_url = "https://portal.test/c/abc?x=1&y=2";
  return c;
}

// R-DUN-3: placeholders render formatted for the language (fr).
TEST(TemplateRender, FrenchPlainText) {
  MessageTemplate t{"Relance {{invoice.number}} – {{customer.name}}",
                    "Bonjour {{contact.first_name}},\n"
                    "{{#overdue_invoices}}{{number}} échue le {{due_date}} : {{outstanding}} "
                    "({{days_overdue}} j)\n{{/overdue_invoices}}"
                    "Total : {{total_overdue}} au {{today}}. {{portal_url}}"};
  Result<RenderedMessage> r = RenderTemplate(t, Context("fr"), /*html=*/false);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->subject, "Relance F-42 – Dupont & Fils <SARL>");
  std::string expected = std::string("Bonjour Zoé,\n") + "F-42 échue le 14/02/2026 : 1" + kNnbsp +
                         "000,00" + kNbsp + "€ (16 j)\n" + "F-57 échue le 20/02/2026 : 50,00" +
                         kNbsp + "€ (10 j)\n" + "Total : 1" + kNnbsp + "050,00" + kNbsp +
                         "€ au 02/03/2026. https://portal.test/c/abc?x=1&y=2";
  EXPECT_EQ(r->text, expected);
  EXPECT_TRUE(r->html.empty());
}

// R-DUN-3: the same template in English formats money and dates the English way.
TEST(TemplateRender, EnglishFormats) {
  MessageTemplate t{"", "{{invoice.amount}} due {{invoice.due_date}}; {{total_due}} not yet due"};
  Result<RenderedMessage> r = RenderTemplate(t, Context("en"), false);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->text, "€1,234.56 due 14 Feb 2026; €200.00 not yet due");
}

// R-DUN-3: in HTML templates values are escaped (a customer name cannot
// inject markup); the subject stays plain text.
TEST(TemplateRender, HtmlEscapesValues) {
  MessageTemplate t{"{{customer.name}}", "<p>{{customer.name}}</p><p>{{{customer.name}}}</p>"};
  Result<RenderedMessage> r = RenderTemplate(t, Context("fr"), true);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->subject, "Dupont & Fils <SARL>");
  EXPECT_EQ(r->html, "<p>Dupont &amp; Fils &lt;SARL&gt;</p><p>Dupont &amp; Fils &lt;SARL&gt;</p>");
  EXPECT_EQ(r->text, "Dupont & Fils <SARL>\n\nDupont & Fils <SARL>");
}

// R-DUN-3: the text part is derived from the HTML: paragraphs, line breaks,
// list items as "- ", links as "text (url)", table cells on one line.
TEST(TemplateRender, TextPartDerivedFromHtml) {
  MessageTemplate t{"s",
                    "<h1>Relance</h1>\n<p>Bonjour&nbsp;{{contact.first_name}},<br>\nvoici :</p>\n"
                    "<ul>{{#overdue_invoices}}<li>{{number}} : <strong>{{outstanding}}</strong>"
                    "</li>{{/overdue_invoices}}</ul>\n"
                    "<p><a href=\"{{portal_url}}\">Votre espace</a> ou "
                    "<a href=\"mailto:{{company.email}}\">{{company.email}}</a></p>"
                    "<table><tr><th>N°</th><th>Reste</th></tr>{{#due_invoices}}<tr><td>{{number}}"
                    "</td><td>{{outstanding}}</td></tr>{{/due_invoices}}</table>"};
  Result<RenderedMessage> r = RenderTemplate(t, Context("fr"), true);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  std::string expected =
      std::string("Relance\n\n") + "Bonjour" + kNbsp + "Zoé,\nvoici :\n\n" + "- F-42 : 1" + kNnbsp +
      "000,00" + kNbsp + "€\n" + "- F-57 : 50,00" + kNbsp + "€\n\n" +
      "Votre espace (https://portal.test/c/abc?x=1&y=2) ou compta@acme.test\n\n" +
      "N° | Reste\nF-60 | 200,00" + kNbsp + "€";
  EXPECT_EQ(r->text, expected);
  EXPECT_NE(r->html.find("href=\"https://portal.test/c/abc?x=1&amp;y=2\""), std::string::npos)
      << r->html;
}

// R-DUN-3: optional parts: the parent company section shows only for a
// group member; an empty value hides its section.
TEST(TemplateRender, SectionsFollowTheData) {
  MessageTemplate t{"",
                    "{{#parent_customer}}Groupe {{name}} / {{parent_customer.name}}. "
                    "{{/parent_customer}}{{^parent_customer}}Pas de groupe. {{/parent_customer}}"
                    "{{#customer.phone}}Tél. {{customer.phone}}{{/customer.phone}}"
                    "{{#invoice}}{{number}}{{/invoice}}"};
  TemplateContext c = Context("fr");
  Result<RenderedMessage> alone = RenderTemplate(t, c, false);
  ASSERT_TRUE(alone.ok()) << alone.error().ToString();
  EXPECT_EQ(alone->text, "Pas de groupe. F-42");
  c.parent_customer = PartyInfo{"Holding Dupont", "", "", "", "", "", ""};
  c.carrying_invoice.reset();
  Result<RenderedMessage> grouped = RenderTemplate(t, c, false);
  ASSERT_TRUE(grouped.ok());
  EXPECT_EQ(grouped->text, "Groupe Holding Dupont / Holding Dupont. ");
}

// R-DUN-3 (checked before use): an unknown placeholder is named with its line.
TEST(TemplateValidate, UnknownPlaceholderNamedWithLine) {
  MessageTemplate t{"ok {{customer.name}}", "Bonjour,\n\nVotre solde : {{customer.solde}}\n"};
  Result<void> r = ValidateTemplate(t, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("{{customer.solde}}"), std::string::npos)
      << r.error().message();
  EXPECT_NE(r.error().message().find("line 3"), std::string::npos) << r.error().message();
  ASSERT_EQ(r.error().details().size(), 1u);
  EXPECT_EQ(r.error().details()[0].field, "body");

  // A list field outside its section is unknown too.
  Result<void> outside = ValidateTemplate({"", "{{number}}"}, false);
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.error().message().find("{{number}}"), std::string::npos);
  // Rendering refuses the same template.
  EXPECT_FALSE(RenderTemplate(t, Context("fr"), false).ok());
}

// R-DUN-3: syntax errors: unclosed tag, unclosed or mismatched sections.
TEST(TemplateValidate, SyntaxErrors) {
  struct Case {
    const char* body;
    const char* needle;
  } cases[] = {
      {"Bonjour {{contact.first_name", "unclosed tag"},
      {"a\n{{#overdue_invoices}}{{number}}", "line 2"},
      {"{{#overdue_invoices}}{{/due_invoices}}", "does not match"},
      {"{{/invoice}}", "never opened"},
      {"{{> footer}}", "partial"},
      {"{{}}", "empty tag"},
  };
  for (const auto& c : cases) {
    Result<void> r = ValidateTemplate({"", c.body}, false);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_NE(r.error().message().find(c.needle), std::string::npos)
        << c.body << " -> " << r.error().message();
  }
  Result<void> subject = ValidateTemplate({"{{#invoice}}x", "ok"}, false);
  ASSERT_FALSE(subject.ok());
  EXPECT_EQ(subject.error().details()[0].field, "subject");
}

// R-DUN-3: only the limited HTML is allowed in e-mail templates.
TEST(TemplateValidate, DisallowedHtml) {
  struct Case {
    const char* body;
    const char* needle;
  } cases[] = {
      {"<p>ok</p>\n<script>alert(1)</script>", "<script> is not allowed on line 2"},
      {"<img src=\"https://x.test/t.gif\">", "<img>"},
      {"<p onclick=\"x()\">a</p>", "onclick"},
      {"<a href=\"javascript:alert(1)\">a</a>", "javascript:alert(1)"},
      {"<p style=\"color:red\">a</p>", "style"},
  };
  for (const auto& c : cases) {
    Result<void> r = ValidateTemplate({"", c.body}, true);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_NE(r.error().message().find(c.needle), std::string::npos)
        << c.body << " -> " << r.error().message();
  }
  // Plain-text templates are not HTML: "<" is just a character.
  EXPECT_TRUE(ValidateTemplate({"", "a <script> b"}, false).ok());
  // The same markup is allowed when it is on the list.
  EXPECT_TRUE(ValidateTemplate({"",
                                "<div align=\"right\"><a href=\"https://x.test\" "
                                "title=\"t\">x</a><hr/><br></div>"},
                               true)
                  .ok());
}

// R-DUN-3: a link that is not http/https/mailto once rendered is refused.
TEST(TemplateRender, RenderedLinkMustBeSafe) {
  MessageTemplate t{"", "<p><a href=\"{{invoice.pdf_url}}\">PDF</a></p>"};
  Result<RenderedMessage> r = RenderTemplate(t, Context("fr"), true);  // F-42 has no PDF URL
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("link"), std::string::npos) << r.error().message();
}

// R-DUN-3: money formats, with 0 and 3 minor digits and negative amounts.
TEST(FormatMoney, Cases) {
  EXPECT_EQ(FormatMoney(123456, "EUR", "fr"), std::string("1") + kNnbsp + "234,56" + kNbsp + "€");
  EXPECT_EQ(FormatMoney(123456, "EUR", "en"), "€1,234.56");
  EXPECT_EQ(FormatMoney(5, "EUR", "fr"), std::string("0,05") + kNbsp + "€");
  EXPECT_EQ(FormatMoney(123456789, "EUR", "en"), "€1,234,567.89");
  EXPECT_EQ(FormatMoney(1234, "JPY", "en"), "¥1,234");
  EXPECT_EQ(FormatMoney(1234, "JPY", "fr"), std::string("1") + kNnbsp + "234" + kNbsp + "¥");
  EXPECT_EQ(FormatMoney(1234567, "TND", "fr"),
            std::string("1") + kNnbsp + "234,567" + kNbsp + "TND");
  EXPECT_EQ(FormatMoney(-123456, "EUR", "fr"), std::string("-1") + kNnbsp + "234,56" + kNbsp + "€");
  EXPECT_EQ(FormatMoney(-99, "EUR", "en"), "-€0.99");
  EXPECT_EQ(FormatMoney(150000, "CHF", "en"), std::string("CHF") + kNbsp + "1,500.00");
  EXPECT_EQ(FormatMoney(0, "USD", "en"), "$0.00");
  EXPECT_EQ(FormatMoney(INT64_MIN, "JPY", "en"), "-¥9,223,372,036,854,775,808");
}

TEST(FormatDate, Cases) {
  EXPECT_EQ(FormatDate(D(2026, 1, 15), "fr"), "15/01/2026");
  EXPECT_EQ(FormatDate(D(2026, 1, 15), "en"), "15 Jan 2026");
  EXPECT_EQ(FormatDate(D(2026, 12, 5), "en"), "5 Dec 2026");
}

// R-DUN-3, R-SEND-5: every default template, in both languages, passes the
// same checks a user's template does and renders with a full context.
TEST(DefaultTemplates, ValidAndRenderable) {
  for (std::string_view key : DefaultTemplateKeys()) {
    for (const char* language : {"fr", "en"}) {
      const MessageTemplate* t = FindDefaultTemplate(key, language);
      ASSERT_NE(t, nullptr) << key;
      bool html = IsHtmlTemplateKey(key);
      Result<void> valid = ValidateTemplate(*t, html);
      EXPECT_TRUE(valid.ok()) << key << "/" << language << ": " << valid.error().ToString();
      Result<RenderedMessage> r = RenderTemplate(*t, Context(language), html);
      ASSERT_TRUE(r.ok()) << key << "/" << language << ": " << r.error().ToString();
      // The invoice e-mail is about one invoice; the others about the total.
      bool fr = std::string(language) == "fr";
      std::string amount = key == "invoice"
                               ? (fr ? std::string("1") + kNnbsp + "234,56" : "1,234.56")
                               : (fr ? std::string("1") + kNnbsp + "050,00" : "1,050.00");
      EXPECT_NE(r->text.find(amount), std::string::npos) << key << "/" << language << "\n"
                                                         << r->text;
      EXPECT_EQ(r->text.find("{{"), std::string::npos) << r->text;
    }
  }
  // A list line of the letter is followed by a blank line before the total.
  Result<RenderedMessage> letter =
      RenderTemplate(DefaultTemplate("letter", "fr"), Context("fr"), false);
  ASSERT_TRUE(letter.ok());
  EXPECT_NE(letter->text.find("restant dû\n\nLe total échu"), std::string::npos) << letter->text;
  EXPECT_EQ(RenderTemplate(DefaultTemplate("invoice", "fr"), Context("fr"), true)->subject,
            "Votre facture F-42");
  EXPECT_EQ(FindDefaultTemplate("nope", "fr"), nullptr);
  EXPECT_TRUE(DefaultTemplate("nope", "fr").body.empty());
}

// The documented placeholders are the ones validation accepts.
TEST(TemplatePlaceholders, DocumentedNamesAreAccepted) {
  for (const auto& [name, description] : TemplatePlaceholders()) {
    EXPECT_FALSE(description.empty()) << name;
    std::string n(name);
    std::string body;
    size_t dot = n.find('.');
    if (dot != std::string::npos &&
        (n.substr(0, dot) == "overdue_invoices" || n.substr(0, dot) == "due_invoices")) {
      body =
          "{{#" + n.substr(0, dot) + "}}{{" + n.substr(dot + 1) + "}}{{/" + n.substr(0, dot) + "}}";
    } else {
      body = "{{" + n + "}}";
    }
    Result<void> r = ValidateTemplate({"", body}, false);
    EXPECT_TRUE(r.ok()) << name << ": " << r.error().ToString();
  }
}

}  // namespace
}  // namespace relance::delivery
