// Which column of an imported file fills which field (R-IMP-4). The product
// proposes a mapping from the header row; the user confirms or corrects it
// (API: a JSON object, CLI: --mapping FILE.json) before the import runs.
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "imports/import_fields.h"

namespace relance::imports {

struct ColumnMapping {
  // One entry per column of the header row; nullopt = the column is ignored.
  std::vector<std::optional<FieldTarget>> columns;
  // The header's texts, as read (for reports and messages).
  std::vector<std::string> headers;

  // The column holding `f` (first one), if any.
  std::optional<size_t> ColumnOf(ImportField f) const;
  bool Has(ImportField f) const { return ColumnOf(f).has_value(); }
  // Headers of the columns no field was proposed for / chosen.
  std::vector<std::string> Unmapped() const;
  bool HasContactFields() const;
};

// Recognises each header (import_fields.h). A field is proposed for one
// column only (the first that names it). "Nom" alone is the customer's name
// unless another column is the company name ("Raison sociale"), in which
// case it is the contact's last name.
ColumnMapping ProposeMapping(std::span<const std::string> headers);

// Applies a user's mapping to the header row. `user` is a JSON object whose
// keys are header texts (exactly as in the file) and values field names
// (TargetName: "name", "contact.email", "smart_tags.region", ...) or null to
// ignore the column. Columns it does not mention keep the proposed field
// when `keep_proposed` is true (corrections), else they are ignored.
// Errors (InvalidArgument, one detail per problem, field = the header):
// unknown header, unknown field name, a field chosen for two columns.
Result<ColumnMapping> ApplyUserMapping(std::span<const std::string> headers,
                                       const nlohmann::json& user, bool keep_proposed);

// Refuses a mapping the import cannot run with: no column for the customer's
// name nor its external id (R-IMP-5), contact columns without an e-mail
// column (R-IMP-8).
Result<void> CheckMappingUsable(const ColumnMapping& m);

// {"Header": "field" | null, ...} in column order.
nlohmann::ordered_json MappingToJson(const ColumnMapping& m);

}  // namespace relance::imports
