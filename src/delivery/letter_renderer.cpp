#include "delivery/letter_renderer.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace relance::delivery {
namespace {

constexpr double kMm = 72.0 / 25.4;
constexpr double kPageWidth = 210 * kMm;
constexpr double kPageHeight = 297 * kMm;
constexpr double kMarginLeft = 20 * kMm;
constexpr double kMarginRight = 20 * kMm;
constexpr double kTextWidth = kPageWidth - kMarginLeft - kMarginRight;
// The window of a DL envelope holding an A4 sheet folded in three.
constexpr double kWindowLeft = 110 * kMm;
constexpr double kWindowTop = 50 * kMm;
constexpr double kWindowWidth = 85 * kMm;
constexpr double kSenderTop = 15 * kMm;
constexpr double kBodyTopFirstPage = 125 * kMm;  // at least; lower after a long subject
constexpr double kBodyTopNextPages = 20 * kMm;
constexpr double kBodyBottom = 272 * kMm;
constexpr double kPageNumberTop = 282 * kMm;

struct CairoSurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct CairoDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};
struct GObjectDeleter {
  void operator()(void* o) const { g_object_unref(o); }
};
struct FontDeleter {
  void operator()(PangoFontDescription* f) const { pango_font_description_free(f); }
};
struct IterDeleter {
  void operator()(PangoLayoutIter* i) const { pango_layout_iter_free(i); }
};
using LayoutPtr = std::unique_ptr<PangoLayout, GObjectDeleter>;

cairo_status_t AppendToString(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

std::string AddressBlock(const PostalAddress& a) {
  std::string out = a.name;
  auto line = [&](const std::string& s) {
    if (s.empty()) return;
    if (!out.empty()) out += '\n';
    out += s;
  };
  line(a.street);
  line(a.postal_code.empty() ? a.city : a.postal_code + " " + a.city);
  // Domestic mail carries no country line (La Poste's addressing rules).
  if (!a.country.empty() && a.country != "FR") line(a.country);
  return out;
}

class Page {
 public:
  explicit Page(cairo_t* cr) : cr_(cr) {}

  LayoutPtr Text(const std::string& text, const char* font, double width, bool bold = false) {
    LayoutPtr layout(pango_cairo_create_layout(cr_));
    std::unique_ptr<PangoFontDescription, FontDeleter> desc(
        pango_font_description_from_string(font));
    if (bold) pango_font_description_set_weight(desc.get(), PANGO_WEIGHT_BOLD);
    pango_layout_set_font_description(layout.get(), desc.get());
    pango_layout_set_width(layout.get(), static_cast<int>(width * PANGO_SCALE));
    pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
    // set_text, not markup: the letter's text is never interpreted.
    pango_layout_set_text(layout.get(), text.data(), static_cast<int>(text.size()));
    return layout;
  }

  // Draws a whole layout with its top-left corner at (x, y); returns its height.
  double Draw(PangoLayout* layout, double x, double y) {
    cairo_move_to(cr_, x, y);
    pango_cairo_show_layout(cr_, layout);
    int w = 0, h = 0;
    pango_layout_get_size(layout, &w, &h);
    return static_cast<double>(h) / PANGO_SCALE;
  }

 private:
  cairo_t* cr_;
};

// Where each body line goes: its page and its baseline on that page.
struct PlacedLine {
  int page;  // 0-based
  double baseline;
};

std::vector<PlacedLine> PlaceLines(PangoLayout* body, double first_top, int* page_count) {
  std::vector<PlacedLine> placed;
  std::unique_ptr<PangoLayoutIter, IterDeleter> iter(pango_layout_get_iter(body));
  int page = 0;
  double page_top = first_top;  // where the page's first line starts
  double offset = 0;            // layout y of the page's first line
  do {
    PangoRectangle logical;
    pango_layout_iter_get_line_extents(iter.get(), nullptr, &logical);
    double top = static_cast<double>(logical.y) / PANGO_SCALE;
    double bottom = static_cast<double>(logical.y + logical.height) / PANGO_SCALE;
    double baseline = static_cast<double>(pango_layout_iter_get_baseline(iter.get())) / PANGO_SCALE;
    if (page_top + (bottom - offset) > kBodyBottom && top > offset) {
      ++page;
      page_top = kBodyTopNextPages;
      offset = top;
    }
    placed.push_back({page, page_top + (baseline - offset)});
  } while (pango_layout_iter_next_line(iter.get()));
  *page_count = page + 1;
  return placed;
}

Result<void> CheckUtf8(const std::string& text, const char* what) {
  if (!g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr)) {
    return FieldInvalid(what, "is not valid UTF-8");
  }
  return Ok();
}

}  // namespace

