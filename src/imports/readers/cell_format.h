// How spreadsheet cells become text (shared by the XLSX, XLSB and XLS
// readers): numbers as Excel's General format shows them, dates as ISO 8601,
// from the cell's number format.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace relance::imports {

enum class NumberKind {
  kGeneral,     // any numeric format: the value as General shows it ("1234.5")
  kZeroPadded,  // "00000": integers keep their leading zeros ("00123")
  kDate,        // "2021-01-01" ("2021-01-01T14:30:00" when the value has a time)
  kTime,        // "10:10:10"
  kDateTime,    // "2021-01-01T10:10:10"
  kElapsed,     // [h]:mm:ss -> "255:10:10"
};

struct NumberFormat {
  NumberKind kind = NumberKind::kGeneral;
  int width = 0;  // kZeroPadded: digits
};

// The class of a number format: `code` is the format string when the
// workbook defines one for `id`, else empty (a built-in format). Date and
// time formats are built-in ids 14-22, 27-36, 45-47, 50-58, or codes with
// y/m/d/h/s tokens outside quotes, escapes and [color] brackets.
NumberFormat ClassifyNumberFormat(int id, std::string_view code);

// Excel's General rendering: integers without ".0", at most 15 significant
// digits (Excel's precision), exponent form outside 1E-9 .. 1E+15.
void AppendGeneralNumber(double value, std::string* out);

// True when `text` (a number as stored in XML) is already what General
// shows: "-12", "0.25", "1234.5" (at most 15 digits, no exponent, no
// superfluous zero), so it can be used as is.
bool IsGeneralText(std::string_view text);

// Renders `value` with `format`; dates outside 1900..9999 fall back to
// General.
void AppendNumber(double value, NumberFormat format, bool date1904, std::string* out);

// "2021-01-01T10:10:10.000Z" (an XLSX t="d" cell) -> "2021-01-01T10:10:10";
// date-only formats keep only the date.
void AppendIsoDateCell(std::string_view text, NumberFormat format, std::string* out);

// XLSX text escapes: "_x000D_" is a carriage return, "_x005F_" an underscore.
void UnescapeOoxml(std::string* text);

// Decodes an RK number (XLS, XLSB).
double RkToDouble(uint32_t rk);

// "#DIV/0!" etc. from a BIFF error code; "#ERR" when unknown.
std::string_view BiffErrorText(uint8_t code);

}  // namespace relance::imports
