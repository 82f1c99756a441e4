#include "services/demo_data.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "core/prng.h"
#include "domain/entities.h"
#include "services/allocation_service.h"
#include "services/record_service.h"
#include "store/credentials.h"

namespace relance::services {
namespace {

using domain::FieldValue;
using domain::StringMap;

constexpr std::string_view kTimeZone = "Europe/Paris";
constexpr uint64_t kSeed = 20240917;


// One demo customer. Parents come before their subsidiaries.
struct DemoCustomer {
  std::string_view name;
  std::string_view domain;  // for contacts' e-mails; .test is reserved (RFC 2606)
  std::string_view city;
  std::string_view postal_code;
  std::string_view sector;
  int parent = -1;              // index of the group in kCustomers
  int payment_delay_days = 0;   // 0 = none: the organization's default applies
  bool prospect = false;
};

constexpr std::array<DemoCustomer, 40> kCustomers = {{
    {"Groupe Vallée", "groupe-vallee.test", "Lyon", "69002", "Distribution", -1, 45},
    {"Vallée Logistique", "vallee-logistique.test", "Villeurbanne", "69100", "Transport", 0},
    {"Vallée Distribution", "vallee-distribution.test", "Saint-Étienne", "42000", "Distribution", 0},
    {"Vallée Services", "vallee-services.test", "Grenoble", "38000", "Services", 0, 60},
    {"Holding Marceau", "holding-marceau.test", "Paris", "75008", "Holding", -1},
    {"Marceau Bâtiment", "marceau-batiment.test", "Nanterre", "92000", "BTP", 4, 60},
    {"Marceau Énergie", "marceau-energie.test", "Lille", "59000", "Énergie", 4},
    {"Groupe Armor Agro", "armor-agro.test", "Rennes", "35000", "Agroalimentaire", -1},
    {"Armor Conserves", "armor-conserves.test", "Quimper", "29000", "Agroalimentaire", 7, 45},
    {"Armor Laiterie", "armor-laiterie.test", "Vannes", "56000", "Agroalimentaire", 7},
    {"Boulangerie Dupain", "boulangerie-dupain.test", "Bordeaux", "33000", "Commerce"},
    {"Menuiserie Lefèvre", "menuiserie-lefevre.test", "Nantes", "44000", "Artisanat", -1, 45},
    {"Transports Garnier", "transports-garnier.test", "Marseille", "13002", "Transport"},
    {"Imprimerie du Centre", "imprimerie-centre.test", "Clermont-Ferrand", "63000", "Industrie"},
    {"Cabinet Moreau Avocats", "moreau-avocats.test", "Paris", "75006", "Services"},
    {"Garage des Quatre Routes", "garage-quatre-routes.test", "Toulouse", "31000", "Automobile"},
    {"Pharmacie Lambert", "pharmacie-lambert.test", "Strasbourg", "67000", "Santé"},
    {"Hôtel Le Belvédère", "hotel-belvedere.test", "Nice", "06000", "Hôtellerie", -1, 30},
    {"Librairie Colette", "librairie-colette.test", "Tours", "37000", "Commerce"},
    {"Clinique Vétérinaire Saint-Roch", "veto-saint-roch.test", "Montpellier", "34000", "Santé"},
    {"Brasserie Fontaine", "brasserie-fontaine.test", "Reims", "51100", "Restauration"},
    {"Atelier Mécanique Roux", "atelier-roux.test", "Dijon", "21000", "Industrie", -1, 60},
    {"Électricité Petit & Fils", "petit-et-fils.test", "Angers", "49000", "BTP"},
    {"Fromagerie Chevalier", "fromagerie-chevalier.test", "Annecy", "74000", "Agroalimentaire"},
    {"Studio Graphique Blanc", "studio-blanc.test", "Lille", "59800", "Services"},
    {"Cave Coopérative du Luberon", "cave-luberon.test", "Apt", "84400", "Agroalimentaire"},
    {"Plomberie Girard", "plomberie-girard.test", "Metz", "57000", "BTP"},
    {"Informatique Mercier", "mercier-informatique.test", "Rouen", "76000", "Services", -1, 45},
    {"Pépinières Bonnet", "pepinieres-bonnet.test", "Orléans", "45000", "Agriculture"},
    {"Agence Immobilière Faure", "immo-faure.test", "Caen", "14000", "Immobilier"},
    {"Carrosserie André", "carrosserie-andre.test", "Limoges", "87000", "Automobile"},
    {"Traiteur Rousseau", "traiteur-rousseau.test", "Le Mans", "72000", "Restauration"},
    {"Optique Vincent", "optique-vincent.test", "Brest", "29200", "Santé"},
    {"Laboratoire Muller", "labo-muller.test", "Mulhouse", "68100", "Santé", -1, 60},
    {"Scierie Fournier", "scierie-fournier.test", "Épinal", "88000", "Industrie"},
    {"Textiles Guérin", "textiles-guerin.test", "Roubaix", "59100", "Industrie"},
    {"Ambulances Boyer", "ambulances-boyer.test", "Perpignan", "66000", "Santé"},
    {"Papeterie Lemoine", "papeterie-lemoine.test", "Besançon", "25000", "Commerce"},
    {"Conseil & Formation Dumas", "dumas-formation.test", "Grenoble", "38000", "Services"},
    {"Nouvelle Vague Studio", "nouvelle-vague.test", "Biarritz", "64200", "Services", -1, 0, true},
}};

// ASCII only: they also make the local part of e-mail addresses.
constexpr std::array<std::string_view, 16> kFirstNames = {
    "Camille", "Julien", "Sophie", "Thomas", "Claire", "Nicolas", "Marie", "Antoine",
    "Pauline", "Mathieu", "Laura", "Hugo", "Chloe", "Maxime", "Ines", "Lucas"};
constexpr std::array<std::string_view, 16> kLastNames = {
    "Martin", "Bernard", "Dubois", "Durand", "Leroy", "Moreau", "Simon", "Laurent",
    "Michel", "Garcia", "Roux", "Fontaine", "Robin", "Masson", "Perrin", "Morel"};
constexpr std::array<std::string_view, 4> kPositions = {"ACCOUNTING", "SALES", "PURCHASER",
                                                        "PAYER"};

enum class Target { kNotDue, kOverdue, kPaid, kToSend, kVoid };

// How the due date is set (R-CORE-8).
enum class DueRule { kPrinted, kOnReceipt, kDefaultDelay };

struct PlannedInvoice {
  int customer = 0;
  Target target = Target::kNotDue;
  DueRule due_rule = DueRule::kPrinted;
  Date issue;
  int printed_delay = 30;
  int64_t net = 0;
  bool partial_payment = false;  // for NOT_DUE / OVERDUE: part paid, rest outstanding
  bool credited = false;         // a credit note is allocated to it
};

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

std::string Pad(int64_t n, size_t width) {
  std::string s = std::to_string(n);
  if (s.size() < width) s.insert(0, width - s.size(), '0');
  return s;
}

std::string Digits(Prng& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>('0' + rng.Between(0, 9));
  return s;
}

// Prefixes an error with what the seed was doing, keeping code and details.
template <typename T>
Result<T> Explain(Result<T> r, const std::string& what) {
  if (r.ok()) return r;
  const Error& e = r.error();
  return Error(e.code(), "demo data: " + what + ": " + e.message(), e.details());
}

class DemoSeeder {
 public:
  DemoSeeder(Context ctx, PasswordCost cost)
      : ctx_(ctx),
        auth_(ctx, cost),
        customers_(ctx),
        contacts_(ctx),
        invoices_(ctx),
        products_(ctx),
        orgs_(ctx),
        allocations_(ctx),
        rng_(kSeed) {}

