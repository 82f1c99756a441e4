// The fields a customer-and-contact import can fill (R-IMP-5, R-IMP-8..10,
// SPEC R-CORE-2/4), and how a file's column header is recognised as one of
// them (R-IMP-4): French and English names and common synonyms, compared
// after folding case, accents, spacing and punctuation ("Raison sociale",
// "raison_sociale" and "RAISON-SOCIALE" are one name).
//
// Pure functions over constant tables; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace relance::imports {

enum class ImportField {
  // Customer columns (R-CORE-2, R-IMP-5).
  kExternalId,
  kName,
  kStatus,
  kAccountingCode,
  kVatNumber,
  kStreet,
  kPostalCode,
  kCity,
  kRegion,
  kCountry,
  kAccountManager,  // a user of the organization, by e-mail
  kDunningPlan,     // a dunning plan, by name
  kPaymentDelay,    // whole days (R-IMP-6)
  kGroupName,       // the parent customer, by name (R-IMP-7)
  kGroupExternalId, // the parent customer, by external id
  kSmartTag,        // one smart-tag; the key comes from the column
  kCustomField,     // one custom field; the key comes from the column
  // Contact columns (R-CORE-4, R-IMP-8..10).
  kContactEmail,
  kContactFirstName,
  kContactLastName,
  kContactPhone,
  kContactExternalId,
  kContactPosition,
  kContactMain,
};

// A column's target: the field, and for smart-tags and custom fields the key.
struct FieldTarget {
  ImportField field = ImportField::kName;
  std::string key;  // kSmartTag / kCustomField only
  bool operator==(const FieldTarget&) const = default;
};

// The canonical name used in mapping files and the API ("name",
// "contact.email", "smart_tags.region", "custom_fields.sector").
std::string TargetName(const FieldTarget& t);
// The inverse of TargetName; nullopt for an unknown name.
std::optional<FieldTarget> ParseTargetName(std::string_view name);
// A French label for previews and templates ("Raison sociale").
std::string_view FrenchLabel(ImportField f);
constexpr bool IsContactField(ImportField f) {
  switch (f) {
    case ImportField::kContactEmail:
    case ImportField::kContactFirstName:
    case ImportField::kContactLastName:
    case ImportField::kContactPhone:
    case ImportField::kContactExternalId:
    case ImportField::kContactPosition:
    case ImportField::kContactMain: return true;
    default: return false;
  }
}

// Every field that has a fixed name (all but smart-tags and custom fields),
// in template order.
std::span<const ImportField> FixedFields();

// Lower-case ASCII letters and digits only: accents removed (Latin-1
// supplement, Latin Extended-A, œ and æ), everything else dropped.
std::string FoldHeader(std::string_view header);
// FoldHeader into `out` (room for `cap` characters), without allocating: the
// length written, or nullopt when the folded text does not fit.
std::optional<size_t> FoldHeaderInto(std::string_view header, char* out, size_t cap);

// The field a header names, if it is one we recognise. Smart-tag columns are
// "Tag: KEY", "Smart-tag KEY", "smart_tags.KEY"; custom fields are
// "Champ: KEY", "Custom: KEY", "custom_fields.KEY" (the key keeps its case).
std::optional<FieldTarget> RecognizeHeader(std::string_view header);

}  // namespace relance::imports
