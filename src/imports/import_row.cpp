#include "imports/import_row.h"

#include <algorithm>
#include <charconv>

#include "core/ids.h"
#include "domain/rules/validation.h"

namespace relance::imports {
namespace {

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\xA0";
  size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Common country names of French-speaking customers' files; anything else
// must already be an ISO code.
std::optional<std::string> CountryCode(std::string_view text) {
  std::string upper = Upper(text);
  if (upper.size() == 2) return upper;
  struct Name {
    std::string_view folded;
    std::string_view code;
  };
  static constexpr Name kNames[] = {
      {"france", "FR"},      {"belgique", "BE"},   {"belgium", "BE"},     {"suisse", "CH"},
      {"switzerland", "CH"}, {"luxembourg", "LU"}, {"allemagne", "DE"},   {"germany", "DE"},
      {"espagne", "ES"},     {"spain", "ES"},      {"italie", "IT"},      {"italy", "IT"},
      {"royaumeuni", "GB"},  {"unitedkingdom", "GB"}, {"paysbas", "NL"},  {"netherlands", "NL"},
      {"monaco", "MC"},      {"canada", "CA"},     {"etatsunis", "US"},   {"unitedstates", "US"},
      {"portugal", "PT"},    {"maroc", "MA"},      {"morocco", "MA"},     {"tunisie", "TN"},
      {"algerie", "DZ"},     {"senegal", "SN"},
  };
  std::string folded = FoldHeader(text);
  for (const auto& n : kNames) {
    if (n.folded == folded) return std::string(n.code);
  }
  return std::nullopt;
}

std::optional<std::string> ParseStatus(std::string_view text) {
  std::string f = FoldHeader(text);
  if (f == "client" || f == "customer") return "CLIENT";
  if (f == "prospect") return "PROSPECT";
  return std::nullopt;
}

// Puts a FieldError of the domain validators back on the file's column.
RowProblem FromDetail(const FieldError& d, const ColumnMapping& m,
                      std::span<const std::string_view> cells, bool contact) {
  std::string_view field = d.field;
  FieldTarget target;
  if (field.starts_with("smart_tags.") || field.starts_with("custom_fields.")) {
    target = *ParseTargetName(field);
  } else {
    auto parsed = ParseTargetName(contact ? "contact." + std::string(field) : std::string(field));
    if (!parsed) return {std::string(field), "", d.message};
    target = *parsed;
  }
  for (size_t i = 0; i < m.columns.size(); ++i) {
    if (m.columns[i] && (*m.columns[i] == target ||
                         (target.key.empty() && m.columns[i]->field == target.field))) {
      return {m.headers[i], i < cells.size() ? std::string(Trim(cells[i])) : "", d.message};
    }
  }
  return {std::string(field), "", d.message};
}

void AddValidation(const Result<void>& r, const ColumnMapping& m,
                   std::span<const std::string_view> cells, bool contact,
                   std::vector<RowProblem>& out) {
  if (r.ok()) return;
  for (const auto& d : r.error().details()) out.push_back(FromDetail(d, m, cells, contact));
}

uint64_t Mix(uint64_t h, std::string_view s) {
  // FNV-1a, then a separator so ("ab","c") and ("a","bc") differ.
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return (h ^ 0xff) * 0x100000001b3ull;
}

}  // namespace

RowProblem CustomerFieldProblem(const FieldError& d, const ColumnMapping& mapping) {
  return FromDetail(d, mapping, {}, /*contact=*/false);
}

std::optional<std::string> ParsePosition(std::string_view text) {
  std::string f = FoldHeader(text);
  struct Label {
    std::string_view folded;
    std::string_view position;
  };
  static constexpr Label kLabels[] = {
      {"accounting", "ACCOUNTING"}, {"comptabilite", "ACCOUNTING"}, {"comptable", "ACCOUNTING"},
      {"compta", "ACCOUNTING"},     {"sales", "SALES"},             {"commercial", "SALES"},
      {"commerciale", "SALES"},     {"ventes", "SALES"},            {"vente", "SALES"},
      {"purchaser", "PURCHASER"},   {"acheteur", "PURCHASER"},      {"acheteuse", "PURCHASER"},
      {"achats", "PURCHASER"},      {"achat", "PURCHASER"},         {"payer", "PAYER"},
      {"payeur", "PAYER"},          {"payeuse", "PAYER"},
  };
  for (const auto& l : kLabels) {
    if (l.folded == f) return std::string(l.position);
  }
  return std::nullopt;
}

std::optional<bool> ParseMainFlag(std::string_view text) {
  std::string f = FoldHeader(text);
  if (f == "1" || f == "oui" || f == "yes" || f == "true" || f == "vrai" || f == "x") return true;
  if (f == "0" || f == "non" || f == "no" || f == "false" || f == "faux") return false;
  return std::nullopt;
}

std::optional<int64_t> ParsePaymentDelay(std::string_view text) {
  // Spreadsheets may show a whole number as "30.0"; anything after the
  // point must then be zeros.
  size_t dot = text.find('.');
  std::string_view digits = text.substr(0, dot);
  if (dot != std::string_view::npos) {
    std::string_view frac = text.substr(dot + 1);
    if (frac.empty() || frac.find_first_not_of('0') != std::string_view::npos) return std::nullopt;
  }
  if (digits.empty() || digits.size() > 6 ||
      digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  int64_t v = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), v);
  return v;
}