  Result<DemoSeed> Run() {
    ASSIGN_OR_RETURN(today_, TodayIn(kTimeZone, ctx_.clock.Now()));
    RETURN_IF_ERROR(CreateOrganizationAndUsers());
    RETURN_IF_ERROR(CreateProducts());
    RETURN_IF_ERROR(CreateDunningPlans());
    RETURN_IF_ERROR(CreateCustomersAndContacts());
    RETURN_IF_ERROR(CreateInvoices());
    seed_.created = true;
    return seed_;
  }

 private:
  Result<void> CreateOrganizationAndUsers() {
    ASSIGN_OR_RETURN(auto org, Explain(auth_.CreateOrganization({std::string(kDemoOrganizationName),
                                                                 std::string(kTimeZone), "EUR", "fr"}),
                                       "creating the organization"));
    seed_.org_id = org.meta.id;
    // The admin first: it is the marker SeedDemoData looks for.
    struct DemoUser {
      std::string_view email, name, role;
    };
    const DemoUser users[] = {{kDemoAdminEmail, "Alice Admin", "ADMIN"},
                              {kDemoMemberEmail, "Marc Membre", "MEMBER"},
                              {kDemoReadOnlyEmail, "Lucie Lecture", "READ_ONLY"}};
    for (const auto& u : users) {
      ASSIGN_OR_RETURN(auto user,
                       Explain(auth_.CreateUser(org.meta.id, {std::string(u.email), std::string(u.name),
                                                              std::string(u.role),
                                                              std::string(kDemoPassword), "fr"}),
                               "creating user " + std::string(u.email)));
      user_ids_.push_back(user.meta.id);
      ++seed_.users;
    }
    seed_.admin_user_id = user_ids_[0];
    admin_ = Principal{org.meta.id, user_ids_[0], "ADMIN"};
    ASSIGN_OR_RETURN(auto token, Explain(auth_.CreateToken(org.meta.id, user_ids_[0], "demo"),
                                         "creating the admin's API token"));
    seed_.admin_token = token.token;
    return Ok();
  }

