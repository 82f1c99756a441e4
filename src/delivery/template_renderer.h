// Message templates (R-DUN-3, R-SEND-5): mustache over limited HTML for
// e-mails, or plain text for SMS and letters, rendered with a
// TemplateContext through mstch. Placeholders are dotted names
// ({{customer.name}}, {{invoice.outstanding}}); lists are sections
// ({{#overdue_invoices}}{{number}} {{outstanding}}{{/overdue_invoices}});
// amounts and dates are rendered already formatted for ctx.language.
//
// Thread safety: every function may be called from several threads at once.
// mstch escapes through one process-wide function; this library sets it to
// the identity once and escapes values itself, so do not change
// mstch::config::escape elsewhere in the process.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "delivery/formatting.h"
#include "delivery/template_context.h"

namespace relance::delivery {

// Checks the subject and body: mustache syntax (unbalanced sections,
// unclosed tags) and that every placeholder is known where it is used; with
// `html`, that the body uses only the limited HTML of limited_html.h. An
// error is kInvalidArgument with one FieldError ("subject" or "body") whose
// message names the placeholder or tag and its line:
// "unknown placeholder {{customer.nme}} on line 3 of the body".
Result<void> ValidateTemplate(const MessageTemplate& t, bool html);

// Validates, then renders. html=true: values are HTML-escaped in the body,
// `html` is the rendered body and `text` is derived from it (paragraphs,
// line breaks, list items as "- ", links as "text (url)"); a link whose
// address is not http/https/mailto once rendered (an empty {{invoice.pdf_url}})
// is an error. html=false: plain text, no escaping, `html` empty. The subject
// is always plain text, on one line.
Result<RenderedMessage> RenderTemplate(const MessageTemplate& t, const TemplateContext& ctx,
                                       bool html);

// The placeholder names with a one-line description each, for the API's
// documentation and the preview endpoint. Names inside the invoice lists are
// given as "overdue_invoices.number" for documentation; in a template they
// are written {{number}} inside {{#overdue_invoices}}...{{/overdue_invoices}}.
const std::vector<std::pair<std::string_view, std::string_view>>& TemplatePlaceholders();

// The keys DefaultTemplate knows: "reminder_1", "reminder_2",
// "final_notice", "invoice" (e-mails, html), "sms", "letter" (plain text).
const std::vector<std::string_view>& DefaultTemplateKeys();
// True for the keys whose template is HTML (the e-mails).
bool IsHtmlTemplateKey(std::string_view key);

// The built-in template for `key` in `language` ("en..." English, anything
// else French). Precondition: key is one of DefaultTemplateKeys(); for any
// other key an empty template is returned (FindDefaultTemplate tells).
const MessageTemplate& DefaultTemplate(std::string_view key, std::string_view language);
// Null for an unknown key.
const MessageTemplate* FindDefaultTemplate(std::string_view key, std::string_view language);

}  // namespace relance::delivery