Result<std::string> RenderLetterPdf(const LetterContent& content) {
  std::string sender = AddressBlock(content.sender);
  std::string recipient = AddressBlock(content.recipient);
  std::string date_line = content.place.empty()       ? content.date_text
                          : content.date_text.empty() ? content.place
                                                      : content.place + ", " + content.date_text;
  RETURN_IF_ERROR(CheckUtf8(sender, "sender"));
  RETURN_IF_ERROR(CheckUtf8(recipient, "recipient"));
  RETURN_IF_ERROR(CheckUtf8(date_line, "date_text"));
  RETURN_IF_ERROR(CheckUtf8(content.subject, "subject"));
  RETURN_IF_ERROR(CheckUtf8(content.body_text, "body_text"));

  std::string pdf;
  std::unique_ptr<cairo_surface_t, CairoSurfaceDeleter> surface(
      cairo_pdf_surface_create_for_stream(&AppendToString, &pdf, kPageWidth, kPageHeight));
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, content.subject.c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "Relance");
  std::unique_ptr<cairo_t, CairoDeleter> cr(cairo_create(surface.get()));
  cairo_set_source_rgb(cr.get(), 0, 0, 0);
  Page page(cr.get());

  // First page header.
  page.Draw(page.Text(sender, "DejaVu Sans 9.5", 80 * kMm).get(), kMarginLeft, kSenderTop);
  double y = kWindowTop;
  y += page.Draw(page.Text(recipient, "DejaVu Sans 11", kWindowWidth).get(), kWindowLeft, y);
  y = std::max(y + 8 * kMm, 95 * kMm);
  y += page.Draw(page.Text(date_line, "DejaVu Sans 10", kWindowWidth).get(), kWindowLeft, y);
  y = std::max(y + 8 * kMm, 108 * kMm);
  double subject_height =
      page.Draw(page.Text(content.subject, "DejaVu Sans 10.5", kTextWidth, /*bold=*/true).get(),
                kMarginLeft, y);
  double body_top = std::max(kBodyTopFirstPage, y + subject_height + 8 * kMm);

  LayoutPtr body = page.Text(content.body_text, "DejaVu Sans 10.5", kTextWidth);
  pango_layout_set_justify(body.get(), TRUE);
  pango_layout_set_spacing(body.get(), static_cast<int>(1.5 * PANGO_SCALE));
  int page_count = 1;
  // A long subject pushes the body down.
  std::vector<PlacedLine> lines = PlaceLines(body.get(), body_top, &page_count);

  auto draw_page_number = [&](int index) {
    if (page_count < 2) return;
    std::string label = std::to_string(index + 1) + "/" + std::to_string(page_count);
    LayoutPtr number = page.Text(label, "DejaVu Sans 8.5", kTextWidth);
    pango_layout_set_alignment(number.get(), PANGO_ALIGN_CENTER);
    page.Draw(number.get(), kMarginLeft, kPageNumberTop);
  };

  int current = 0;
  std::unique_ptr<PangoLayoutIter, IterDeleter> iter(pango_layout_get_iter(body.get()));
  size_t index = 0;
  do {
    const PlacedLine& placed = lines[index++];
    while (current < placed.page) {
      draw_page_number(current);
      cairo_show_page(cr.get());
      ++current;
    }
    cairo_move_to(cr.get(), kMarginLeft, placed.baseline);
    pango_cairo_show_layout_line(cr.get(), pango_layout_iter_get_line_readonly(iter.get()));
  } while (pango_layout_iter_next_line(iter.get()) && index < lines.size());
  draw_page_number(current);
  cairo_show_page(cr.get());

  cr.reset();
  cairo_surface_finish(surface.get());
  cairo_status_t status = cairo_surface_status(surface.get());
  if (status != CAIRO_STATUS_SUCCESS) {
    return Internal(std::string("cairo could not write the letter: ") +
                    cairo_status_to_string(status));
  }
  surface.reset();
  return pdf;
}

}  // namespace relance::delivery
