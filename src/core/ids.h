// Record ids: a type prefix, an underscore and 26 Crockford base-32 characters
// (48 bits of milliseconds, then 80 bits that are random for the first id of a
// millisecond and incremented after), so ids sort by creation time, as text,
// on every backend. "cus_01JD3Q7R9WB1T2XK4M5N6P7Q8R".
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/date.h"

namespace relance {

// Prefixes in use; one per record type.
inline constexpr std::string_view kOrgPrefix = "org";
inline constexpr std::string_view kUserPrefix = "usr";
inline constexpr std::string_view kTokenPrefix = "tok";
inline constexpr std::string_view kCustomerPrefix = "cus";
inline constexpr std::string_view kContactPrefix = "con";
inline constexpr std::string_view kInvoicePrefix = "inv";
inline constexpr std::string_view kCreditNotePrefix = "crn";
inline constexpr std::string_view kPaymentPrefix = "pay";
inline constexpr std::string_view kAllocationPrefix = "alc";
inline constexpr std::string_view kProductPrefix = "prd";
inline constexpr std::string_view kDunningPlanPrefix = "dpl";
inline constexpr std::string_view kImportPrefix = "imp";
inline constexpr std::string_view kDunningStepPrefix = "dst";
inline constexpr std::string_view kActionPrefix = "act";
inline constexpr std::string_view kConnectionPrefix = "con";
inline constexpr std::string_view kSyncRunPrefix = "syr";
inline constexpr std::string_view kSyncChangePrefix = "syc";
inline constexpr std::string_view kInboxPrefix = "inb";

std::string NewId(std::string_view prefix, Timestamp now);
// True when `id` has the given prefix and a well-formed body.
bool IsValidId(std::string_view id, std::string_view prefix);

// `n` random bytes as lowercase hex (for API tokens, session ids).
std::string RandomHex(size_t n_bytes);

// SHA-256 of `text` as lowercase hex: what is stored of a token, so a
// leaked database does not leak credentials.
std::string Sha256Hex(std::string_view text);

}  // namespace relance