  // R-DUN-1: a default customer-level plan (so every demo customer follows
  // it, with its invoicing template, R-SEND-3) and an invoice-level one.
  Result<void> CreateDunningPlans() {
    RETURN_IF_ERROR(Explain(orgs_.Update(admin_, admin_.org_id,
                                         {{"email", std::string("relances@atelier-demo.fr")},
                                          {"street", std::string("12 rue des Tanneurs")},
                                          {"postal_code", std::string("69002")},
                                          {"city", std::string("Lyon")},
                                          {"country", std::string("FR")},
                                          {"holiday_calendar", std::string("FR")}}),
                            "organization address"));
    RecordService<domain::DunningPlan> plans(ctx_);
    RecordService<domain::DunningStep> steps(ctx_);
    using F = std::vector<FieldAssignment>;
    struct DemoStep {
      std::string_view kind, channel, mode, template_key;
      int64_t offset;
    };
    struct DemoPlan {
      std::string_view name, level;
      bool is_default;
      int64_t min_delay;
      std::vector<DemoStep> steps;
    };
    const DemoPlan demo[] = {
        {"Standard", "CUSTOMER", true, 5,
         {{"INVOICING", "EMAIL", "AUTOMATIC", "invoice", 0},
          {"REMINDER", "EMAIL", "AUTOMATIC", "reminder_1", -3},
          {"REMINDER", "EMAIL", "AUTOMATIC", "reminder_1", 7},
          {"REMINDER", "EMAIL", "AUTOMATIC", "reminder_2", 20},
          {"REMINDER", "CALL", "MANUAL", "", 30},
          {"REMINDER", "LETTER", "AUTOMATIC", "letter", 45}}},
        {"Grands comptes", "INVOICE", false, 7,
         {{"REMINDER", "EMAIL", "AUTOMATIC", "reminder_1", 10},
          {"REMINDER", "TASK", "MANUAL", "", 40}}},
    };
    for (const auto& p : demo) {
      ASSIGN_OR_RETURN(auto plan, Explain(plans.Create(admin_, {{"name", std::string(p.name)},
                                                                {"level", std::string(p.level)},
                                                                {"is_default", p.is_default},
                                                                {"min_delay_days", p.min_delay}}),
                                          "plan " + std::string(p.name)));
      for (const auto& st : p.steps) {
        F fields = {{"plan_id", plan.meta.id},
                    {"kind", std::string(st.kind)},
                    {"channel", std::string(st.channel)},
                    {"mode", std::string(st.mode)},
                    {"template_key", std::string(st.template_key)},
                    {"offset_days", st.offset},
                    {"owner_id", user_ids_[1]}};
        if (st.kind == "INVOICING") fields.push_back({"relative_to", std::string("ISSUE_DATE")});
        RETURN_IF_ERROR(Explain(steps.Create(admin_, fields), "a step of " + std::string(p.name)));
      }
    }
    return Ok();
  }

