// The semantics of the customer-and-contact import (SPEC §2, R-IMP-5..13),
// run unchanged against SQLite and a real PostgreSQL server, on files the
// tests write.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "imports/customer_import.h"
#include "imports/import_test_support.h"
#include "store/external_refs.h"

namespace relance::imports {
namespace {

using domain::Contact;
using domain::Customer;

constexpr char kHeader[] =
    "Identifiant Client;Raison sociale;Nom du groupe;Identifiant du groupe;Délai de paiement;"
    "E-mail;Prénom;Nom;Poste;Contact principal\n";

class CustomerImportTest : public testing::ImportDbTest {
 protected:
  // Imports `csv` with the proposed mapping; the outcome must be a value.
  ImportOutcome Import(const std::string& csv, bool keep_valid = false, bool dry_run = false) {
    std::string path = dir_.Write("file" + std::to_string(++files_) + ".csv", csv);
    auto preview = PreviewImportFile(path, "");
    EXPECT_TRUE(preview.ok()) << preview.error().ToString();
    ImportSettings s;
    s.mapping = preview->proposed;
    s.keep_valid = keep_valid;
    s.dry_run = dry_run;
    auto out = RunCustomerImport(*ctx_, who_, path, s);
    EXPECT_TRUE(out.ok()) << out.error().ToString();
    return out.ok() ? *out : ImportOutcome{};
  }

  std::vector<Customer> Customers() { return All<Customer>("name"); }
  std::optional<Customer> CustomerNamed(const std::string& name) {
    for (auto& c : Customers()) {
      if (c.name == name) return c;
    }
    return std::nullopt;
  }
  std::vector<Contact> Contacts() { return All<Contact>("email"); }
  std::optional<Contact> ContactOf(const std::string& email) {
    for (auto& c : Contacts()) {
      if (c.email == email) return c;
    }
    return std::nullopt;
  }
  Customer Create(std::vector<services::FieldAssignment> fields) {
    services::RecordService<Customer> svc(*ctx_);
    auto c = svc.Create(who_, fields);
    EXPECT_TRUE(c.ok()) << c.error().ToString();
    return *c;
  }

