#include "imports/import_templates.h"

#include <xlsxwriter.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/ids.h"
#include "imports/csv_writer.h"
#include "imports/import_fields.h"

namespace relance::imports {
namespace {

// What each column holds, for the help sheet.
std::string_view Help(ImportField f) {
  switch (f) {
    case ImportField::kExternalId:
      return "Your customer code; required when two customers share a name";
    case ImportField::kName:
      return "Required for a new customer";
    case ImportField::kStatus:
      return "Client or Prospect (default Client)";
    case ImportField::kAccountingCode:
      return "Accounting account code";
    case ImportField::kVatNumber:
      return "Intra-community VAT number";
    case ImportField::kStreet:
      return "Street address";
    case ImportField::kPostalCode:
      return "Postal code, kept as written (01000)";
    case ImportField::kCity:
      return "City";
    case ImportField::kRegion:
      return "State or region";
    case ImportField::kCountry:
      return "ISO code (FR, BE, CH...) or the country's name";
    case ImportField::kAccountManager:
      return "E-mail of a Relance user of your organization";
    case ImportField::kDunningPlan:
      return "Name of an existing dunning plan";
    case ImportField::kPaymentDelay:
      return "Whole number of days (30)";
    case ImportField::kGroupName:
      return "Subsidiaries: the group's Raison sociale";
    case ImportField::kGroupExternalId:
      return "Subsidiaries: the group's Identifiant Client";
    case ImportField::kContactEmail:
      return "Required for a contact; identifies it";
    case ImportField::kContactFirstName:
      return "Contact's first name";
    case ImportField::kContactLastName:
      return "Contact's last name";
    case ImportField::kContactPhone:
      return "Contact's phone";
    case ImportField::kContactExternalId:
      return "Contact's code in your software";
    case ImportField::kContactPosition:
      return "Comptabilité, Commercial, Acheteur or Payeur";
    case ImportField::kContactMain:
      return "1 for the main contact (the last 1 of a customer wins)";
    case ImportField::kSmartTag:
    case ImportField::kCustomField:
      return "";
  }
  return "";
}

std::vector<std::string> Header() {
  std::vector<std::string> h;
  for (ImportField f : FixedFields()) h.emplace_back(FrenchLabel(f));
  h.emplace_back("Tag: Secteur");
  return h;
}

// Example rows, in the header's column order.
std::vector<std::vector<std::string>> Examples() {
  return {
      {"C001",
       "Groupe Durand",
       "Client",
       "411DUR",
       "FR12345678901",
       "12 rue de la Paix",
       "75002",
       "Paris",
       "Île-de-France",
       "FR",
       "",
       "",
       "30",
       "",
       "",
       "compta@durand.fr",
       "Anne",
       "Martin",
       "+33 1 23 45 67 89",
       "",
       "Comptabilité",
       "1",
       "Industrie"},
      {"C001", "Groupe Durand",    "",     "",      "", "", "",         "",  "", "", "", "", "", "",
       "",     "achats@durand.fr", "Marc", "Petit", "", "", "Acheteur", "0", ""},
      {"C002",     "Durand Lyon",
       "Client",   "411DURL",
       "",         "3 quai Saint-Vincent",
       "69001",    "Lyon",
       "",         "FR",
       "",         "",
       "45",       "Groupe Durand",
       "C001",     "lyon@durand.fr",
       "Julie",    "Bernard",
       "",         "",
       "Payeur",   "1",
       "Industrie"},
  };
}

}  // namespace

std::string CustomerTemplateCsv() {
  std::string out(kUtf8Bom);
  AppendCsvRecord(out, Header());
  for (const auto& row : Examples()) AppendCsvRecord(out, row);
  return out;
}

Result<std::string> CustomerTemplateXlsx() {
  namespace fs = std::filesystem;
  // libxlsxwriter writes to a file: a private temporary one, read back.
  fs::path path = fs::temp_directory_path() / ("relance-template-" + RandomHex(8) + ".xlsx");
  lxw_workbook* wb = workbook_new(path.c_str());
  if (wb == nullptr) return Internal("cannot create the template workbook");
  lxw_worksheet* sheet = workbook_add_worksheet(wb, "Clients");
  lxw_format* bold = workbook_add_format(wb);
  format_set_bold(bold);
  lxw_format* text = workbook_add_format(wb);
  format_set_num_format(text, "@");  // codes such as 01000 stay text
  auto header = Header();
  for (size_t c = 0; c < header.size(); ++c) {
    auto col = static_cast<lxw_col_t>(c);
    worksheet_set_column(sheet, col, col, 20, text);
    worksheet_write_string(sheet, 0, col, header[c].c_str(), bold);
  }
  auto examples = Examples();
  for (size_t r = 0; r < examples.size(); ++r) {
    for (size_t c = 0; c < examples[r].size(); ++c) {
      if (examples[r][c].empty()) continue;
      worksheet_write_string(sheet, static_cast<lxw_row_t>(r + 1), static_cast<lxw_col_t>(c),
                             examples[r][c].c_str(), text);
    }
  }
  lxw_worksheet* help = workbook_add_worksheet(wb, "Aide");
  worksheet_set_column(help, 0, 0, 28, nullptr);
  worksheet_set_column(help, 1, 1, 70, nullptr);
  worksheet_write_string(help, 0, 0, "Colonne", bold);
  worksheet_write_string(help, 0, 1, "Contenu", bold);
  lxw_row_t row = 1;
  for (ImportField f : FixedFields()) {
    worksheet_write_string(help, row, 0, std::string(FrenchLabel(f)).c_str(), nullptr);
    worksheet_write_string(help, row, 1, std::string(Help(f)).c_str(), nullptr);
    ++row;
  }
  worksheet_write_string(help, row, 0, "Tag: <nom>", nullptr);
  worksheet_write_string(help, row, 1, "One smart-tag per column: the header names the tag",
                         nullptr);
  lxw_error err = workbook_close(wb);
  if (err != LXW_NO_ERROR) {
    std::error_code ec;
    fs::remove(path, ec);
    return Internal(std::string("cannot write the template workbook: ") + lxw_strerror(err));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::error_code ec;
  fs::remove(path, ec);
  return bytes.str();
}

}  // namespace relance::imports