  Result<void> CreateProducts() {
    struct DemoProduct {
      std::string_view code, name;
      int64_t price;
      std::optional<int64_t> stock;  // nullopt: not stock-managed
      bool active;
    };
    const DemoProduct products[] = {
        {"MAINT-AN", "Contrat de maintenance annuel", 120000, std::nullopt, true},
        {"INST-J", "Journée d'installation sur site", 85000, std::nullopt, true},
        {"CAPT-T200", "Capteur de température T200", 4990, 340, true},
        {"PALETTE-EU", "Palette Europe 1200x800", 1850, 1200, true},
        {"KIT-DEM", "Kit de démarrage", 24900, 0, true},
        {"CAPT-T100", "Capteur de température T100 (remplacé par le T200)", 3990, 12, false},
    };
    for (const auto& p : products) {
      std::vector<FieldAssignment> fields = {{"code", std::string(p.code)},
                                             {"name", std::string(p.name)},
                                             {"price", p.price},
                                             {"currency", std::string("EUR")},
                                             {"active", p.active}};
      if (p.stock) fields.push_back({"stock", *p.stock});
      RETURN_IF_ERROR(Explain(products_.Create(admin_, fields), "product " + std::string(p.code)));
      ++seed_.products;
    }
    return Ok();
  }

  Result<void> CreateCustomersAndContacts() {
    int next_name = 0;  // walks the name lists so no two contacts share a name
    for (size_t i = 0; i < kCustomers.size(); ++i) {
      const DemoCustomer& d = kCustomers[i];
      const std::string label = "customer " + std::string(d.name);
      const std::string siren = Digits(rng_, 9);
      std::vector<FieldAssignment> fields = {
          {"name", std::string(d.name)},
          {"external_id", "CLI-" + Pad(static_cast<int64_t>(i) + 1, 4)},
          {"status", std::string(d.prospect ? "PROSPECT" : "CLIENT")},
          {"street", std::to_string(rng_.Between(1, 120)) + " rue " +
                         std::string(kLastNames[rng_.Between(0, kLastNames.size() - 1)])},
          {"postal_code", std::string(d.postal_code)},
          {"city", std::string(d.city)},
          {"country", std::string("FR")},
          {"account_manager_id", user_ids_[i % 2]},  // admin and member share the portfolio
          {"smart_tags", StringMap{{"secteur", std::string(d.sector)},
                                   {"segment", d.parent >= 0 || i < 10 ? "ETI" : "PME"}}},
          {"custom_fields", StringMap{{"SIREN", siren}, {"Origine", d.prospect ? "Salon" : "Historique"}}},
      };
      if (!d.prospect) {
        fields.push_back({"accounting_code", "411" + Pad(static_cast<int64_t>(i) + 1, 5)});
        fields.push_back({"vat_number", "FR" + Pad(rng_.Between(10, 99), 2) + siren});
      }
      if (d.payment_delay_days > 0) fields.push_back({"payment_delay_days", int64_t{d.payment_delay_days}});
      if (d.parent >= 0) fields.push_back({"parent_id", customer_ids_.at(d.parent)});
      ASSIGN_OR_RETURN(auto customer, Explain(customers_.Create(admin_, fields), label));
      customer_ids_.push_back(customer.meta.id);
      ++seed_.customers;

      // R-CORE-4: a customer may have no contact; every seventh has none.
      if (i % 7 == 6) continue;
      const int64_t n_contacts = rng_.Between(1, 3);
      for (int64_t k = 0; k < n_contacts; ++k) {
        std::string_view first = kFirstNames[next_name % kFirstNames.size()];
        std::string_view last = kLastNames[(next_name * 7 + 3) % kLastNames.size()];
        ++next_name;
        std::vector<FieldAssignment> contact = {
            {"customer_id", customer.meta.id},
            {"email", Lower(first) + "." + Lower(last) + "@" + std::string(d.domain)},
            {"first_name", std::string(first)},
            {"last_name", std::string(last)},
            {"phone", "+33 6 " + Digits(rng_, 2) + " " + Digits(rng_, 2) + " " + Digits(rng_, 2) +
                          " " + Digits(rng_, 2)},
            // The first contact is the main one and handles accounting.
            {"position", std::string(kPositions[k == 0 ? 0 : rng_.Between(1, 3)])},
            {"is_main", k == 0},
        };
        RETURN_IF_ERROR(Explain(contacts_.Create(admin_, contact), "contact of " + label));
        ++seed_.contacts;
      }
    }
    return Ok();
  }