  int files_ = 0;
};

// R-IMP-7, R-IMP-8, R-IMP-9, R-IMP-10: one file of customers, a group whose
// row comes after its subsidiary, contacts naming their customer by name.
TEST_P(CustomerImportTest, ImportsCustomersGroupsAndContacts) {
  auto out = Import(std::string(kHeader) +
                    "C2;Durand Lyon;Groupe Durand;;45;lyon@durand.fr;Julie;Bernard;Payeur;1\n"
                    "C1;Groupe Durand;;;30;compta@durand.fr;Anne;Martin;Comptabilité;1\n"
                    ";Groupe Durand;;;;achats@durand.fr;Marc;Petit;Acheteur;0\n"
                    "C3;Solo;;C1;;;;;;\n");
  EXPECT_TRUE(out.succeeded);
  EXPECT_EQ(out.counts.rows_total, 4);
  EXPECT_EQ(out.counts.customers_created, 3);
  EXPECT_EQ(out.counts.contacts_created, 3);
  EXPECT_EQ(out.counts.groups_linked, 2);
  auto group = CustomerNamed("Groupe Durand");
  auto lyon = CustomerNamed("Durand Lyon");
  auto solo = CustomerNamed("Solo");
  ASSERT_TRUE(group && lyon && solo);
  EXPECT_EQ(group->external_id, "C1");
  EXPECT_EQ(group->payment_delay_days, 30);
  EXPECT_EQ(lyon->parent_id, group->meta.id);  // by group name, row order reversed
  EXPECT_EQ(solo->parent_id, group->meta.id);  // by group id
  auto marc = ContactOf("achats@durand.fr");
  ASSERT_TRUE(marc);
  EXPECT_EQ(marc->customer_id, group->meta.id);  // named by its customer's name only
  EXPECT_EQ(marc->position, "PURCHASER");
  EXPECT_FALSE(marc->is_main);
  EXPECT_TRUE(ContactOf("compta@durand.fr")->is_main);
  EXPECT_EQ(ContactOf("compta@durand.fr")->position, "ACCOUNTING");
}

// R-IMP-11 and "a re-run changes nothing".
TEST_P(CustomerImportTest, UpsertsAndARerunChangesNothing) {
  Customer stored = Create({{"name", std::string("Vieux Nom")}, {"external_id", std::string("C1")},
                            {"city", std::string("Nantes")}});
  Customer by_name = Create({{"name", std::string("Sans Code")}});
  std::string csv = std::string(kHeader) +
                    "C1;Nouveau Nom;;;60;anne@x.fr;Anne;;;\n"
                    ";Sans Code;;;15;;;;;\n"
                    "C9;Nouveau;;;;bob@x.fr;Bob;;;\n";
  auto first = Import(csv);
  EXPECT_TRUE(first.succeeded);
  EXPECT_EQ(first.counts.customers_created, 1);
  EXPECT_EQ(first.counts.customers_updated, 2);
  EXPECT_EQ(first.counts.contacts_created, 2);
  auto c1 = CustomerNamed("Nouveau Nom");
  ASSERT_TRUE(c1);
  EXPECT_EQ(c1->meta.id, stored.meta.id);  // by external id
  EXPECT_EQ(c1->city, "Nantes");           // an empty cell never erases
  EXPECT_EQ(c1->payment_delay_days, 60);
  EXPECT_EQ(CustomerNamed("Sans Code")->meta.id, by_name.meta.id);  // by name
  EXPECT_EQ(CustomerNamed("Sans Code")->payment_delay_days, 15);

  auto versions = [&] {
    std::vector<int64_t> v;
    for (const auto& c : Customers()) v.push_back(c.meta.version);
    for (const auto& c : Contacts()) v.push_back(c.meta.version);
    return v;
  };
  auto before = versions();
  auto again = Import(csv);
  EXPECT_TRUE(again.succeeded);
  EXPECT_EQ(again.counts.customers_created + again.counts.customers_updated, 0);
  EXPECT_EQ(again.counts.contacts_created + again.counts.contacts_updated, 0);
  EXPECT_EQ(versions(), before);

  // A contact is matched by e-mail, and moves to the customer of its row.
  auto moved = Import(std::string(kHeader) + "C9;Nouveau;;;;ANNE@x.fr;Annie;;;\n");
  EXPECT_EQ(moved.counts.contacts_updated, 1);
  EXPECT_EQ(ContactOf("anne@x.fr")->customer_id, CustomerNamed("Nouveau")->meta.id);
  EXPECT_EQ(ContactOf("anne@x.fr")->first_name, "Annie");
  EXPECT_EQ(Contacts().size(), 2u);
}

// R-IMP-10: several "1" for one customer: the last one wins, also over the
// stored main contact.
TEST_P(CustomerImportTest, LastMainContactWins) {
  Import(std::string(kHeader) + "C1;Acme;;;;old@acme.fr;;;;1\n");
  ASSERT_TRUE(ContactOf("old@acme.fr")->is_main);
  auto out = Import(std::string(kHeader) +
                    "C1;Acme;;;;a@acme.fr;;;;1\n"
                    "C1;Acme;;;;b@acme.fr;;;;1\n"
                    "C1;Acme;;;;c@acme.fr;;;;\n");
  EXPECT_TRUE(out.succeeded);
  EXPECT_FALSE(ContactOf("old@acme.fr")->is_main);
  EXPECT_FALSE(ContactOf("a@acme.fr")->is_main);
  EXPECT_TRUE(ContactOf("b@acme.fr")->is_main);
  EXPECT_FALSE(ContactOf("c@acme.fr")->is_main);
}

// R-IMP-12, R-IMP-13: one bad row and nothing is written; the report names
// line, column, value and reason.
TEST_P(CustomerImportTest, OneBadRowAndNothingIsWritten) {
  auto out = Import(std::string(kHeader) +
                    "C1;Acme;;;30;a@acme.fr;;;;1\n"
                    "C2;\"Beta\nSAS\";;;30 jours;b@beta.fr;;;Directeur;\n"
                    "C3;Gamma;;;;;Zoé;;;\n");
  EXPECT_FALSE(out.succeeded);
  EXPECT_EQ(out.counts.rows_total, 3);
  EXPECT_EQ(out.counts.rows_rejected, 2);
  EXPECT_EQ(out.counts.customers_created, 0);
  EXPECT_TRUE(Customers().empty());
  EXPECT_TRUE(Contacts().empty());
  ASSERT_EQ(out.rejections.size(), 3u);
  EXPECT_EQ(out.rejections[0].line, 3);  // the header is line 1
  EXPECT_EQ(out.rejections[0].column, "Délai de paiement");
  EXPECT_EQ(out.rejections[0].value, "30 jours");
  EXPECT_EQ(out.rejections[1].line, 3);
  EXPECT_EQ(out.rejections[1].column, "Poste");
  // The quoted line break of line 3 moves the next record to line 5.
  EXPECT_EQ(out.rejections[2].line, 5);
  EXPECT_EQ(out.rejections[2].column, "E-mail");
}

// R-IMP-13: with keep_valid the valid rows are written.
TEST_P(CustomerImportTest, KeepValidWritesTheValidRows) {
  auto out = Import(std::string(kHeader) +
                        "C1;Acme;;;30;a@acme.fr;;;;1\n"
                        "C2;Beta;;;abc;b@beta.fr;;;;\n",
                    /*keep_valid=*/true);
  EXPECT_TRUE(out.succeeded);
  EXPECT_EQ(out.counts.rows_rejected, 1);
  EXPECT_EQ(out.counts.customers_created, 1);
  EXPECT_TRUE(CustomerNamed("Acme"));
  EXPECT_FALSE(CustomerNamed("Beta"));  // never half-written
  EXPECT_FALSE(ContactOf("b@beta.fr"));
}

// R-IMP-2: a line with the wrong number of fields is reported by number.
TEST_P(CustomerImportTest, WrongFieldCountIsReportedByLine) {
  auto out = Import("Raison sociale;Ville\nAcme;Lyon\nBeta;Paris;extra\n");
  EXPECT_FALSE(out.succeeded);
  ASSERT_EQ(out.rejections.size(), 1u);
  EXPECT_EQ(out.rejections[0].line, 3);
  EXPECT_NE(out.rejections[0].reason.find("3"), std::string::npos);
}

// R-IMP-7 and R-CORE-3: unknown groups and cycles are refused, with the
// subsidiary's whole data.
TEST_P(CustomerImportTest, UnknownGroupsAndCyclesAreRejected) {
  auto out = Import(std::string(kHeader) +
                        "C1;Alpha;;C2;;a@alpha.fr;;;;\n"
                        "C2;Beta;;C1;;;;;;\n"
                        "C3;Gamma;Nulle Part;;;;;;;\n"
                        "C4;Delta;;;;d@delta.fr;;;;\n"
                        "C4;Delta;;;;d2@delta.fr;;;;\n",
                    /*keep_valid=*/true);
  EXPECT_TRUE(out.succeeded);
  ASSERT_TRUE(CustomerNamed("Delta"));
  EXPECT_FALSE(CustomerNamed("Alpha"));
  EXPECT_FALSE(CustomerNamed("Beta"));
  EXPECT_FALSE(CustomerNamed("Gamma"));
  EXPECT_FALSE(ContactOf("a@alpha.fr"));
  std::string reasons;
  for (const auto& r : out.rejections) reasons += std::to_string(r.line) + ": " + r.reason + "\n";
  EXPECT_NE(reasons.find("own ancestor"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("no customer is named \"Nulle Part\""), std::string::npos) << reasons;
  EXPECT_EQ(out.counts.rows_rejected, 3);
}

// R-IMP-5: a name shared by two customers needs the external id.
TEST_P(CustomerImportTest, AnAmbiguousNameIsRejected) {
  Create({{"name", std::string("Dupont")}, {"external_id", std::string("D1")}});
  Create({{"name", std::string("Dupont")}, {"external_id", std::string("D2")}});
  auto out = Import(std::string(kHeader) + ";Dupont;;;;x@dupont.fr;;;;\nD2;Dupont;;;;y@dupont.fr;;;;\n");
  EXPECT_FALSE(out.succeeded);
  ASSERT_EQ(out.rejections.size(), 1u);
  EXPECT_EQ(out.rejections[0].line, 2);
  EXPECT_EQ(out.rejections[0].column, "Raison sociale");
  EXPECT_NE(out.rejections[0].reason.find("2 customers are named \"Dupont\""), std::string::npos);
}

// A new customer named by its external id alone has no name.
TEST_P(CustomerImportTest, ANewCustomerNeedsAName) {
  auto out = Import(std::string(kHeader) + "C7;;;;;z@z.fr;;;;\n");
  EXPECT_FALSE(out.succeeded);
  ASSERT_EQ(out.rejections.size(), 1u);
  EXPECT_EQ(out.rejections[0].column, "Identifiant Client");
  EXPECT_NE(out.rejections[0].reason.find("has no name"), std::string::npos);
}

// Account manager by user e-mail, dunning plan by name; unknown ones are
// reported, never created.
TEST_P(CustomerImportTest, AccountManagerAndDunningPlanByName) {
  services::RecordService<domain::DunningPlan> plans(*ctx_);
  auto plan = plans.Create(who_, {{"name", std::string("Standard")}});
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  std::string header = "Raison sociale;Responsable du compte;Plan de relance\n";
  auto out = Import(header + "Acme;admin@ACME.test;Standard\n");
  EXPECT_TRUE(out.succeeded);
  EXPECT_EQ(CustomerNamed("Acme")->account_manager_id, who_.user_id);
  EXPECT_EQ(CustomerNamed("Acme")->dunning_plan_id, plan->meta.id);

  auto bad = Import(header + "Beta;nobody@acme.test;Premium\n");
  EXPECT_FALSE(bad.succeeded);
  ASSERT_EQ(bad.rejections.size(), 2u);
  EXPECT_EQ(bad.rejections[0].column, "Responsable du compte");
  EXPECT_EQ(bad.rejections[1].column, "Plan de relance");
  EXPECT_NE(bad.rejections[1].reason.find("create it first"), std::string::npos);
  EXPECT_FALSE(CustomerNamed("Beta"));
  EXPECT_EQ(plans.List(who_, {}).value().items.size(), 1u);
}

// R-SELLSY-8 through imports: a field a connector owns is not overwritten.
TEST_P(CustomerImportTest, FieldsOwnedByAConnectorAreNotOverwritten) {
  Customer synced = Create({{"name", std::string("Synced")}, {"external_id", std::string("S1")},
                            {"payment_delay_days", int64_t{30}}});
  {
    auto conn = test_db_->db().Acquire();
    domain::ExternalRef ref{"customer", synced.meta.id, "sellsy", "42", {}, {}, {},
                            {"payment_delay_days"}};
    ASSERT_TRUE(store::UpsertExternalRef(**conn, who_.org_id, ref).ok());
  }
  auto out = Import(std::string(kHeader) + "S1;Synced;;;60;;;;;\nN1;Other;;;10;;;;;\n");
  EXPECT_FALSE(out.succeeded);
  ASSERT_EQ(out.rejections.size(), 1u);
  EXPECT_EQ(out.rejections[0].line, 2);
  EXPECT_EQ(out.rejections[0].column, "Délai de paiement");
  EXPECT_NE(out.rejections[0].reason.find("sellsy"), std::string::npos);
  EXPECT_EQ(CustomerNamed("Synced")->payment_delay_days, 30);
  EXPECT_FALSE(CustomerNamed("Other"));  // all or nothing: rolled back
  // The same value is no change, and is accepted.
  EXPECT_TRUE(Import(std::string(kHeader) + "S1;Synced;;;30;;;;;\n").succeeded);
}

TEST_P(CustomerImportTest, DryRunCountsAndWritesNothing) {
  auto out = Import(std::string(kHeader) + "C1;Acme;;;;a@acme.fr;;;;1\n", false, /*dry_run=*/true);
  EXPECT_TRUE(out.succeeded);
  EXPECT_EQ(out.counts.customers_created, 1);
  EXPECT_EQ(out.counts.contacts_created, 1);
  EXPECT_TRUE(Customers().empty());
  EXPECT_TRUE(Contacts().empty());
}

// R-IMP-1: spreadsheets go through the same import; codes stay text.
TEST_P(CustomerImportTest, ImportsAnXlsxWorkbook) {
  std::string sheet = testing::SheetXml(
      "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>Identifiant Client</t></is></c>"
      "<c r=\"B1\" t=\"inlineStr\"><is><t>Raison sociale</t></is></c>"
      "<c r=\"C1\" t=\"inlineStr\"><is><t>Délai de paiement</t></is></c></row>"
      "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>00123</t></is></c>"
      "<c r=\"B2\" t=\"inlineStr\"><is><t>Société Xlsx</t></is></c>"
      "<c r=\"C2\"><v>45</v></c></row>");
  std::string path = dir_.Write("clients.xlsx", testing::BuildXlsx({{"Clients", sheet}}));
  auto preview = PreviewImportFile(path, "");
  ASSERT_TRUE(preview.ok()) << preview.error().ToString();
  EXPECT_EQ(preview->format.format, FileFormat::kXlsx);
  ImportSettings s;
  s.mapping = preview->proposed;
  auto out = RunCustomerImport(*ctx_, who_, path, s);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_TRUE(out->succeeded);
  auto c = CustomerNamed("Société Xlsx");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->external_id, "00123");
  EXPECT_EQ(c->payment_delay_days, 45);
}

// R-IMP-3 and bad files: refused as a whole, with what to do.
TEST_P(CustomerImportTest, AFileThatIsNotATableIsRefused) {
  std::string title = dir_.Write("title.csv", "Liste des clients 2026\n\nRaison sociale;Ville\nAcme;Lyon\n");
  auto p = PreviewImportFile(title, "");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code(), ErrorCode::kInvalidArgument);

