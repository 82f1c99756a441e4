#include "domain/rules/contacts.h"

#include <array>
#include <utility>

namespace relance::domain {
namespace {

// Upper-cases ASCII and folds the French accented letters (UTF-8) that occur
// in the labels to their base letter.
std::string Fold(std::string_view text) {
  static const std::pair<std::string_view, char> kAccents[] = {
      {"é", 'E'}, {"É", 'E'}, {"è", 'E'}, {"È", 'E'}, {"ê", 'E'}, {"Ê", 'E'},
      {"à", 'A'}, {"À", 'A'}, {"â", 'A'}, {"ç", 'C'}, {"Ç", 'C'}, {"ô", 'O'},
      {"û", 'U'}, {"ù", 'U'}, {"î", 'I'}, {"ï", 'I'}};
  std::string out;
  for (size_t i = 0; i < text.size();) {
    bool matched = false;
    for (const auto& [accent, base] : kAccents) {
      if (text.substr(i, accent.size()) == accent) {
        out += base;
        i += accent.size();
        matched = true;
        break;
      }
    }
    if (matched) continue;
    char c = text[i++];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == ' ' || c == '\t' || c == '-' || c == '_') c = ' ';
    out += c;
  }
  size_t b = out.find_first_not_of(' '), e = out.find_last_not_of(' ');
  return b == std::string::npos ? "" : out.substr(b, e - b + 1);
}

}  // namespace

std::optional<std::string> ParsePosition(std::string_view text) {
  static const std::array<std::pair<std::string_view, std::string_view>, 12> kLabels = {{
      {"ACCOUNTING", "ACCOUNTING"}, {"COMPTABILITE", "ACCOUNTING"}, {"COMPTABLE", "ACCOUNTING"},
      {"SALES", "SALES"}, {"VENTES", "SALES"}, {"COMMERCIAL", "SALES"},
      {"PURCHASER", "PURCHASER"}, {"ACHETEUR", "PURCHASER"}, {"ACHATS", "PURCHASER"},
      {"PAYER", "PAYER"}, {"PAYEUR", "PAYER"}, {"PAIEMENT", "PAYER"},
  }};
  std::string folded = Fold(text);
  for (const auto& [label, canonical] : kLabels) {
    if (folded == label) return std::string(canonical);
  }
  return std::nullopt;
}

}  // namespace relance::domain