  // Chooses every invoice first, so numbers can follow issue dates.
  std::vector<PlannedInvoice> PlanInvoices() {
    std::vector<PlannedInvoice> plan;
    int count = 0;
    for (size_t i = 0; i < kCustomers.size(); ++i) {
      if (kCustomers[i].prospect) continue;
      // Group parents are holdings: few invoices of their own (R-CORE-3).
      const int64_t n = kCustomers[i].parent == -1 && i < 10 ? 1 : rng_.Between(2, 6);
      for (int64_t k = 0; k < n; ++k, ++count) {
        PlannedInvoice p;
        p.customer = static_cast<int>(i);
        // The first five cover every status whatever the generator draws.
        static constexpr Target kFirst[] = {Target::kOverdue, Target::kNotDue, Target::kPaid,
                                            Target::kToSend, Target::kVoid};
        if (count < 5) {
          p.target = kFirst[count];
        } else {
          int64_t r = rng_.Between(0, 99);
          p.target = r < 35   ? Target::kOverdue
                     : r < 65 ? Target::kNotDue
                     : r < 90 ? Target::kPaid
                     : r < 95 ? Target::kToSend
                              : Target::kVoid;
        }
        int64_t d = rng_.Between(0, 99);
        p.due_rule = d < 60 ? DueRule::kPrinted : d < 80 ? DueRule::kOnReceipt : DueRule::kDefaultDelay;
        p.printed_delay = static_cast<int>(rng_.Between(1, 3) * 15);  // 15, 30 or 45 days
        // Issue dates that give the target status under every due rule: the
        // longest delay in play is 60 days (customers' and printed).
        switch (p.target) {
          case Target::kNotDue:
            if (p.due_rule == DueRule::kOnReceipt) p.due_rule = DueRule::kPrinted;
            p.issue = today_.AddDays(-rng_.Between(0, 14));
            break;
          case Target::kOverdue:
            p.issue = today_.AddDays(-rng_.Between(75, 240));
            break;
          case Target::kToSend:
            p.issue = today_.AddDays(-rng_.Between(0, 3));
            break;
          case Target::kPaid:
          case Target::kVoid:
            p.issue = today_.AddDays(-rng_.Between(20, 330));
            break;
        }
        p.net = rng_.Between(12, 1500) * 1000;  // 120.00 to 15,000.00 EUR, before tax
        p.partial_payment =
            (p.target == Target::kOverdue || p.target == Target::kNotDue) && rng_.Percent(25);
        p.credited = (p.target == Target::kPaid || p.target == Target::kOverdue) && rng_.Percent(15);
        plan.push_back(p);
      }
    }
    std::stable_sort(plan.begin(), plan.end(),
                     [](const PlannedInvoice& a, const PlannedInvoice& b) { return a.issue < b.issue; });
    return plan;
  }

  Result<domain::Invoice> CreateInvoice(const PlannedInvoice& p, const std::string& number) {
    const int64_t tax = p.net / 5;  // 20 % VAT; nets are whole euros so this is exact
    std::vector<FieldAssignment> fields = {
        {"number", number},
        {"customer_id", customer_ids_.at(p.customer)},
        {"issue_date", p.issue},
        {"currency", std::string("EUR")},
        {"net_amount", p.net},
        {"tax_amount", tax},
        {"gross_amount", p.net + tax},
        {"pdf_url", "https://files.demo.relance.test/factures/" + number + ".pdf"},
    };
    switch (p.due_rule) {
      case DueRule::kPrinted:
        fields.push_back({"printed_due_date", p.issue.AddDays(p.printed_delay)});
        break;
      case DueRule::kOnReceipt:
        fields.push_back({"payable_on_receipt", true});
        break;
      case DueRule::kDefaultDelay:
        break;
    }
    if (p.target == Target::kVoid) fields.push_back({"is_void", true});
    auto r = invoices_.Create(admin_, fields);
    if (r.ok()) ++seed_.invoices;
    return Explain(std::move(r), "invoice " + number);
  }

  // A payment dated between the invoice's issue date and today.
  Result<void> Pay(const domain::Invoice& inv, int64_t amount) {
    const int64_t days = std::max<int64_t>(0, inv.issue_date.DaysUntil(today_));
    const Date date = inv.issue_date.AddDays(rng_.Between(0, days));
    static constexpr std::string_view kMethods[] = {"TRANSFER", "TRANSFER", "CARD", "CHECK",
                                                    "DIRECT_DEBIT"};
    std::vector<FieldAssignment> payment = {
        {"customer_id", inv.customer_id},
        {"amount", amount},
        {"currency", std::string("EUR")},
        {"date", date},
        {"method", std::string(kMethods[rng_.Between(0, 4)])},
        {"reference", "REG-" + inv.number},
    };
    RETURN_IF_ERROR(Explain(allocations_.CreatePayment(admin_, payment, {{inv.meta.id, amount}}),
                            "payment of " + inv.number));
    ++seed_.payments;
    return Ok();
  }