uint64_t CustomerPart::Digest() const {
  uint64_t h = 0xcbf29ce484222325ull;
  auto opt = [&h](const std::optional<std::string>& v) { h = v ? Mix(h, *v) : Mix(h, "\x01"); };
  opt(external_id), opt(name), opt(status), opt(accounting_code), opt(vat_number), opt(street);
  opt(postal_code), opt(city), opt(region), opt(country), opt(account_manager_email);
  opt(dunning_plan_name), opt(group_name), opt(group_external_id);
  h = Mix(h, payment_delay_days ? std::to_string(*payment_delay_days) : "\x01");
  for (const auto* map : {&smart_tags, &custom_fields}) {
    for (const auto& [k, v] : *map) h = Mix(Mix(h, k), v);
    h = Mix(h, "\x02");
  }
  return h;
}

void CustomerPart::ApplyTo(domain::Customer& c) const {
  auto set = [](std::optional<std::string>& dst, const std::optional<std::string>& v) {
    if (v) dst = *v;
  };
  set(c.external_id, external_id);
  if (name) c.name = *name;
  if (status) c.status = *status;
  set(c.accounting_code, accounting_code);
  set(c.vat_number, vat_number);
  set(c.street, street);
  set(c.postal_code, postal_code);
  set(c.city, city);
  set(c.region, region);
  set(c.country, country);
  if (payment_delay_days) c.payment_delay_days = payment_delay_days;
  for (const auto& [k, v] : smart_tags) c.smart_tags[k] = v;
  for (const auto& [k, v] : custom_fields) c.custom_fields[k] = v;
}

void ContactPart::ApplyTo(domain::Contact& c) const {
  c.email = email;
  auto set = [](std::optional<std::string>& dst, const std::optional<std::string>& v) {
    if (v) dst = *v;
  };
  set(c.first_name, first_name);
  set(c.last_name, last_name);
  set(c.phone, phone);
  set(c.external_id, external_id);
  set(c.position, position);
  if (is_main) c.is_main = *is_main;
}

