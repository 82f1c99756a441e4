#include "imports/column_mapping.h"

namespace relance::imports {

std::optional<size_t> ColumnMapping::ColumnOf(ImportField f) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] && columns[i]->field == f) return i;
  }
  return std::nullopt;
}

std::vector<std::string> ColumnMapping::Unmapped() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!columns[i]) out.push_back(headers[i]);
  }
  return out;
}

bool ColumnMapping::HasContactFields() const {
  for (const auto& c : columns) {
    if (c && IsContactField(c->field)) return true;
  }
  return false;
}

ColumnMapping ProposeMapping(std::span<const std::string> headers) {
  ColumnMapping m;
  m.headers.assign(headers.begin(), headers.end());
  m.columns.resize(headers.size());
  std::vector<size_t> bare_nom;  // columns headed just "Nom"
  for (size_t i = 0; i < headers.size(); ++i) {
    if (FoldHeader(headers[i]) == "nom") {
      bare_nom.push_back(i);
      continue;
    }
    auto target = RecognizeHeader(headers[i]);
    if (!target) continue;
    bool taken = false;
    for (const auto& c : m.columns) taken = taken || (c && *c == *target);
    if (!taken) m.columns[i] = std::move(target);
  }
  for (size_t i : bare_nom) {
    ImportField f = m.Has(ImportField::kName) ? ImportField::kContactLastName : ImportField::kName;
    if (!m.Has(f)) m.columns[i] = FieldTarget{f, {}};
  }
  return m;
}

Result<ColumnMapping> ApplyUserMapping(std::span<const std::string> headers,
                                       const nlohmann::json& user, bool keep_proposed) {
  if (!user.is_object()) {
    return InvalidArgument("the mapping must be a JSON object of \"header\": \"field\" pairs");
  }
  ColumnMapping m = keep_proposed ? ProposeMapping(headers) : ColumnMapping{};
  if (!keep_proposed) {
    m.headers.assign(headers.begin(), headers.end());
    m.columns.resize(headers.size());
  }
  std::vector<FieldError> problems;
  for (const auto& [header, value] : user.items()) {
    size_t col = headers.size();
    for (size_t i = 0; i < headers.size(); ++i) {
      if (headers[i] == header) {
        col = i;
        break;
      }
    }
    if (col == headers.size()) {
      problems.push_back({header, "no column of the file has this header"});
      continue;
    }
    if (value.is_null()) {
      m.columns[col].reset();
      continue;
    }
    if (!value.is_string()) {
      problems.push_back({header, "must be a field name (a string) or null"});
      continue;
    }
    auto target = ParseTargetName(value.get<std::string>());
    if (!target) {
      problems.push_back(
          {header, "\"" + value.get<std::string>() + "\" is not a field of the import"});
      continue;
    }
    m.columns[col] = std::move(target);
  }
  // A user's choice displaces a proposed column that named the same field.
  for (size_t i = 0; i < m.columns.size(); ++i) {
    if (!m.columns[i]) continue;
    for (size_t j = i + 1; j < m.columns.size(); ++j) {
      if (!m.columns[j] || !(*m.columns[j] == *m.columns[i])) continue;
      bool i_chosen = user.contains(headers[i]);
      bool j_chosen = user.contains(headers[j]);
      if (i_chosen && j_chosen) {
        problems.push_back({headers[j], "\"" + TargetName(*m.columns[j]) +
                                            "\" is already the field of column \"" + headers[i] +
                                            "\""});
      } else if (i_chosen) {
        m.columns[j].reset();
      } else {
        m.columns[i].reset();
        break;
      }
    }
  }
  if (!problems.empty()) {
    std::string msg =
        "the mapping is not valid: \"" + problems[0].field + "\" " + problems[0].message;
    return InvalidArgument(std::move(msg), std::move(problems));
  }
  return m;
}

Result<void> CheckMappingUsable(const ColumnMapping& m) {
  std::vector<FieldError> problems;
  if (!m.Has(ImportField::kName) && !m.Has(ImportField::kExternalId)) {
    problems.push_back({"name",
                        "no column is mapped to the customer's name (\"Raison sociale\") "
                        "or external id (\"Identifiant Client\")"});
  }
  if (m.HasContactFields() && !m.Has(ImportField::kContactEmail)) {
    problems.push_back({"contact.email",
                        "contact columns are mapped but no column holds the "
                        "contact's e-mail, which identifies a contact"});
  }
  if (problems.empty()) return Ok();
  std::string msg = "the mapping cannot be used: " + problems[0].message;
  return InvalidArgument(std::move(msg), std::move(problems));
}

nlohmann::ordered_json MappingToJson(const ColumnMapping& m) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (size_t i = 0; i < m.columns.size(); ++i) {
    j[m.headers[i]] = m.columns[i] ? nlohmann::ordered_json(TargetName(*m.columns[i])) : nullptr;
  }
  return j;
}

}  // namespace relance::imports
