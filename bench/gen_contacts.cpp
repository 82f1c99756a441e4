// gen_contacts: writes the CSV file of the bulk-import benchmark
// (bench/import.sh): one row per contact, the customer's columns repeated on
// each of its contact rows, as a French customer would export it from a
// spreadsheet: UTF-8 with BOM, ';' separator, CRLF line ends, French header.
//
//   gen_contacts --rows 1000000 --out FILE.csv [--seed 1]
//
// Exactly --rows contact rows, for about rows / 2 customers (1 to 3 contacts
// each, consecutive). The content exercises what the import must handle:
// accents, names with ';' or '"' (quoted per RFC 4180), a few addresses with
// a quoted line break, postal codes with a leading zero, empty optional
// fields, French position labels, one main contact per customer, and
// subsidiaries (every tenth customer) naming their group by name and id,
// the group's rows sometimes coming after the subsidiary's.
//
// Deterministic: the same --rows and --seed give the same bytes. Prints the
// row count, customer count and size on stderr. Exit 0 on success, 1 when
// the file cannot be written, 64 on bad usage.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "core/prng.h"

namespace relance::bench {
namespace {


constexpr std::string_view kHeader =
    "Identifiant Client;Raison sociale;Code comptable;Numéro de TVA;Adresse;Code postal;Ville;"
    "Pays;Délai de paiement;Nom du groupe;Identifiant du groupe;E-mail;Prénom;Nom;Téléphone;"
    "Poste;Contact principal";
constexpr std::string_view kBom = "\xEF\xBB\xBF";

constexpr std::array<std::string_view, 12> kCompanyKinds = {
    "Société",  "Établissements", "Groupe",      "Cabinet", "Boulangerie", "Menuiserie",
    "Transports", "Laboratoires", "Garage", "Imprimerie", "Hôtel", "Pâtisserie"};
constexpr std::array<std::string_view, 12> kCompanyNames = {
    "Générale des Eaux", "Lefèvre",        "Durand & Fils",      "du Léman",
    "Bérard Frères",     "de l'Océan",     "Côte d'Azur",        "des Trois Forêts",
    "Mécanique Générale", "Électricité Moderne", "Saint-Éloi",   "Fréquence Plus"};
constexpr std::array<std::string_view, 5> kLegalForms = {"", " SARL", " SAS", " SA", " EURL"};
constexpr std::array<std::string_view, 8> kStreetKinds = {
    "rue", "avenue", "boulevard", "place", "chemin", "allée", "impasse", "quai"};
constexpr std::array<std::string_view, 10> kStreetNames = {
    "de l'Église", "Jean-Jaurès", "Victor-Hugo", "de la République", "des Lilas",
    "du Général-de-Gaulle", "Pasteur", "des Écoles", "Émile-Zola", "du Château"};
constexpr std::array<std::string_view, 5> kBuildings = {
    "Bâtiment A", "Bâtiment C", "Zone d'activité des Épinettes", "Résidence Le Clos", "BP 42"};
constexpr std::array<std::string_view, 14> kFrenchCities = {
    "Paris",  "Lyon",      "Marseille",     "Besançon",        "Orléans",
    "Nîmes",  "Saint-Étienne", "Béziers",   "Angoulême",       "Évry-Courcouronnes",
    "Clermont-Ferrand", "Aix-en-Provence", "Bourg-en-Bresse", "Châlons-en-Champagne"};
constexpr std::array<std::string_view, 4> kBelgianCities = {"Liège", "Bruxelles", "Namur",
                                                            "Mons"};
constexpr std::array<std::string_view, 4> kSwissCities = {"Genève", "Lausanne", "Neuchâtel",
                                                          "Fribourg"};

// A name as written in the file and its ASCII form for e-mail addresses.
struct Name {
  std::string_view text;
  std::string_view ascii;
};
constexpr std::array<Name, 16> kFirstNames = {{{"Hélène", "helene"},
                                               {"François", "francois"},
                                               {"Jérôme", "jerome"},
                                               {"Chloé", "chloe"},
                                               {"Loïc", "loic"},
                                               {"Anaïs", "anais"},
                                               {"Benoît", "benoit"},
                                               {"Cécile", "cecile"},
                                               {"Gaëlle", "gaelle"},
                                               {"Émilie", "emilie"},
                                               {"Noël", "noel"},
                                               {"Jean-Luc", "jean-luc"},
                                               {"Marie", "marie"},
                                               {"Pierre", "pierre"},
                                               {"Sophie", "sophie"},
                                               {"Thomas", "thomas"}}};
constexpr std::array<Name, 14> kLastNames = {{{"Lefèvre", "lefevre"},
                                              {"Bérard", "berard"},
                                              {"Dupont", "dupont"},
                                              {"Moreau", "moreau"},
                                              {"Girard", "girard"},
                                              {"Rousseau", "rousseau"},
                                              {"Lemaître", "lemaitre"},
                                              {"Gauthier", "gauthier"},
                                              {"Perrin", "perrin"},
                                              {"Chevalier", "chevalier"},
                                              {"Dubœuf", "duboeuf"},
                                              {"Le Goff", "legoff"},
                                              {"D'Almeida", "dalmeida"},
                                              {"Faure", "faure"}}};

// `value` in decimal, left-padded with zeros to `width` digits.
std::string Padded(uint64_t value, int width) {
  std::string digits = std::to_string(value);
  if (static_cast<int>(digits.size()) < width) digits.insert(0, width - digits.size(), '0');
  return digits;
}

// "01 23 45 67 89" after `prefix` ("0" in France, "+32 " in Belgium, ...).
std::string PhoneNumber(Prng& rng, std::string_view prefix) {
  std::string phone(prefix);
  phone += std::to_string(rng.Between(1, 9));
  for (int pair = 0; pair < 4; ++pair) {
    phone += ' ';
    phone += Padded(rng.Between(0, 99), 2);
  }
  return phone;
}

struct Customer {
  int contact_count = 1;  // before truncation to the rows left
  std::string external_id, name, accounting_code, vat_number, street, postal_code, city, country,
      payment_delay, group_name, group_id;
  std::string phone_prefix;  // of the customer's country, for its contacts
};

// Builds every customer from its index alone, on a PRNG stream of its own:
// a subsidiary names a group whose rows the file may only write later, so
// the group must be rebuilt without generating the rows in between.
class CustomerFactory {
 public:
  explicit CustomerFactory(uint64_t seed) : seed_(seed) {}