  // A credit note for part of the invoice (all of it when `whole`),
  // allocated to it (R-CORE-5).
  Result<int64_t> Credit(const domain::Invoice& inv, bool whole) {
    const int64_t amount = whole ? inv.outstanding_amount : inv.gross_amount / 100 * 10;  // 10 %
    const std::string number = "AV-" + std::to_string(inv.issue_date.year()) + "-" +
                               Pad(++credit_note_number_, 4);
    std::vector<FieldAssignment> fields = {
        {"kind", std::string("CREDIT_NOTE")},
        {"number", number},
        {"customer_id", inv.customer_id},
        {"issue_date", std::min(today_, inv.issue_date.AddDays(7))},
        {"currency", std::string("EUR")},
        {"net_amount", amount - amount / 6},
        {"tax_amount", amount / 6},  // a fifth of the net, when the amount is a multiple of 6
        {"gross_amount", amount},
    };
    ASSIGN_OR_RETURN(auto note, Explain(invoices_.Create(admin_, fields), "credit note " + number));
    ++seed_.credit_notes;
    RETURN_IF_ERROR(Explain(allocations_.Allocate(admin_, "CREDIT_NOTE", note.meta.id,
                                                  {inv.meta.id, amount}),
                            "allocating credit note " + number + " to " + inv.number));
    return amount;
  }

  Result<void> SetSendInvoices(bool on) {
    RETURN_IF_ERROR(Explain(orgs_.Update(admin_, admin_.org_id, {{"send_invoices", on}}),
                            "switching invoice sending"));
    return Ok();
  }

  Result<void> CreateInvoices() {
    std::vector<PlannedInvoice> plan = PlanInvoices();
    std::vector<std::pair<const PlannedInvoice*, std::string>> to_send;
    int number = 0;
    for (const PlannedInvoice& p : plan) {
      std::string no = "FA-" + std::to_string(p.issue.year()) + "-" + Pad(++number, 4);
      // R-SEND-1: TO_SEND is only set on arrival while the organization sends
      // its invoices itself; they are created together below.
      if (p.target == Target::kToSend) {
        to_send.emplace_back(&p, std::move(no));
        continue;
      }
      ASSIGN_OR_RETURN(domain::Invoice inv, CreateInvoice(p, no));
      int64_t owed = inv.outstanding_amount;
      if (p.credited) {
        // A paid invoice may be settled by the credit note alone.
        const bool whole = p.target == Target::kPaid && rng_.Percent(40);
        ASSIGN_OR_RETURN(int64_t credited, Credit(inv, whole));
        owed -= credited;
      }
      if (p.target == Target::kPaid && owed > 0) {
        RETURN_IF_ERROR(Pay(inv, owed));
      } else if (p.partial_payment && owed > 100) {
        RETURN_IF_ERROR(Pay(inv, owed / 100 * rng_.Between(20, 60)));  // 20-60 %, in whole cents
      }
    }
    if (!to_send.empty()) {
      RETURN_IF_ERROR(SetSendInvoices(true));
      for (const auto& [p, no] : to_send) RETURN_IF_ERROR(CreateInvoice(*p, no));
      RETURN_IF_ERROR(SetSendInvoices(false));
    }
    return Ok();
  }

  Context ctx_;
  AuthService auth_;
  RecordService<domain::Customer> customers_;
  RecordService<domain::Contact> contacts_;
  RecordService<domain::Invoice> invoices_;
  RecordService<domain::Product> products_;
  RecordService<domain::Organization> orgs_;
  AllocationService allocations_;
  Prng rng_;
  Date today_;
  Principal admin_;
  std::vector<std::string> user_ids_;      // admin, member, read-only
  std::vector<std::string> customer_ids_;  // in kCustomers order
  int credit_note_number_ = 0;
  DemoSeed seed_;
};

}  // namespace

Result<DemoSeed> SeedDemoData(Context ctx, PasswordCost cost) {
  {
    ASSIGN_OR_RETURN(auto conn, ctx.db.Acquire());
    ASSIGN_OR_RETURN(auto existing, store::FindLoginByEmail(*conn, std::string(kDemoAdminEmail)));
    if (existing) {
      DemoSeed seed;
      seed.org_id = existing->org_id;
      seed.admin_user_id = existing->user_id;
      return seed;
    }
  }  // the connection goes back to the pool before the services need it
  return DemoSeeder(ctx, cost).Run();
}

}  // namespace relance::services
