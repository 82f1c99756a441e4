// Renders a dunning letter to PDF (cairo + pango): A4 portrait, laid out for
// a French window envelope (DL, window on the right, NF Z10-011): the
// sender's block top left, the recipient's block in the window area
// (110 mm from the left, 50 mm from the top), the place and date line below
// it, the subject in bold, then the body, whose paragraphs wrap and flow onto
// as many pages as needed; pages are numbered "1/3" when there are several.
// Fonts are DejaVu Sans (fonts-dejavu-core), embedded in the PDF.
//
// Thread safety: may be called from several threads at once (each call has
// its own surface and layouts; pango's cairo font map is per thread).
#pragma once

#include <string>

#include "core/result.h"
#include "delivery/channels.h"

namespace relance::delivery {

struct LetterContent {
  PostalAddress sender;     // printed top left; street may hold "\n"-separated lines
  PostalAddress recipient;  // printed in the window; country omitted when "FR"
  std::string place;        // "Paris"
  // The date as it reads after the place: "le 15 janvier 2026" gives
  // "Paris, le 15 janvier 2026"; with no place, the date alone.
  std::string date_text;
  std::string subject;  // bold; include "Objet : " if wanted
  // Plain text; paragraphs separated by blank lines; line breaks kept.
  std::string body_text;
};

// The PDF bytes ("%PDF-..."). kInvalidArgument when a text is not valid
// UTF-8; kInternal when cairo fails.
Result<std::string> RenderLetterPdf(const LetterContent& content);

}  // namespace relance::delivery