  // The customer's stream. Its first draw is the contact count (see
  // ContactCount), so the number of customers in a file can be known
  // before any of them is built.
  Prng StreamOf(int64_t index) const {
    return Prng(seed_ * 0xD1B54A32D192ED03ull + static_cast<uint64_t>(index));
  }
  static int ContactCount(Prng& stream) { return static_cast<int>(stream.Between(1, 3)); }

  // Counts the customers that `rows` contact rows hold.
  int64_t CustomersFor(int64_t rows) const {
    int64_t customers = 0;
    for (int64_t left = rows; left > 0; ++customers) {
      Prng stream = StreamOf(customers);
      left -= ContactCount(stream);
    }
    return customers;
  }

  static bool IsSubsidiary(int64_t index) { return index % 10 == 9; }

  // Returns the customer and its stream, positioned for drawing its contacts.
  std::pair<Customer, Prng> Make(int64_t index, int64_t customer_count) const {
    Prng rng = StreamOf(index);
    Customer c;
    c.contact_count = ContactCount(rng);
    const uint64_t number = static_cast<uint64_t>(index) + 1;
    c.external_id = "C" + Padded(number, 7);
    c.name = CompanyName(rng, number);
    if (!rng.Percent(10)) c.accounting_code = "411" + Padded(number, 7);
    FillAddress(rng, c);
    if (!rng.Percent(20)) c.vat_number = VatNumber(rng, c.country);
    const int64_t delay_pick = rng.Between(0, 99);
    if (delay_pick < 40) {
      c.payment_delay = "30";
    } else if (delay_pick < 60) {
      c.payment_delay = "45";
    } else if (delay_pick < 75) {
      c.payment_delay = "60";
    }  // else empty: the organization's default applies
    if (IsSubsidiary(index)) {
      const int64_t parent = ParentOf(index, rng, customer_count);
      Customer group = Make(parent, customer_count).first;
      c.group_name = std::move(group.name);
      c.group_id = std::move(group.external_id);
    }
    return {std::move(c), rng};
  }

