// Column mapping and row checks of the customer import, without a database:
// R-IMP-4 (mapping proposed from French and English headers), R-IMP-6, R-IMP-8,
// R-IMP-9, R-IMP-10 (cell values).
#include <gtest/gtest.h>

#include "domain/rules/validation.h"
#include "imports/column_mapping.h"
#include "imports/import_row.h"

namespace relance::imports {
namespace {

std::optional<std::string> FieldOf(const ColumnMapping& m, size_t col) {
  if (!m.columns.at(col)) return std::nullopt;
  return TargetName(*m.columns[col]);
}

ImportRow Parse(const std::vector<std::string>& header, const std::vector<std::string>& cells) {
  ColumnMapping m = ProposeMapping(header);
  std::vector<std::string_view> views(cells.begin(), cells.end());
  return ParseImportRow(2, views, m);
}

// R-IMP-4: case, accents, spacing and punctuation are ignored.
TEST(ImportMapping, RecognizesFrenchAndEnglishHeadersWhateverTheirSpelling) {
  std::vector<std::string> header = {"RAISON-SOCIALE", "identifiant_client", " Code  Postal ",
                                     "E-mail",         "Prénom",             "Téléphone",
                                     "Délai de paiement (jours)", "Customer ID"};
  ColumnMapping m = ProposeMapping(header);
  EXPECT_EQ(FieldOf(m, 0), "name");
  EXPECT_EQ(FieldOf(m, 1), "external_id");
  EXPECT_EQ(FieldOf(m, 2), "postal_code");
  EXPECT_EQ(FieldOf(m, 3), "contact.email");
  EXPECT_EQ(FieldOf(m, 4), "contact.first_name");
  EXPECT_EQ(FieldOf(m, 5), "contact.phone");
  // Not a known name: left for the user to map, and listed as such.
  EXPECT_EQ(FieldOf(m, 6), std::nullopt);
  // A second column for a field already proposed is not proposed again.
  EXPECT_EQ(FieldOf(m, 7), std::nullopt);
  EXPECT_EQ(m.Unmapped(), (std::vector<std::string>{"Délai de paiement (jours)", "Customer ID"}));
}

TEST(ImportMapping, RecognizesEnglishExports) {
  ColumnMapping m = ProposeMapping(std::vector<std::string>{
      "Company Name", "Customer Number", "VAT Number", "Zip Code", "Country", "Payment Terms",
      "Parent Company", "Email Address", "Last Name", "Position", "Main Contact"});
  std::vector<std::string> fields;
  for (size_t i = 0; i < m.columns.size(); ++i) fields.push_back(FieldOf(m, i).value_or("-"));
  EXPECT_EQ(fields, (std::vector<std::string>{"name", "external_id", "vat_number", "postal_code",
                                              "country", "payment_delay_days", "group_name",
                                              "contact.email", "contact.last_name",
                                              "contact.position", "contact.is_main"}));
}

// "Nom" is the company's name, unless the file has a company-name column.
TEST(ImportMapping, BareNomIsTheContactsLastNameBesideARaisonSociale) {
  EXPECT_EQ(FieldOf(ProposeMapping(std::vector<std::string>{"Nom", "Ville"}), 0), "name");
  ColumnMapping both = ProposeMapping(std::vector<std::string>{"Nom", "Raison sociale", "E-mail"});
  EXPECT_EQ(FieldOf(both, 0), "contact.last_name");
  EXPECT_EQ(FieldOf(both, 1), "name");
}

TEST(ImportMapping, SmartTagAndCustomFieldColumnsKeepTheirKey) {
  ColumnMapping m = ProposeMapping(std::vector<std::string>{"Tag: Secteur", "Champ: Région commerciale",
                                                           "smart_tags.tier"});
  EXPECT_EQ(FieldOf(m, 0), "smart_tags.Secteur");
  EXPECT_EQ(FieldOf(m, 1), "custom_fields.Région commerciale");
  EXPECT_EQ(FieldOf(m, 2), "smart_tags.tier");
}

TEST(ImportMapping, UserCorrectionsReplaceTheProposalAndAreChecked) {
  std::vector<std::string> header = {"Société", "Code", "Mail"};
  auto m = ApplyUserMapping(header, {{"Code", "external_id"}, {"Mail", nullptr}}, true);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(FieldOf(*m, 0), "name");  // proposed, kept
  EXPECT_EQ(FieldOf(*m, 1), "external_id");
  EXPECT_EQ(FieldOf(*m, 2), std::nullopt);  // ignored on request

  // A user's choice displaces the proposal that named the same field.
  auto moved = ApplyUserMapping(header, {{"Code", "name"}}, true);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(FieldOf(*moved, 0), std::nullopt);
  EXPECT_EQ(FieldOf(*moved, 1), "name");

  auto bad = ApplyUserMapping(header, {{"Adresse", "street"}, {"Code", "colour"}}, true);
  ASSERT_FALSE(bad.ok());
  ASSERT_EQ(bad.error().details().size(), 2u);
  EXPECT_EQ(bad.error().details()[0].field, "Adresse");
  EXPECT_NE(bad.error().details()[0].message.find("no column"), std::string::npos);
  EXPECT_EQ(bad.error().details()[1].field, "Code");

  auto twice = ApplyUserMapping(header, {{"Code", "name"}, {"Mail", "name"}}, true);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().details()[0].field, "Mail");
}

// R-IMP-5, R-IMP-8: a mapping without a key for customers or contacts is refused.
TEST(ImportMapping, AMappingWithoutNameOrEmailColumnIsRefused) {
  EXPECT_FALSE(CheckMappingUsable(ProposeMapping(std::vector<std::string>{"Ville"})).ok());
  auto no_email = CheckMappingUsable(ProposeMapping(std::vector<std::string>{"Raison sociale", "Prénom"}));
  ASSERT_FALSE(no_email.ok());
  EXPECT_EQ(no_email.error().details()[0].field, "contact.email");
  EXPECT_TRUE(CheckMappingUsable(ProposeMapping(std::vector<std::string>{"Identifiant client"})).ok());
}

// R-IMP-6
TEST(ImportRow, PaymentDelayMustBeAWholeNumberOfDays) {
  EXPECT_EQ(ParsePaymentDelay("30"), 30);
  EXPECT_EQ(ParsePaymentDelay("45.0"), 45);  // a spreadsheet's number
  EXPECT_EQ(ParsePaymentDelay("30 jours"), std::nullopt);
  EXPECT_EQ(ParsePaymentDelay("30,5"), std::nullopt);
  EXPECT_EQ(ParsePaymentDelay("-5"), std::nullopt);
  EXPECT_EQ(ParsePaymentDelay("30."), std::nullopt);
  EXPECT_EQ(ParsePaymentDelay(".5"), std::nullopt);
  EXPECT_EQ(ParsePaymentDelay("30.00"), 30);
  EXPECT_EQ(ParsePaymentDelay("30.50"), std::nullopt);
  EXPECT_EQ(ParsePaymentDelay("007"), 7);
  EXPECT_EQ(ParsePaymentDelay("999999"), 999999);
  EXPECT_EQ(ParsePaymentDelay("1234567"), std::nullopt);
  EXPECT_EQ(ParsePaymentDelay(std::string(30, '9')), std::nullopt);
  ImportRow row = Parse({"Raison sociale", "Délai de paiement"}, {"Acme", "30 jours"});
  ASSERT_EQ(row.problems.size(), 1u);
  EXPECT_EQ(row.problems[0].column, "Délai de paiement");
  EXPECT_EQ(row.problems[0].value, "30 jours");
  EXPECT_NE(row.problems[0].reason.find("whole number of days"), std::string::npos);
}

// R-IMP-9: canonical names and French labels, case and accents ignored.
TEST(ImportRow, PositionsAcceptFrenchLabels) {
  EXPECT_EQ(ParsePosition("Comptabilité"), "ACCOUNTING");
  EXPECT_EQ(ParsePosition("COMPTABILITE"), "ACCOUNTING");
  EXPECT_EQ(ParsePosition("commercial"), "SALES");
  EXPECT_EQ(ParsePosition("Acheteur"), "PURCHASER");
  EXPECT_EQ(ParsePosition("Payeur"), "PAYER");
  EXPECT_EQ(ParsePosition("PAYER"), "PAYER");
  EXPECT_EQ(ParsePosition("Directeur"), std::nullopt);
  ImportRow row = Parse({"Raison sociale", "E-mail", "Poste"}, {"Acme", "a@acme.fr", "Directeur"});
  ASSERT_EQ(row.problems.size(), 1u);
  EXPECT_EQ(row.problems[0].column, "Poste");
}

// R-IMP-10
TEST(ImportRow, MainContactFlag) {
  EXPECT_EQ(ParseMainFlag("1"), true);
  EXPECT_EQ(ParseMainFlag("0"), false);
  EXPECT_EQ(ParseMainFlag("TRUE"), true);  // a spreadsheet boolean
  EXPECT_EQ(ParseMainFlag("Oui"), true);
  EXPECT_EQ(ParseMainFlag("2"), std::nullopt);
}

// R-IMP-8: a contact without e-mail is rejected; a customer-only row is fine.
TEST(ImportRow, AContactNeedsAnEmail) {
  std::vector<std::string> header = {"Raison sociale", "E-mail", "Prénom"};
  ImportRow customer_only = Parse(header, {"Acme", "", ""});
  EXPECT_TRUE(customer_only.problems.empty());
  EXPECT_FALSE(customer_only.contact.present);
  ImportRow no_email = Parse(header, {"Acme", "", "Anne"});
  ASSERT_EQ(no_email.problems.size(), 1u);
  EXPECT_EQ(no_email.problems[0].column, "E-mail");
  ImportRow bad_email = Parse(header, {"Acme", "anne at acme", "Anne"});
  ASSERT_EQ(bad_email.problems.size(), 1u);
  EXPECT_EQ(bad_email.problems[0].column, "E-mail");
  EXPECT_EQ(bad_email.problems[0].value, "anne at acme");
  ImportRow upper = Parse(header, {"Acme", " Anne@Acme.FR ", "Anne"});
  EXPECT_EQ(upper.contact.email, "anne@acme.fr");
}

// E-mail addresses are lowered 16 bytes at a time, the last 16 overlapping:
// a capital at any place of an address of any length is lowered, and
// nothing else changes (the bytes next to A and Z, accented letters).
TEST(ImportRow, AnEmailIsLowerCasedWhereverItsCapitalsAre) {
  const std::vector<std::string> header = {"Raison sociale", "E-mail", "Responsable"};
  for (size_t len = 1; len <= 40; ++len) {
    const std::string lower = std::string(len, 'a') + "@[`]\xC3\xA9t\xC3\x89.fr";
    for (size_t at = 0; at < lower.size(); ++at) {
      if (lower[at] < 'a' || lower[at] > 'z') continue;
      std::string upper = lower;
      upper[at] = static_cast<char>(upper[at] - 'a' + 'A');
      ImportRow row = Parse(header, {"Acme", upper, upper});
      EXPECT_EQ(row.contact.email, lower) << len << " " << at;
      EXPECT_EQ(row.customer.account_manager_email, lower) << len << " " << at;
    }
  }
}

TEST(ImportRow, CellsAreTrimmedAndKeptAsWritten) {
  ImportRow row = Parse({"Raison sociale", "Code postal", "Pays", "Identifiant client"},
                        {"  Société Générale  ", "01000", "France", "00123"});
  ASSERT_TRUE(row.problems.empty());
  EXPECT_EQ(row.customer.name, "Société Générale");
  EXPECT_EQ(row.customer.postal_code, "01000");
  EXPECT_EQ(row.customer.country, "FR");
  EXPECT_EQ(row.customer.external_id, "00123");
  ImportRow bad = Parse({"Raison sociale", "Pays"}, {"Acme", "Atlantis"});
  ASSERT_EQ(bad.problems.size(), 1u);
  EXPECT_EQ(bad.problems[0].column, "Pays");
}

TEST(ImportRow, ARowNamingNoCustomerIsRejected) {
  ImportRow row = Parse({"Raison sociale", "Identifiant client", "Ville"}, {"", "", "Lyon"});
  ASSERT_EQ(row.problems.size(), 1u);
  EXPECT_NE(row.problems[0].reason.find("names no customer"), std::string::npos);
}

// The domain's own limits apply to imported values too.
TEST(ImportRow, DomainValidationNamesTheColumn) {
  ImportRow row = Parse({"Raison sociale", "Code postal"}, {"Acme", std::string(100, '9')});
  ASSERT_EQ(row.problems.size(), 1u);
  EXPECT_EQ(row.problems[0].column, "Code postal");
  EXPECT_NE(row.problems[0].reason.find("longer than"), std::string::npos);
}

// A reused parser compares each customer value with the row before's to
// know what changed: a value of the same length that differs in one byte,
// wherever that byte is, must still replace the old one.
TEST(ImportRow, AValueDifferingInOneByteFromTheRowBeforeReplacesIt) {
  ColumnMapping m = ProposeMapping(std::vector<std::string>{"Raison sociale", "E-mail"});
  RowParser parser(m);
  int64_t line = 2;
  for (size_t len = 1; len <= 40; ++len) {
    const std::string base(len, 'n');
    for (size_t at = 0; at < len; ++at) {
      for (const std::string& name : {base, [&] {
                                        std::string other = base;
                                        other[at] = 'x';
                                        return other;
                                      }()}) {
        std::vector<std::string_view> cells = {name, "a@acme.fr"};
        const ImportRow& row = parser.Parse(line++, cells);
        ASSERT_EQ(row.customer.name, name) << len << " " << at;
      }
    }
  }
}

// A row is checked where its values are, not in a record: its problems must be
// exactly those the domain finds in the customer and contact records made of
// the same values (what the API would answer for them).
TEST(ImportRow, ARowGetsTheProblemsItsRecordsWouldGet) {
  const std::vector<std::string> header = {"Identifiant client", "Raison sociale", "Code postal",
                                           "Délai de paiement", "Statut",   "E-mail",
                                           "Prénom",            "Téléphone", "Poste"};
  const std::vector<std::vector<std::string>> rows = {
      {"C1", "Acme", "75001", "30", "Client", "a@acme.fr", "Anne", "01 02", "Payeur"},
      {"C2", std::string(250, 'n'), std::string(100, '9'), "5000", "Prospect", "a at acme",
       std::string(250, 'f'), std::string(70, '1'), "Acheteur"},
      {std::string(70, 'c'), "", "", "", "", "b@acme", "", "", ""},
      {"C3", "   ", "", "3650", "", "@acme.fr", "", "", ""},
  };
  for (const auto& cells : rows) {
    ImportRow row = Parse(header, cells);
    domain::Customer customer;
    customer.name = "-";  // a name is required of a new customer only: the job checks that
    row.customer.ApplyTo(customer);
    domain::Contact contact;
    row.contact.ApplyTo(contact);
    std::vector<std::string> expected;
    for (const Result<void>& r :
         {domain::ValidateCustomer(customer), domain::ValidateContactFields(contact)}) {
      if (!r.ok()) {
        for (const auto& d : r.error().details()) expected.push_back(d.message);
      }
    }
    std::vector<std::string> got;
    for (const auto& p : row.problems) got.push_back(p.reason);
    EXPECT_EQ(got, expected) << cells[0];
  }
}

// Every field and problem of a row, as text, to compare two parses.
std::string Dump(const ImportRow& r) {
  std::string out = std::to_string(r.line) + "|";
  auto opt = [&out](const std::optional<std::string>& v) { out += v ? "=" + *v + "|" : "-|"; };
  const CustomerPart& c = r.customer;
  for (const auto* v : {&c.external_id, &c.name, &c.status, &c.accounting_code, &c.vat_number,
                        &c.street, &c.postal_code, &c.city, &c.region, &c.country,
                        &c.account_manager_email, &c.dunning_plan_name, &c.group_name,
                        &c.group_external_id}) {
    opt(*v);
  }
  out += c.payment_delay_days ? std::to_string(*c.payment_delay_days) + "|" : "-|";
  for (const auto* m : {&c.smart_tags, &c.custom_fields}) {
    for (const auto& [k, v] : *m) out += k + ":" + v + ",";
    out += "|";
  }
  const ContactPart& k = r.contact;
  out += std::string(k.present ? "P" : "-") + k.email + "|";
  for (const auto* v : {&k.first_name, &k.last_name, &k.phone, &k.external_id, &k.position}) opt(*v);
  out += k.is_main ? (*k.is_main ? "1|" : "0|") : "-|";
  for (const auto& p : r.problems) out += "[" + p.column + "/" + p.value + "/" + p.reason + "]";
  return out;
}

// A RowParser reuses one row and skips re-checking a repeated customer: row
// after row, it must read exactly what a fresh parser (ParseImportRow) reads,
// whatever the previous row held (values set, changed, emptied, invalid).
TEST(ImportRow, ARowParserReadsEachRowAsParseImportRowDoes) {
  const std::vector<std::string> header = {
      "Identifiant client", "Raison sociale", "Code postal", "Pays",   "Délai de paiement",
      "Statut",             "Responsable",    "Tag: région", "E-mail", "Prénom",
      "Poste",              "Contact principal"};
  const std::string long_name(250, 'n');
  const std::vector<std::vector<std::string>> rows = {
      {"C1", "Acme", "01000", "France", "30", "Client", "Anne@Acme.FR", "Nord", "a@acme.fr",
       "Anne", "Comptabilité", "1"},
      {"C1", "Acme", "01000", "France", "30", "Client", "Anne@Acme.FR", "Nord", "b@acme.fr",
       "Bob", "Payeur", "0"},
      {"C1", "Acme", "01000", "France", "30", "Client", "Anne@Acme.FR", "", "c@acme.fr", "", "",
       ""},
      {"C2", long_name, "", "fr", "30 jours", "Client", "", "", "d@x.fr", "Dan", "Chef", "2"},
      {"C2", long_name, "", "fr", "", "", "", "", "e@x.fr", "", "", ""},
      {"C3", "Beta", "  75001 ", "Atlantis", "45.0", "Prospect", "", "Sud", "", "Eve", "", ""},
      {"C3", "Beta", "75001", "BE", "45", "Prospect", "", "Sud", "f at x", "", "", ""},
      {"", "", "", "", "", "", "", "", "", "", "", ""},
      {"C4", "Gamma", std::string(100, '9'), "DE", "5000", "", "", "", "g@x.de", "", "", ""},
      {"C4", "Gamma", std::string(100, '9'), "DE", "5000", "", "", "", "h@x.de", "", "", ""},
      {"C5"},
      {"C5", "Delta", "", "", "", "", "", "", "i@x.fr", "Ian", "Vente", "oui"},
  };
  ColumnMapping m = ProposeMapping(header);
  RowParser parser(m);
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < rows.size(); ++i) {
      std::vector<std::string_view> views(rows[i].begin(), rows[i].end());
      const int64_t line = static_cast<int64_t>(i) + 2;
      const bool validate = pass == 0 || i % 3 != 0;
      EXPECT_EQ(Dump(parser.Parse(line, views, validate)),
                Dump(ParseImportRow(line, views, m, validate)))
          << "pass " << pass << ", row " << i;
    }
  }
}

}  // namespace
}  // namespace relance::imports
