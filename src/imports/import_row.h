// One row of a customer-and-contact import, read through the column mapping
// and checked on its own (no database): the customer it names and the
// fields it sets, the contact it describes, and every problem found, each
// tied to its column so the report can say line, column, value and reason
// (R-IMP-12).
//
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/entities.h"
#include "imports/column_mapping.h"

namespace relance::imports {

// The customer columns of a row; unset = the cell was empty (an empty cell
// never erases a stored value).
struct CustomerPart {
  std::optional<std::string> external_id;
  std::optional<std::string> name;
  std::optional<std::string> status;  // CLIENT, PROSPECT
  std::optional<std::string> accounting_code;
  std::optional<std::string> vat_number;
  std::optional<std::string> street;
  std::optional<std::string> postal_code;
  std::optional<std::string> city;
  std::optional<std::string> region;
  std::optional<std::string> country;  // ISO 3166-1 alpha-2
  std::optional<std::string> account_manager_email;
  std::optional<std::string> dunning_plan_name;
  std::optional<int64_t> payment_delay_days;
  std::optional<std::string> group_name;
  std::optional<std::string> group_external_id;
  domain::StringMap smart_tags;
  domain::StringMap custom_fields;

  bool HasGroup() const { return group_name || group_external_id; }
  // A digest of every field the row sets: rows of one customer that repeat
  // the same values have the same digest, so they cost no database work.
  uint64_t Digest() const;
  // Copies every set field onto `c` (account manager, dunning plan and group
  // are references, resolved by the import job).
  void ApplyTo(domain::Customer& c) const;
};

struct ContactPart {
  bool present = false;  // some contact cell is filled
  std::string email;     // lower-case
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::string> phone;
  std::optional<std::string> external_id;
  std::optional<std::string> position;  // ACCOUNTING, SALES, PURCHASER, PAYER
  std::optional<bool> is_main;          // unset: the cell was empty

  void ApplyTo(domain::Contact& c) const;
};

struct RowProblem {
  std::string column;  // the header of the column at fault; empty: the whole row
  std::string value;
  std::string reason;
};

struct ImportRow {
  int64_t line = 0;
  CustomerPart customer;
  ContactPart contact;
  std::vector<RowProblem> problems;  // empty: the row is valid on its own
};

// Reads `cells` (one row of the file) through `mapping`. `validate` false
// skips the domain validators, for a row already found valid (the import's
// write pass reads each row a second time).
ImportRow ParseImportRow(int64_t line, std::span<const std::string_view> cells,
                         const ColumnMapping& mapping, bool validate = true);

// ParseImportRow for every row of one file, with the same results, faster:
// the row's storage is reused (a row costs no allocation once the longest
// values have been seen), and the domain's check of the customer is skipped
// when a row repeats the customer values of the row before and those passed
// it (a customer's contact rows are usually consecutive).
//
// Not thread-safe: one parser per thread. `mapping` must outlive the parser.
class RowParser {
 public:
  explicit RowParser(const ColumnMapping& mapping);
  // It points into its own row: neither copied nor moved.
  RowParser(const RowParser&) = delete;
  RowParser& operator=(const RowParser&) = delete;

  // The row read from `cells`, valid until the next call.
  const ImportRow& Parse(int64_t line, std::span<const std::string_view> cells,
                         bool validate = true);

 private:
  // One mapped column. Each column's way of being read is chosen once, from
  // the mapping: a plain text field goes to one of two lists read in tight
  // loops (most columns); any other field names the member that reads it.
  struct Step {
    size_t column;
    ImportField field;
    uint64_t bit;                      // Bit(field): the masks of Fill
    std::optional<std::string>* slot;  // the row's member for a text field, else nullptr
    const std::string* key;            // smart-tags and custom fields
  };
  // Reads the trimmed, non-empty `value` of the column of `step` into row_,
  // or adds a problem to it.
  using Reader = void (RowParser::*)(const Step& step, std::string_view value);
  struct RuleStep {
    Step step;
    Reader read;
  };
  static Reader ReaderOf(ImportField field);

  bool Fill(int64_t line, std::span<const std::string_view> cells);
  bool Check(std::span<const std::string_view> cells, bool check_customer);

  // The readers of the columns whose value a rule reads or turns into the
  // field's value.
  void ReadStatus(const Step& step, std::string_view value);
  void ReadCountry(const Step& step, std::string_view value);
  void ReadAccountManager(const Step& step, std::string_view value);
  void ReadPaymentDelay(const Step& step, std::string_view value);
  void ReadSmartTag(const Step& step, std::string_view value);
  void ReadCustomField(const Step& step, std::string_view value);
  void ReadContactEmail(const Step& step, std::string_view value);
  void ReadContactPosition(const Step& step, std::string_view value);
  void ReadContactMain(const Step& step, std::string_view value);
  // Sets the customer text field of `step` to `text`.
  void SetCustomerText(const Step& step, std::string_view text);
  void AddProblem(const Step& step, std::string_view value, std::string reason);

  const ColumnMapping& mapping_;
  ImportRow row_;
  // The mapped columns, each list in column order.
  std::vector<Step> customer_texts_;   // customer text fields kept as written
  std::vector<Step> contact_texts_;    // contact text fields kept as written
  std::vector<RuleStep> rule_steps_;   // every other field
  // Bit() of the text fields some column fills, and their members by field.
  uint64_t text_fields_ = 0;
  std::array<std::optional<std::string>*, 64> slots_{};
  // Fill's account of the row being read: Bit() of the text fields set, of
  // those whose value changed; whether some other customer value changed.
  uint64_t filled_ = 0;
  uint64_t changed_ = 0;
  bool customer_changed_ = false;
  bool customer_valid_ = false;  // row_.customer passed the domain's check as it is
  // R-IMP-9: the position a cell names, for the last texts seen (a file uses
  // a few labels, some with accents, over and over).
  struct PositionMemo {
    static constexpr size_t kSize = 8;
    std::array<std::string, kSize> texts;
    std::array<std::optional<std::string_view>, kSize> positions;
    size_t size = 0;
    size_t next = 0;
    std::optional<std::string_view> Find(std::string_view text);
    // Find's miss: the position of `text`, kept in place of the oldest text.
    // Out of line, so that a hit costs no stack frame.
    [[gnu::noinline]] std::optional<std::string_view> Remember(std::string_view text);
  };
  PositionMemo positions_;
};

// A problem a domain rule found on a customer field (FieldError::field is
// the field's name), put on the file's column that holds the field; the
// field's name stands for the column when none does.
RowProblem CustomerFieldProblem(const FieldError& d, const ColumnMapping& mapping);

// The values accepted for a position (R-IMP-9): the canonical names and the
// French labels ("Comptabilité", "Commercial", "Acheteur", "Payeur"), case and
// accents ignored. nullopt for anything else.
std::optional<std::string> ParsePosition(std::string_view text);
// R-IMP-10: "1" marks the main contact; "0" and the usual yes/no words too.
std::optional<bool> ParseMainFlag(std::string_view text);
// R-IMP-6: a whole number of days ("30"; spreadsheets' "30.0" too).
std::optional<int64_t> ParsePaymentDelay(std::string_view text);

}  // namespace relance::imports