  std::string csv = dir_.Write("ok.csv", "Raison sociale;Ville\nAcme;Lyon\n");
  auto preview = PreviewImportFile(csv, "");
  ASSERT_TRUE(preview.ok());
  ImportSettings s;
  s.mapping = preview->proposed;
  // The file changed since its mapping was made.
  dir_.Write("ok.csv", "Nom;Ville\nAcme;Lyon\n");
  auto out = RunCustomerImport(*ctx_, who_, csv, s);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message().find("header"), std::string::npos);
  EXPECT_TRUE(Customers().empty());
}

TEST_P(CustomerImportTest, AReadOnlyUserCannotImport) {
  services::Principal reader = who_;
  reader.role = "READ_ONLY";
  std::string path = dir_.Write("r.csv", "Raison sociale\nAcme\n");
  ImportSettings s;
  s.mapping = PreviewImportFile(path, "")->proposed;
  auto out = RunCustomerImport(*ctx_, reader, path, s);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), ErrorCode::kPermissionDenied);
}

// An organization with no customers is imported into without looking rows up
// in the store; one with records takes the upsert path (R-IMP-11). Both
// must end with the same customers, groups and contacts.
TEST_P(CustomerImportTest, AnEmptyAndAPopulatedOrganizationGetTheSameRecords) {
  const std::string csv = std::string(kHeader) +
                          "C2;Filiale;Groupe;;45;f1@x.fr;Fanny;Roux;Payeur;1\n"
                          "C2;Filiale;Groupe;;45;f2@x.fr;Fred;Roux;;1\n"
                          "C1;Groupe;;;30;g1@x.fr;Gil;Blanc;Comptabilité;0\n"
                          ";Groupe;;;;g2@x.fr;Guy;Noir;Acheteur;1\n"
                          "C3;Autre filiale;;C1;;g1@x.fr;Gil;Blanc;Commercial;\n"
                          "C4;Seul;;;;;;;;\n";
  // What the organization holds, by keys a second organization shares.
  auto snapshot = [&](const std::string& skip_name) {
    std::vector<std::string> lines;
    std::map<std::string, std::string> ext_of;
    auto customers = Customers();
    for (const auto& c : customers) ext_of[c.meta.id] = c.external_id.value_or(c.name);
    for (const auto& c : customers) {
      if (ext_of[c.meta.id] == skip_name) continue;
      lines.push_back("customer " + c.external_id.value_or("-") + " " + c.name + " " +
                      std::to_string(c.payment_delay_days.value_or(-1)) + " parent " +
                      (c.parent_id ? ext_of[*c.parent_id] : "-") + " v" +
                      std::to_string(c.meta.version));
    }
    for (const auto& k : Contacts()) {
      if (ext_of[k.customer_id] == skip_name) continue;
      lines.push_back("contact " + k.email + " of " + ext_of[k.customer_id] + " " +
                      k.first_name.value_or("-") + " " + k.position.value_or("-") +
                      (k.is_main ? " main" : "") + " v" + std::to_string(k.meta.version));
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  auto into_empty = Import(csv);
  ASSERT_TRUE(into_empty.succeeded);
  const auto expected = snapshot("");
  ASSERT_EQ(expected.size(), 4u + 4u);  // f1, f2, g1 and g2 (g1 moved to C3)

  who_ = NewOrganization("Beta", "Admin@beta.test");
  ASSERT_FALSE(who_.org_id.empty());
  Customer other = Create({{"name", std::string("Déjà là")}, {"external_id", std::string("Z9")}});
  services::RecordService<Contact> contacts(*ctx_);
  ASSERT_TRUE(contacts
                  .Create(who_, {{"customer_id", other.meta.id},
                                 {"email", std::string("deja@x.fr")},
                                 {"is_main", true}})
                  .ok());
  auto into_populated = Import(csv);
  ASSERT_TRUE(into_populated.succeeded);
  EXPECT_EQ(snapshot("Z9"), expected);
  EXPECT_EQ(into_populated.counts.customers_created, into_empty.counts.customers_created);
  EXPECT_EQ(into_populated.counts.contacts_created, into_empty.counts.contacts_created);
  EXPECT_EQ(into_populated.counts.contacts_updated, into_empty.counts.contacts_updated);
  EXPECT_EQ(into_populated.counts.groups_linked, into_empty.counts.groups_linked);
  EXPECT_TRUE(ContactOf("deja@x.fr")->is_main);  // another customer's main contact stays
}

INSTANTIATE_TEST_SUITE_P(Backends, CustomerImportTest, ::testing::Values("sqlite", "postgres"),
                         test::BackendName());

}  // namespace
}  // namespace relance::imports
