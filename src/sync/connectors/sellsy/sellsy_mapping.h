// Sellsy API v2 JSON -> sync::SourceRecord (research §5-§14, SPEC R-SELLSY).
// Pure functions: no I/O, unit-testable on literal JSON.
//
// External ids: company/<id>, individual/<id>, contact/<id>, invoice/<id>,
// credit-note/<id>, payment/<id>. Versions are a 64-bit FNV-1a hash (hex)
// of the mapped content, so an unchanged record keeps its version.
//
// A malformed object (no id, money that is not a decimal string, a bad date)
// is kInvalidArgument naming the object and the field:
//   Sellsy invoice 3875: amounts.total_incl_tax "12,5" is not a decimal amount
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/date.h"
#include "core/result.h"
#include "sync/connectors/sellsy/sellsy_json.h"
#include "sync/source_record.h"

namespace relance::sync::sellsy {

// R-SELLSY-2: nothing dated before this day is fetched.
Date DatedFrom();
inline constexpr char kDatedFromText[] = "2018-01-01";

// Date::Parse ("YYYY-MM-DD", a day that exists, years 1..9999) without its
// error message, which the mappings write themselves: a record has a day or
// two to read, and Date::Parse's checks went through std::from_chars and the
// date library.
std::optional<Date> ParseDay(std::string_view text);

enum class PartyKind { kCompany, kIndividual };

std::string CompanyExternalId(int64_t id);
std::string IndividualExternalId(int64_t id);
std::string PartyExternalId(PartyKind kind, int64_t id);
std::string ContactExternalId(int64_t id);
std::string InvoiceExternalId(int64_t id);
std::string CreditNoteExternalId(int64_t id);
std::string PaymentExternalId(int64_t id);

// "company/42" -> (kCompany, 42) ...; nullopt when it is not one of ours.
struct ParsedExternalId {
  std::string prefix;  // "company", "individual", "contact", "invoice", "credit-note", "payment"
  int64_t id = 0;
};
std::optional<ParsedExternalId> ParseExternalId(std::string_view external_id);

// A record the source no longer has (or that left the filters).
SourceRecord DeletedRecord(EntityKind kind, std::string external_id);

// The stable content hash used as `version`.
std::string ComputeVersion(const SourceRecord& record);
// How a version shows its 64-bit hash: 16 lower-case hex digits, as
// printf's "%016llx" wrote them.
std::string VersionText(uint64_t hash);

// Beside each mapping below, `...Fields()`: the members it reads, as field[]
// paths (research §2; a dotted path reaches a nested member, an array is
// asked whole). The connector's pages ask for these only, so a member a
// mapping starts reading is added to its list, here; a test maps objects cut
// down to each list and checks that nothing changes, and that each path is
// needed.

// A company or an individual, with `_embed.invoicing_address` and
// `_embed.smart_tags` when present. Suppliers come back deleted (not a
// customer). Smart tags (R-SELLSY-7) become smart_tags[value] = value;
// payment_delay_days stays unset (R-SELLSY-8).
Result<SourceRecord> MapParty(JsonElement party, PartyKind kind);
// MapParty's and LinkedPartyOf's members, updated_at included (a stream's
// cursor), and the embeds' members (embed[]=invoicing_address, smart_tags).
const std::vector<std::string>& PartyFields(PartyKind kind);

// A party a contact is linked to (R-SELLSY-3).
struct LinkedParty {
  PartyKind kind = PartyKind::kCompany;
  int64_t id = 0;
  std::optional<int64_t> main_contact_id;
  bool is_customer = true;  // false for a supplier: not a place to attach contacts
};
// Reads id, main_contact_id and type of a company or individual object.
Result<LinkedParty> LinkedPartyOf(JsonElement party, PartyKind kind);
const std::vector<std::string>& LinkedPartyFields();

// R-SELLSY-3: ONE contact attached to the party where it is the main contact
// (the lowest such id), else to the lowest-id linked party; is_main and
// position ACCOUNTING for the main contact, SALES otherwise. No customer
// party at all: deleted.
Result<SourceRecord> MapContact(JsonElement contact, const std::vector<LinkedParty>& parties);
const std::vector<std::string>& ContactFields();

// Invoices and credit notes. nullopt: dated before 2018-01-01 (R-SELLSY-2),
// not fetched. Drafts come back deleted; cancelled ones with is_void.
// R-SELLSY-9: due_date == date means payable on receipt, due that day.
Result<std::optional<SourceRecord>> MapInvoice(JsonElement invoice);
Result<std::optional<SourceRecord>> MapCreditNote(JsonElement credit_note,
                                                  std::vector<SourceAllocation> allocations);
const std::vector<std::string>& InvoiceFields();
// InvoiceFields and the remaining part, which CreditNoteAllocations reads.
const std::vector<std::string>& CreditNoteFields();

// How much of a credit note went to each invoice, which Sellsy does not say
// (emulator README, "A gap for the connector"): one linked invoice gets
// total - remaining of the credit note; with several, each invoice gets its
// total - remaining - its payments' linked parts, capped by what is left of
// the credit note's allocated part. `linked_invoices` are the Invoice
// objects of GET /credit-notes/{id}/invoices; `invoice_payments` the
// InvoicingPayment items of GET /invoices/{id}/payments, by invoice id
// (needed only when there are several invoices).
Result<std::vector<SourceAllocation>> CreditNoteAllocations(
    JsonElement credit_note, const std::vector<JsonElement>& linked_invoices,
    const std::map<int64_t, std::vector<JsonElement>>& invoice_payments);
// What CreditNoteAllocations reads of `linked_invoices` and of
// `invoice_payments` (the credit note's members are in CreditNoteFields).
const std::vector<std::string>& LinkedInvoiceFields();
const std::vector<std::string>& InvoicePaymentFields();

// R-SELLSY-6: a payment with its invoice allocations (related_objects of
// type invoice, amount_linked). nullopt: paid before 2018-01-01. Deleted:
// rejected, failed, refund, or allocated to no invoice.
Result<std::optional<SourceRecord>> MapPayment(JsonElement payment);
const std::vector<std::string>& PaymentFields();

// The paged path: MapParty, MapContact, MapInvoice and MapPayment, each
// appending its record to `out` (nothing for nullopt, nor on an error)
// instead of returning it. A record is some twenty strings; returned, it is
// moved into a Result, an optional, then the page's vector.
Result<void> AppendParty(JsonElement party, PartyKind kind, std::vector<SourceRecord>& out);
Result<void> AppendContact(JsonElement contact, const std::vector<LinkedParty>& parties,
                           std::vector<SourceRecord>& out);
Result<void> AppendInvoice(JsonElement invoice, std::vector<SourceRecord>& out);
Result<void> AppendPayment(JsonElement payment, std::vector<SourceRecord>& out);

// Sellsy payment method ids (the emulator's labels: 1 Virement, 2 Chèque,
// 3 Carte bancaire, 4 Prélèvement, 5 Espèces, 7 Paypal) -> Relance methods.
std::string PaymentMethodName(std::optional<int64_t> payment_method_id);

// One webhook delivery: application/x-www-form-urlencoded with a `notif`
// field holding {"event","relatedtype","relatedid",...}. Unknown
// relatedtypes give no hint; malformed deliveries are kInvalidArgument.
Result<std::vector<ChangeHint>> ParseWebhook(std::string_view content_type, std::string_view body);

// The relatedtypes this connector acts on.
const std::vector<std::string>& WebhookEntities();

}  // namespace relance::sync::sellsy
