// The limited HTML allowed in e-mail templates, and the plain-text part
// derived from it. Allowed elements: p br strong b em i u ul ol li a h1 h2 h3
// table thead tbody tr th td span div blockquote hr; attributes: href on a
// (http, https or mailto only), title anywhere, align on blocks and cells,
// colspan/rowspan on cells. Scripts, styles, images, forms, event handlers
// and any other element or attribute are refused, so a template cannot make
// the e-mail load remote content or run code in a webmail.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace relance::delivery {

// Fails (kInvalidArgument, field `where`) naming the first element or
// attribute not allowed and its line. With `allow_placeholder_href`, an href
// that starts with a mustache tag ("{{portal_url}}") is accepted: the
// rendered message is checked again without it.
Result<void> CheckLimitedHtml(std::string_view html, std::string_view where,
                              bool allow_placeholder_href);

// & < > " ' as entities.
std::string HtmlEscape(std::string_view text);

// The text/plain alternative of limited HTML: paragraphs, headings, lists
// and tables separated by blank lines, <br> as a line break, list items as
// "- item", links as "text (url)" (just the text when it is the url), cells
// separated by " | ", whitespace collapsed, entities decoded.
std::string HtmlToText(std::string_view html);

}  // namespace relance::delivery
