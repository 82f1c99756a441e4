// The canonical model (SPEC §1). Plain structs, no I/O. Every record carries
// its organization id, an id with a type prefix (core/ids.h), a version for
// optimistic concurrency and creation / update instants.
//
// Enumerations that travel through the API and the store are kept as their
// upper-case text ("CLIENT", "ACCOUNTING"); entity_specs.cpp lists the values
// each one accepts and validation rejects anything else.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/date.h"

namespace relance::domain {

using StringMap = std::map<std::string, std::string>;

struct RecordMeta {
  std::string id;
  std::string org_id;
  int64_t version = 0;
  std::string created_at;  // FormatTimestamp text
  std::string updated_at;
};

// R-CORE-9
struct Organization {
  RecordMeta meta;
  std::string name;
  std::string time_zone = "Europe/Paris";
  int64_t send_hour = 9;  // local hour 0..23 at which automatic sends go out
  int64_t default_payment_delay_days = 30;
  std::string default_currency = "EUR";
  std::string language = "fr";
  bool send_invoices = false;  // R-SEND-1 "send invoices from Relance"
  // The sender of letters and e-mails (R-DUN-3 templates, letters).
  std::optional<std::string> street;
  std::optional<std::string> postal_code;
  std::optional<std::string> city;
  std::optional<std::string> country;  // ISO 3166-1 alpha-2
  std::optional<std::string> email;    // From: of e-mails
  std::optional<std::string> phone;
  // Public holidays skipped by automatic sends (R-SEND-6): "FR" or unset.
  std::optional<std::string> holiday_calendar;
};

// R-CORE-1, R-CORE-9
struct User {
  RecordMeta meta;
  std::string email;
  std::string name;
  std::string role = "MEMBER";       // ADMIN, MEMBER, READ_ONLY
  std::optional<std::string> language;  // fr / en; unset = follow the browser
  std::string password_hash;          // argon2id; never leaves the server
};

// R-CORE-2, R-CORE-3, R-CORE-11
struct Customer {
  RecordMeta meta;
  std::optional<std::string> external_id;
  std::string name;
  std::string status = "CLIENT";  // PROSPECT, CLIENT
  std::optional<std::string> accounting_code;
  std::optional<std::string> vat_number;
  std::optional<std::string> street;
  std::optional<std::string> postal_code;
  std::optional<std::string> city;
  std::optional<std::string> region;
  std::optional<std::string> country;  // ISO 3166-1 alpha-2
  std::optional<std::string> account_manager_id;  // a user of the organization
  std::optional<std::string> dunning_plan_id;
  std::optional<int64_t> payment_delay_days;
  std::optional<std::string> parent_id;  // the group this customer belongs to
  StringMap smart_tags;
  StringMap custom_fields;
  std::optional<Date> dunning_paused_until;  // R-DUN-5: no reminder up to this day
};

// R-CORE-4
struct Contact {
  RecordMeta meta;
  std::string customer_id;
  std::string email;
  std::optional<std::string> first_name;
  std::optional<std::string> last_name;
  std::optional<std::string> phone;
  std::optional<std::string> external_id;
  std::optional<std::string> position;  // ACCOUNTING, SALES, PURCHASER, PAYER
  bool is_main = false;
};

// R-CORE-5, R-CORE-7, R-CORE-8. Invoices and credit notes share one table:
// `kind` tells them apart; a credit note's amounts are positive numbers.
struct Invoice {
  RecordMeta meta;
  std::string kind = "INVOICE";  // INVOICE, CREDIT_NOTE
  std::string number;
  std::string customer_id;
  std::optional<std::string> external_id;
  Date issue_date;
  std::optional<Date> printed_due_date;  // the date on the document, if any
  bool payable_on_receipt = false;
  Date due_date;  // effective, per R-CORE-8 (computed, stored for queries)
  std::string currency = "EUR";
  int64_t net_amount = 0;
  int64_t tax_amount = 0;
  int64_t gross_amount = 0;
  int64_t outstanding_amount = 0;  // gross minus allocations (computed)
  bool to_send = false;            // R-SEND-1; set and cleared explicitly
  bool is_void = false;            // cancelled
  std::optional<std::string> pdf_url;
  std::string origin = "api";  // "api", "import", "upload" or a connector name
  // R-DUN-5: dunning stops while any of these holds.
  bool disputed = false;
  bool on_hold = false;
  std::optional<Date> promise_to_pay_until;  // a promise to pay, pending up to this day
  // The stored copy of a remote pdf_url (a local path), fetched by the
  // connection that brought the invoice; attached to e-mails and letters.
  std::optional<std::string> pdf_file;
};

// R-CORE-6
struct Payment {
  RecordMeta meta;
  std::optional<std::string> customer_id;
  std::optional<std::string> external_id;
  int64_t amount = 0;
  std::string currency = "EUR";
  Date date;
  std::string method = "TRANSFER";  // TRANSFER, CARD, CHECK, CASH, DIRECT_DEBIT, OTHER
  std::optional<std::string> reference;
  int64_t unallocated_amount = 0;  // amount minus allocations (computed)
};

// Money moved from a payment or a credit note onto an invoice (R-CORE-5/6).
struct Allocation {
  RecordMeta meta;
  std::string source_type;  // PAYMENT, CREDIT_NOTE
  std::string source_id;
  std::string invoice_id;
  int64_t amount = 0;
};

// R-CORE-10
struct Product {
  RecordMeta meta;
  std::string code;
  std::string name;
  int64_t price = 0;
  std::string currency = "EUR";
  std::optional<int64_t> stock;  // unset = not stock-managed
  std::optional<std::string> image_url;
  bool active = true;
};

// R-DUN-1, R-DUN-2: a dunning plan. Customers reference one by id
// (Customer::dunning_plan_id); imports name it (R-IMP, "Plan de relance").
struct DunningPlan {
  RecordMeta meta;
  std::string name;               // unique per organization
  std::string level = "CUSTOMER";  // CUSTOMER (one reminder per customer), INVOICE
  bool is_default = false;         // given to new customers
  int64_t min_delay_days = 0;      // between two contacts of one customer
};

// R-DUN-1, R-SEND-3..5: one step of a plan. Reminder steps trigger at an
// offset from the due date (negative = before it) or the issue date;
// invoicing steps (customer-level plans only, R-SEND-4) at a delay from the
// issue date. Recipients are contacts chosen by position.
struct DunningStep {
  RecordMeta meta;
  std::string plan_id;
  std::string kind = "REMINDER";  // REMINDER, INVOICING
  std::string name;
  std::string channel = "EMAIL";    // EMAIL, LETTER, SMS, CALL, TASK
  std::string relative_to = "DUE_DATE";  // DUE_DATE, ISSUE_DATE
  int64_t offset_days = 0;
  std::string mode = "AUTOMATIC";  // AUTOMATIC, MANUAL (CALL and TASK are manual)
  std::string to_positions;        // "ACCOUNTING,PAYER"; empty = the main contact
  std::string cc_positions;
  std::optional<std::string> subject;  // mustache; unset = the default template's
  std::optional<std::string> body;
  std::string template_key;  // default template when body is unset: reminder_1, ...
  std::optional<std::string> owner_id;  // unset = the customer's account manager
};

// One thing to do for a customer: a reminder or an invoice to send, decided
// by the planner once per (step, invoice or customer cycle) — `dedupe_key`
// is unique per organization, so a second planning run or a restart can
// never create it twice. Automatic actions are the outbox the executor
// sends from; manual ones, failures and uncertain sends are the to-do list.
struct Action {
  RecordMeta meta;
  std::string kind = "REMINDER";  // REMINDER, INVOICING
  std::string category;           // REMINDER, INVOICING, CALL, TASK (to-do list tabs)
  std::string channel;            // EMAIL, LETTER, SMS, CALL, TASK
  std::string mode;               // AUTOMATIC, MANUAL
  // SCHEDULED (outbox), SENDING (claimed), COMMITTING (the provider may have
  // it), SENT; TODO (manual), DONE, IGNORED; FAILED (permanent), UNCERTAIN
  // (a crash after COMMITTING: perhaps sent); SKIPPED (no longer needed).
  std::string status = "SCHEDULED";
  std::string dedupe_key;
  std::string plan_id;
  std::string step_id;
  std::string customer_id;
  std::string invoice_id;   // the carrying invoice, or the invoice
  std::string invoice_ids;  // every invoice the message covers, comma-separated
  std::string due_at;       // FormatTimestamp: when it is to be sent / done
  std::optional<std::string> owner_id;
  int64_t attempts = 0;
  std::optional<std::string> next_attempt_at;
  std::optional<std::string> lease_until;
  std::optional<std::string> last_error;
  std::optional<std::string> recipients;
  std::optional<std::string> message_id;
  std::optional<std::string> provider_ref;
  std::optional<std::string> sent_at;
  std::optional<std::string> done_at;
  std::optional<std::string> done_by;
  std::optional<std::string> note;
};

// R-IMP-12: one bulk import of customers and contacts, from upload to
// report. The rejected rows are kept beside it (store/import_rejections.h).
struct ImportJob {
  RecordMeta meta;
  std::string status = "PREVIEW";  // PREVIEW, QUEUED, RUNNING, SUCCEEDED, FAILED
  std::string file_name;
  std::string format;     // csv, xlsx, xlsb, xls
  std::string encoding;   // CSV only
  std::string separator;  // CSV only
  std::string sheet;      // spreadsheets only
  std::string mapping;    // JSON object {"header": "field" | null} in column order
  bool keep_valid = false;  // R-IMP-13: write the valid rows even if some are rejected
  bool dry_run = false;     // validate and count, write nothing
  std::string phase;        // while RUNNING: validating, writing
  int64_t rows_total = 0;
  int64_t rows_done = 0;
  int64_t rows_rejected = 0;
  int64_t customers_created = 0;
  int64_t customers_updated = 0;
  int64_t contacts_created = 0;
  int64_t contacts_updated = 0;
  int64_t groups_linked = 0;
  std::optional<std::string> message;  // why it failed, in a sentence
  std::optional<std::string> created_by;  // user id
  std::string source = "api";              // api, cli
  std::optional<std::string> started_at;
  std::optional<std::string> finished_at;
};

// Where a record came from in an external system (DESIGN: external
// references). `owned_fields` are read-only through the API while the
// reference exists.
struct ExternalRef {
  std::string entity;  // "customer", "invoice", ...
  std::string record_id;
  std::string connector;  // "sellsy", ...
  std::string external_id;
  std::optional<std::string> external_version;  // version or content hash last seen
  std::optional<std::string> last_synced_at;
  std::optional<std::string> last_change_origin;  // "relance" or the connector name
  std::vector<std::string> owned_fields;
};

// One organization's link to one external system (SPEC §5). Secrets are
// sealed (sync/secret_box.h) and never leave the server; the webhook URL
// carries a random token of which only the SHA-256 is stored.
struct SyncConnection {
  RecordMeta meta;
  std::string connector;  // "sellsy"
  std::string name;
  std::string settings;        // JSON object of non-secret settings (URLs)
  std::string sealed_secrets;  // sealed JSON object (client id, secret)
  std::string webhook_token_hash;
  std::optional<std::string> webhook_id;  // the source's id of our registration
  bool enabled = true;
  // NEW (never synced), BACKFILLING, OK, ERROR (retrying), AUTH_ERROR (the
  // credentials need fixing), DISABLED.
  std::string status = "NEW";
  bool backfill_requested = true;
  std::optional<std::string> last_run_at;
  std::optional<std::string> last_success_at;
  std::optional<std::string> last_error;
  std::optional<std::string> last_error_at;
  int64_t consecutive_failures = 0;
  std::string next_run_at;  // when a runner should take it next
  std::optional<std::string> lease_owner;  // the runner holding it
  std::optional<std::string> lease_until;
  int64_t records_written = 0;
  int64_t records_rejected = 0;
};

// One run of a connection: a backfill, an incremental pass, a catch-up.
struct SyncRun {
  RecordMeta meta;
  std::string connection_id;
  std::string kind;    // BACKFILL, INCREMENTAL, CATCH_UP, WEBHOOKS
  std::string status = "RUNNING";  // RUNNING, SUCCEEDED, FAILED
  std::optional<std::string> finished_at;
  int64_t records_written = 0;
  int64_t records_unchanged = 0;
  int64_t records_rejected = 0;
  std::optional<std::string> error;
};

// R-OPS-3: one change a connector made to one record (created_at is when).
struct SyncChange {
  RecordMeta meta;
  std::string connection_id;
  std::string run_id;
  std::string entity;       // customer, contact, invoice, credit_note, payment
  std::string record_id;    // empty when the record was rejected before it existed
  std::string external_id;  // the source record
  std::string operation;    // CREATED, UPDATED, DELETED, MARKED_DELETED, REJECTED
  std::string changes;      // JSON {"field": [before, after]}, or {"error": "..."}
  std::optional<std::string> source_changed_at;
};

}  // namespace relance::domain
