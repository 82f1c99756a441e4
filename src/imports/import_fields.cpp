#include "imports/import_fields.h"

#include <array>
#include <cstdint>

namespace relance::imports {
namespace {

struct FieldInfo {
  ImportField field;
  std::string_view name;          // canonical (TargetName)
  std::string_view french_label;  // templates, previews
  // Header names that map to the field, already folded (FoldHeader). The
  // first ones are the French and English labels; then common synonyms
  // seen in exports of invoicing and accounting software.
  std::initializer_list<std::string_view> synonyms;
};

// One table for the names, the labels and the synonyms, so a field is
// declared once. Order: the template's column order.
const std::array<FieldInfo, 22> kFields = {{
    {ImportField::kExternalId, "external_id", "Identifiant Client",
     {"identifiantclient", "customerid", "externalid", "idclient", "clientid", "codeclient",
      "numeroclient", "numclient", "customernumber", "customercode", "clientnumber",
      "referenceclient", "refclient", "identifiant", "id"}},
    {ImportField::kName, "name", "Raison sociale",
     {"raisonsociale", "name", "customername", "companyname", "company", "societe",
      "nomclient", "nomsociete", "nomentreprise", "entreprise", "client", "customer",
      "denomination", "organisation", "organization"}},
    {ImportField::kStatus, "status", "Statut", {"statut", "status", "type", "typeclient"}},
    {ImportField::kAccountingCode, "accounting_code", "Code comptable",
     {"codecomptable", "accountingcode", "comptecomptable", "compte", "comptetiers",
      "compteclient", "accountcode", "ledgeraccount"}},
    {ImportField::kVatNumber, "vat_number", "Numéro de TVA",
     {"numerodetva", "numerotva", "tva", "tvaintracommunautaire", "notva", "vatnumber", "vat",
      "vatid", "taxid", "numtva"}},
    {ImportField::kStreet, "street", "Adresse",
     {"adresse", "street", "address", "rue", "adressepostale", "streetaddress", "adresse1",
      "addressline1"}},
    {ImportField::kPostalCode, "postal_code", "Code postal",
     {"codepostal", "postalcode", "zipcode", "zip", "cp", "postcode"}},
    {ImportField::kCity, "city", "Ville", {"ville", "city", "commune", "town", "localite"}},
    {ImportField::kRegion, "region", "Région",
     {"region", "state", "province", "departement", "etat", "stateregion"}},
    {ImportField::kCountry, "country", "Pays", {"pays", "country", "countrycode", "codepays"}},
    {ImportField::kAccountManager, "account_manager", "Responsable du compte",
     {"responsableducompte", "accountmanager", "responsable", "chargedecompte",
      "chargedaffaires", "commercialresponsable", "owner", "accountowner",
      "emailresponsable", "accountmanageremail"}},
    {ImportField::kDunningPlan, "dunning_plan", "Plan de relance",
     {"planderelance", "planderelances", "scenarioderelance", "relance", "dunningplan",
      "dunning", "collectionplan", "plan"}},
    {ImportField::kPaymentDelay, "payment_delay_days", "Délai de paiement",
     {"delaidepaiement", "delaipaiement", "paymentdelay", "paymentdelaydays", "paymentterms",
      "delaireglement", "delaidereglement", "conditionsdepaiement", "echeance", "termsdays",
      "delai"}},
    {ImportField::kGroupName, "group_name", "Nom du groupe",
     {"nomdugroupe", "groupname", "groupe", "group", "societemere", "maisonmere",
      "parentcompany", "parentname", "parent", "nomgroupe"}},
    {ImportField::kGroupExternalId, "group_external_id", "Identifiant du groupe",
     {"identifiantdugroupe", "groupid", "groupexternalid", "idgroupe", "identifiantgroupe",
      "parentid", "parentexternalid", "codegroupe", "identifiantsocietemere"}},
    {ImportField::kContactEmail, "contact.email", "E-mail",
     {"email", "mail", "courriel", "adressemail", "adresseemail", "emailcontact",
      "contactemail", "emailaddress", "adresseelectronique"}},
    {ImportField::kContactFirstName, "contact.first_name", "Prénom",
     {"prenom", "firstname", "givenname", "prenomcontact", "contactfirstname"}},
    {ImportField::kContactLastName, "contact.last_name", "Nom",
     {"lastname", "surname", "familyname", "nomdefamille", "nomcontact", "contactlastname",
      "contactname"}},
    {ImportField::kContactPhone, "contact.phone", "Téléphone",
     {"telephone", "phone", "tel", "mobile", "portable", "phonenumber", "numerodetelephone",
      "telephonecontact", "contactphone"}},
    {ImportField::kContactExternalId, "contact.external_id", "Identifiant contact",
     {"identifiantcontact", "contactid", "idcontact", "contactexternalid", "codecontact"}},
    {ImportField::kContactPosition, "contact.position", "Poste",
     {"poste", "position", "fonction", "role", "jobtitle", "positioncontact"}},
    {ImportField::kContactMain, "contact.is_main", "Contact principal",
     {"contactprincipal", "maincontact", "principal", "ismain", "main", "primarycontact",
      "primary"}},
}};

constexpr std::string_view kSmartTagsPrefix = "smart_tags.";
constexpr std::string_view kCustomFieldsPrefix = "custom_fields.";

const FieldInfo* InfoOf(ImportField f) {
  for (const auto& info : kFields) {
    if (info.field == f) return &info;
  }
  return nullptr;
}

// Characters appended to a fixed buffer; `full` once one did not fit.
struct FixedText {
  char* data;
  size_t size = 0;
  size_t cap;
  bool full = false;
  FixedText& operator+=(char c) {
    if (size < cap) {
      data[size++] = c;
    } else {
      full = true;
    }
    return *this;
  }
  FixedText& operator+=(std::string_view s) {
    for (char c : s) *this += c;
    return *this;
  }
};

// Appends the ASCII base letter(s) of one decoded code point, or nothing.
template <typename Out>
void FoldCodePoint(uint32_t cp, Out& out) {
  if (cp < 0x80) {
    char c = static_cast<char>(cp);
    if (c >= 'A' && c <= 'Z') out += static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += c;
    return;
  }
  // Latin-1 supplement, letters only: U+00C0..U+00FF.
  static constexpr std::string_view kLatin1 =
      "aaaaaaaceeeeiiii"   // C0..CF (C6 Æ handled below)
      "dnooooo.ouuuuyts"   // D0..DF (D7 ×, DE Þ, DF ß)
      "aaaaaaaceeeeiiii"   // E0..EF
      "dnooooo.ouuuuyty";  // F0..FF
  if (cp == 0xC6 || cp == 0xE6) { out += std::string_view("ae"); return; }
  if (cp == 0xDF) { out += std::string_view("ss"); return; }
  if (cp == 0x152 || cp == 0x153) { out += std::string_view("oe"); return; }
  if (cp >= 0xC0 && cp <= 0xFF) {
    char c = kLatin1[cp - 0xC0];
    if (c != '.') out += c;
    return;
  }
  // Latin Extended-A (U+0100..U+017F) comes in upper/lower pairs whose base
  // letters follow this table, two code points per letter.
  static constexpr std::string_view kExtA =
      "aaaaaa" "cccccccc" "dddd" "eeeeeeeeee" "gggggggg" "hhhh"  // 0100..0127
      "iiiiiiiiii" ".." "jj" "kkk" "llllllllll" "nnnnnnnnn"      // 0128..014B (0132 IJ)
      "oooooo" ".." "rrrrrr" "ssssssss" "tttttt"                 // 014C..0167 (0152 OE)
      "uuuuuuuuuuuu" "ww" "yyy" "zzzzzz" "s";                    // 0168..017F
  static_assert(kExtA.size() == 0x80);
  if (cp >= 0x100 && cp <= 0x17F) {
    size_t i = cp - 0x100;
    if (i < kExtA.size() && kExtA[i] != '.') out += kExtA[i];
  }
}

}  // namespace

std::string TargetName(const FieldTarget& t) {
  if (t.field == ImportField::kSmartTag) return std::string(kSmartTagsPrefix) + t.key;
  if (t.field == ImportField::kCustomField) return std::string(kCustomFieldsPrefix) + t.key;
  return std::string(InfoOf(t.field)->name);
}

std::optional<FieldTarget> ParseTargetName(std::string_view name) {
  for (auto [prefix, field] : {std::pair{kSmartTagsPrefix, ImportField::kSmartTag},
                               std::pair{kCustomFieldsPrefix, ImportField::kCustomField}}) {
    if (name.starts_with(prefix) && name.size() > prefix.size()) {
      return FieldTarget{field, std::string(name.substr(prefix.size()))};
    }
  }
  for (const auto& info : kFields) {
    if (info.name == name) return FieldTarget{info.field, {}};
  }
  return std::nullopt;
}

std::string_view FrenchLabel(ImportField f) {
  if (f == ImportField::kSmartTag) return "Tag";
  if (f == ImportField::kCustomField) return "Champ";
  return InfoOf(f)->french_label;
}

std::span<const ImportField> FixedFields() {
  static const auto kList = [] {
    std::array<ImportField, kFields.size()> list{};
    for (size_t i = 0; i < kFields.size(); ++i) list[i] = kFields[i].field;
    return list;
  }();
  return kList;
}

namespace {

template <typename Out>
void FoldInto(std::string_view s, Out& out) {
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    uint32_t cp = b;
    size_t len = 1;
    if (b >= 0xC0 && b < 0xE0 && i + 1 < s.size()) {
      cp = ((b & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
      len = 2;
    } else if (b >= 0xE0 && b < 0xF0) {
      len = 3;  // nothing of ours lives there: skip the whole sequence
      cp = 0;
    } else if (b >= 0xF0) {
      len = 4;
      cp = 0;
    }
    FoldCodePoint(cp, out);
    i += len;
  }
}

}  // namespace

std::string FoldHeader(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  FoldInto(s, out);
  return out;
}

std::optional<size_t> FoldHeaderInto(std::string_view s, char* out, size_t cap) {
  FixedText text{out, 0, cap};
  FoldInto(s, text);
  if (text.full) return std::nullopt;
  return text.size;
}

std::optional<FieldTarget> RecognizeHeader(std::string_view header) {
  // Keyed columns first: their key keeps what the user wrote.
  struct KeyedPrefix {
    std::string_view folded;
    ImportField field;
  };
  static constexpr KeyedPrefix kKeyed[] = {
      {"smarttags", ImportField::kSmartTag}, {"smarttag", ImportField::kSmartTag},
      {"tag", ImportField::kSmartTag},       {"customfields", ImportField::kCustomField},
      {"customfield", ImportField::kCustomField}, {"custom", ImportField::kCustomField},
      {"champpersonnalise", ImportField::kCustomField}, {"champ", ImportField::kCustomField},
  };
  size_t sep = header.find_first_of(":.");
  if (sep != std::string_view::npos) {
    std::string head = FoldHeader(header.substr(0, sep));
    std::string_view key = header.substr(sep + 1);
    while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
    while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
    for (const auto& k : kKeyed) {
      if (head == k.folded && !key.empty()) return FieldTarget{k.field, std::string(key)};
    }
  }
  std::string folded = FoldHeader(header);
  if (folded.empty()) return std::nullopt;
  for (const auto& info : kFields) {
    for (std::string_view syn : info.synonyms) {
      if (syn == folded) return FieldTarget{info.field, {}};
    }
  }
  return std::nullopt;
}

}  // namespace relance::imports