 private:
  static std::string CompanyName(Prng& rng, uint64_t number) {
    const std::string n = std::to_string(number);
    const int64_t form = rng.Between(0, 99);
    // A few names hold the separator or quotes: the file must quote them.
    if (form < 2) {
      return std::string(rng.Pick(kLastNames).text) + "; " + std::string(rng.Pick(kLastNames).text) +
             " et Associés " + n;
    }
    if (form < 4) {
      return std::string(rng.Pick(kCompanyKinds)) + " \"" + std::string(rng.Pick(kCompanyNames)) +
             "\" " + n;
    }
    return std::string(rng.Pick(kCompanyKinds)) + " " + std::string(rng.Pick(kCompanyNames)) + " " +
           n + std::string(rng.Pick(kLegalForms));
  }

  static void FillAddress(Prng& rng, Customer& c) {
    std::string street = std::to_string(rng.Between(1, 250)) + " " +
                         std::string(rng.Pick(kStreetKinds)) + " " +
                         std::string(rng.Pick(kStreetNames));
    // About 1 % on two lines: a quoted line break inside the field.
    if (rng.Percent(1)) street = std::string(rng.Pick(kBuildings)) + "\n" + street;
    c.street = std::move(street);

    const int64_t country_pick = rng.Between(0, 99);
    if (country_pick < 2) {
      c.country = "BE";
      c.city = rng.Pick(kBelgianCities);
      c.postal_code = std::to_string(rng.Between(1000, 9999));
      c.phone_prefix = "+32 ";
    } else if (country_pick < 4) {
      c.country = "CH";
      c.city = rng.Pick(kSwissCities);
      c.postal_code = std::to_string(rng.Between(1000, 9699));
      c.phone_prefix = "+41 ";
    } else {
      c.country = "FR";
      c.city = rng.Pick(kFrenchCities);
      // Department then office: departments 01 to 09 keep their leading zero.
      c.postal_code = Padded(rng.Between(1, 95), 2) + Padded(rng.Between(0, 99) * 10, 3);
      c.phone_prefix = "0";
    }
  }

  static std::string VatNumber(Prng& rng, const std::string& country) {
    const std::string siren = Padded(rng.Between(100'000'000, 999'999'999), 9);
    if (country == "BE") return "BE0" + siren;
    if (country == "CH") {
      return "CHE-" + siren.substr(0, 3) + "." + siren.substr(3, 3) + "." + siren.substr(6) + " TVA";
    }
    return "FR" + Padded(rng.Between(0, 99), 2) + siren;
  }

  // The group of subsidiary `index`: a customer that is not a subsidiary
  // itself, up to 2,000 customers away, after the subsidiary in 40 % of
  // cases (R-IMP-7: the link is made whatever the order of the rows).
  static int64_t ParentOf(int64_t index, Prng& rng, int64_t customer_count) {
    const int64_t distance = rng.Between(1, 2000);
    int64_t parent = rng.Percent(40) ? index + distance : index - distance;
    parent = std::clamp<int64_t>(parent, 0, customer_count - 1);
    // Subsidiaries are the indexes ending in 9, so the one before is a group
    // (and exists: the first subsidiary is index 9). This also moves a
    // clamped parent off the subsidiary itself.
    if (IsSubsidiary(parent)) --parent;
    return parent;
  }

  uint64_t seed_;
};

// RFC 4180 writer: a field is quoted only when it holds the separator, a
// quote or a line break, as spreadsheet exports do.
class CsvWriter {
 public:
  explicit CsvWriter(std::FILE* file) : file_(file) { buffer_.reserve(kFlushBytes + 4096); }