ImportRow ParseImportRow(int64_t line, std::span<const std::string_view> cells,
                         const ColumnMapping& mapping, bool validate) {
  ImportRow row;
  row.line = line;
  CustomerPart& cu = row.customer;
  ContactPart& co = row.contact;
  auto problem = [&](size_t col, std::string_view value, std::string reason) {
    row.problems.push_back({mapping.headers[col], std::string(value), std::move(reason)});
  };
  for (size_t col = 0; col < mapping.columns.size(); ++col) {
    const auto& target = mapping.columns[col];
    if (!target) continue;
    std::string_view v = col < cells.size() ? Trim(cells[col]) : std::string_view{};
    if (v.empty()) continue;
    std::string s(v);
    if (IsContactField(target->field)) co.present = true;
    switch (target->field) {
      case ImportField::kExternalId: cu.external_id = std::move(s); break;
      case ImportField::kName: cu.name = std::move(s); break;
      case ImportField::kStatus:
        if (auto st = ParseStatus(v)) {
          cu.status = *st;
        } else {
          problem(col, v, "must be Client or Prospect");
        }
        break;
      case ImportField::kAccountingCode: cu.accounting_code = std::move(s); break;
      case ImportField::kVatNumber: cu.vat_number = std::move(s); break;
      case ImportField::kStreet: cu.street = std::move(s); break;
      case ImportField::kPostalCode: cu.postal_code = std::move(s); break;
      case ImportField::kCity: cu.city = std::move(s); break;
      case ImportField::kRegion: cu.region = std::move(s); break;
      case ImportField::kCountry:
        if (auto code = CountryCode(v)) {
          cu.country = *code;
        } else {
          problem(col, v, "is not a country: give its ISO 3166-1 alpha-2 code, such as FR");
        }
        break;
      case ImportField::kAccountManager: cu.account_manager_email = Lower(v); break;
      case ImportField::kDunningPlan: cu.dunning_plan_name = std::move(s); break;
      case ImportField::kPaymentDelay:
        // R-IMP-6
        if (auto d = ParsePaymentDelay(v)) {
          cu.payment_delay_days = *d;
        } else {
          problem(col, v, "must be a whole number of days, such as 30");
        }
        break;
      case ImportField::kGroupName: cu.group_name = std::move(s); break;
      case ImportField::kGroupExternalId: cu.group_external_id = std::move(s); break;
      case ImportField::kSmartTag: cu.smart_tags[target->key] = std::move(s); break;
      case ImportField::kCustomField: cu.custom_fields[target->key] = std::move(s); break;
      case ImportField::kContactEmail: co.email = Lower(v); break;
      case ImportField::kContactFirstName: co.first_name = std::move(s); break;
      case ImportField::kContactLastName: co.last_name = std::move(s); break;
      case ImportField::kContactPhone: co.phone = std::move(s); break;
      case ImportField::kContactExternalId: co.external_id = std::move(s); break;
      case ImportField::kContactPosition:
        // R-IMP-9
        if (auto p = ParsePosition(v)) {
          co.position = *p;
        } else {
          problem(col, v,
                  "must be a position: ACCOUNTING (Comptabilité), SALES (Commercial), "
                  "PURCHASER (Acheteur) or PAYER (Payeur)");
        }
        break;
      case ImportField::kContactMain:
        // R-IMP-10
        if (auto m = ParseMainFlag(v)) {
          co.is_main = *m;
        } else {
          problem(col, v, "must be 1 for the main contact, or 0 / empty");
        }
        break;
    }
  }
  if (!cu.external_id && !cu.name) {
    row.problems.push_back({"", "",
                            "the row names no customer: both its name and its external id "
                            "are empty"});
  }
  if (!validate) return row;
  // The domain's own rules, so an import accepts exactly what the API does.
  domain::Customer c;
  c.name = "-";  // required only for a new customer; the job checks that
  cu.ApplyTo(c);
  AddValidation(domain::ValidateCustomer(c), mapping, cells, false, row.problems);
  if (co.present) {
    if (co.email.empty()) {
      // R-IMP-8
      auto col = mapping.ColumnOf(ImportField::kContactEmail);
      row.problems.push_back({col ? mapping.headers[*col] : "contact.email", "",
                              "a contact needs an e-mail address, which identifies it"});
    } else {
      domain::Contact k;
      k.customer_id = std::string(kCustomerPrefix) + "_00000000000000000000000000";
      co.ApplyTo(k);
      AddValidation(domain::ValidateContact(k), mapping, cells, true, row.problems);
    }
  }
  return row;
}

}  // namespace relance::imports