  void Raw(std::string_view text) { buffer_ += text; }
  void Field(std::string_view value) {
    if (!first_in_row_) buffer_ += ';';
    first_in_row_ = false;
    if (value.find_first_of(";\"\r\n") == std::string_view::npos) {
      buffer_ += value;
      return;
    }
    buffer_ += '"';
    for (char ch : value) {
      if (ch == '"') buffer_ += '"';
      buffer_ += ch;
    }
    buffer_ += '"';
  }
  void EndRow() {
    buffer_ += "\r\n";
    first_in_row_ = true;
    if (buffer_.size() >= kFlushBytes) Flush();
  }
  // False when a write failed (disk full, ...).
  bool Flush() {
    written_ += buffer_.size();
    ok_ = ok_ && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) == buffer_.size();
    buffer_.clear();
    return ok_;
  }
  uint64_t bytes_written() const { return written_; }

 private:
  static constexpr size_t kFlushBytes = 1 << 20;
  std::FILE* file_;
  std::string buffer_;
  bool first_in_row_ = true;
  bool ok_ = true;
  uint64_t written_ = 0;
};

// Labels as a French customer writes them (R-IMP-9 accepts them); empty
// sometimes, since the position is optional.
std::string_view PositionLabel(Prng& rng) {
  const int64_t pick = rng.Between(0, 99);
  if (pick < 30) return "Comptabilité";
  if (pick < 50) return "Commercial";
  if (pick < 65) return "Acheteur";
  if (pick < 85) return "Payeur";
  return "";
}

void WriteCustomerColumns(CsvWriter& out, const Customer& c) {
  for (const std::string* field :
       {&c.external_id, &c.name, &c.accounting_code, &c.vat_number, &c.street, &c.postal_code,
        &c.city, &c.country, &c.payment_delay, &c.group_name, &c.group_id}) {
    out.Field(*field);
  }
}

struct Options {
  int64_t rows = 1'000'000;
  std::string out;
  uint64_t seed = 1;
};

int Generate(const Options& o) {
  const auto start = std::chrono::steady_clock::now();
  std::FILE* file = std::fopen(o.out.c_str(), "wb");
  if (file == nullptr) {
    std::perror(("gen_contacts: " + o.out).c_str());
    return 1;
  }
  const CustomerFactory factory(o.seed);
  const int64_t customer_count = factory.CustomersFor(o.rows);
  CsvWriter out(file);
  out.Raw(kBom);
  out.Raw(kHeader);
  out.EndRow();

  int64_t row = 0;  // contact rows written; numbers the e-mail addresses
  for (int64_t index = 0; index < customer_count; ++index) {
    auto [customer, rng] = factory.Make(index, customer_count);
    const int contacts = static_cast<int>(std::min<int64_t>(customer.contact_count, o.rows - row));
    const int main_contact = static_cast<int>(rng.Between(0, contacts - 1));
    const std::string domain = "@client" + std::to_string(index + 1) + ".fr";
    for (int k = 0; k < contacts; ++k) {
      ++row;
      const Name& first = rng.Pick(kFirstNames);
      const Name& last = rng.Pick(kLastNames);
      WriteCustomerColumns(out, customer);
      out.Field(std::string(first.ascii) + "." + std::string(last.ascii) + "." +
                std::to_string(row) + domain);
      out.Field(first.text);
      out.Field(last.text);
      out.Field(rng.Percent(10) ? std::string() : PhoneNumber(rng, customer.phone_prefix));
      out.Field(PositionLabel(rng));
      out.Field(k == main_contact ? "1" : (rng.Percent(50) ? "0" : ""));
      out.EndRow();
    }
  }
  const bool written = out.Flush();
  if (std::fclose(file) != 0 || !written) {
    std::perror(("gen_contacts: writing " + o.out).c_str());
    return 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << "gen_contacts: wrote " << o.out << ": " << row << " rows, " << customer_count
            << " customers, " << out.bytes_written() << " bytes in " << seconds << " s\n";
  return 0;
}

}  // namespace
}  // namespace relance::bench

int main(int argc, char** argv) {
  relance::bench::Options o;
  CLI::App app("Writes the contact CSV file of bench/import.sh", "gen_contacts");
  app.add_option("--rows", o.rows, "number of contact rows")->capture_default_str();
  app.add_option("--out", o.out, "CSV file to write")->required();
  app.add_option("--seed", o.seed, "generator seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (o.rows < 1) {
    std::cerr << "gen_contacts: --rows must be at least 1\n";
    return 64;
  }
  return relance::bench::Generate(o);
}
