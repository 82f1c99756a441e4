// The field tables of every entity. Order here is the order of JSON members
// and of SQL columns after the common ones (id, org_id, version, created_at,
// updated_at), which store/migrations/ must match.
#include "core/ids.h"
#include "domain/entity_spec.h"

namespace relance::domain {
namespace {

constexpr unsigned kReq = kRequired;
constexpr unsigned kOut = kOutputOnly;
constexpr unsigned kFil = kFilterable;
constexpr unsigned kSort = kSortable;

}  // namespace

const EntitySpec<Organization>& OrganizationSpec() {
  using O = Organization;
  static const EntitySpec<O> spec{
      "organizations", "organizations", kOrgPrefix, "organization",
      {
          {"name", FieldType::kText, kReq | kSort, &O::name},
          {"time_zone", FieldType::kText, 0, &O::time_zone, {}, {}, "IANA time zone, e.g. Europe/Paris"},
          {"send_hour", FieldType::kInt, 0, &O::send_hour, {}, {},
           "Local hour (0-23) at which automatic sends go out"},
          {"default_payment_delay_days", FieldType::kInt, 0, &O::default_payment_delay_days},
          {"default_currency", FieldType::kText, 0, &O::default_currency, {}, {}, "ISO 4217"},
          {"language", FieldType::kText, 0, &O::language, {"fr", "en"}},
          {"send_invoices", FieldType::kBool, 0, &O::send_invoices, {}, {},
           "Send invoices from Relance (R-SEND-1)"},
          {"street", FieldType::kText, 0, &O::street},
          {"postal_code", FieldType::kText, 0, &O::postal_code},
          {"city", FieldType::kText, 0, &O::city},
          {"country", FieldType::kText, 0, &O::country, {}, {}, "ISO 3166-1 alpha-2"},
          {"email", FieldType::kText, 0, &O::email, {}, {}, "Sender of e-mails"},
          {"phone", FieldType::kText, 0, &O::phone},
          {"holiday_calendar", FieldType::kText, 0, &O::holiday_calendar, {"FR"}, {},
           "Public holidays skipped by automatic sends"},
      }};
  return spec;
}

const EntitySpec<User>& UserSpec() {
  using U = User;
  static const EntitySpec<U> spec{
      "users", "users", kUserPrefix, "user",
      {
          {"email", FieldType::kText, kReq | kFil | kSort, &U::email},
          {"name", FieldType::kText, kSort, &U::name},
          {"role", FieldType::kText, kFil, &U::role, {"ADMIN", "MEMBER", "READ_ONLY"}},
          {"language", FieldType::kText, 0, &U::language, {"fr", "en"}},
          {"password_hash", FieldType::kText, kSecret | kOut, &U::password_hash},
      }};
  return spec;
}

const EntitySpec<Customer>& CustomerSpec() {
  using C = Customer;
  static const EntitySpec<C> spec{
      "customers", "customers", kCustomerPrefix, "customer",
      {
          {"external_id", FieldType::kText, kFil | kSort, &C::external_id, {}, {},
           "Identifiant Client: unique per organization when present"},
          {"name", FieldType::kText, kReq | kFil | kSort, &C::name},
          {"status", FieldType::kText, kFil, &C::status, {"PROSPECT", "CLIENT"}},
          {"accounting_code", FieldType::kText, kFil, &C::accounting_code},
          {"vat_number", FieldType::kText, 0, &C::vat_number},
          {"street", FieldType::kText, 0, &C::street},
          {"postal_code", FieldType::kText, 0, &C::postal_code},
          {"city", FieldType::kText, kFil | kSort, &C::city},
          {"region", FieldType::kText, 0, &C::region},
          {"country", FieldType::kText, kFil, &C::country, {}, {}, "ISO 3166-1 alpha-2"},
          {"account_manager_id", FieldType::kText, kFil, &C::account_manager_id, {}, kUserPrefix},
          {"dunning_plan_id", FieldType::kText, kFil, &C::dunning_plan_id, {}, kDunningPlanPrefix},
          {"payment_delay_days", FieldType::kInt, 0, &C::payment_delay_days},
          {"parent_id", FieldType::kText, kFil, &C::parent_id, {}, kCustomerPrefix,
           "The group (parent customer) this customer belongs to"},
          {"smart_tags", FieldType::kMap, 0, &C::smart_tags},
          {"custom_fields", FieldType::kMap, 0, &C::custom_fields},
          {"dunning_paused_until", FieldType::kDate, 0, &C::dunning_paused_until, {}, {},
           "No reminder is sent up to this day (R-DUN-5)"},
      }};
  return spec;
}

const EntitySpec<Contact>& ContactSpec() {
  using C = Contact;
  static const EntitySpec<C> spec{
      "contacts", "contacts", kContactPrefix, "contact",
      {
          {"customer_id", FieldType::kText, kReq | kFil | kCreateOnly, &C::customer_id, {},
           kCustomerPrefix},
          {"email", FieldType::kText, kReq | kFil | kSort, &C::email},
          {"first_name", FieldType::kText, 0, &C::first_name},
          {"last_name", FieldType::kText, kSort, &C::last_name},
          {"phone", FieldType::kText, 0, &C::phone},
          {"external_id", FieldType::kText, kFil, &C::external_id},
          {"position", FieldType::kText, kFil, &C::position,
           {"ACCOUNTING", "SALES", "PURCHASER", "PAYER"}},
          {"is_main", FieldType::kBool, kFil, &C::is_main},
      }};
  return spec;
}

const EntitySpec<Invoice>& InvoiceSpec() {
  using I = Invoice;
  static const EntitySpec<I> spec{
      "invoices", "invoices", kInvoicePrefix, "invoice",
      {
          {"kind", FieldType::kText, kFil | kCreateOnly, &I::kind, {"INVOICE", "CREDIT_NOTE"}},
          {"number", FieldType::kText, kReq | kFil | kSort, &I::number},
          {"customer_id", FieldType::kText, kReq | kFil, &I::customer_id, {}, kCustomerPrefix},
          {"external_id", FieldType::kText, kFil, &I::external_id},
          {"issue_date", FieldType::kDate, kReq | kSort, &I::issue_date},
          {"printed_due_date", FieldType::kDate, 0, &I::printed_due_date, {}, {},
           "The due date printed on the document, if any (R-CORE-8)"},
          {"payable_on_receipt", FieldType::kBool, 0, &I::payable_on_receipt},
          {"due_date", FieldType::kDate, kOut | kSort, &I::due_date, {}, {},
           "Effective due date (R-CORE-8)"},
          {"currency", FieldType::kText, kFil, &I::currency, {}, {}, "ISO 4217"},
          {"net_amount", FieldType::kMoney, 0, &I::net_amount},
          {"tax_amount", FieldType::kMoney, 0, &I::tax_amount},
          {"gross_amount", FieldType::kMoney, kReq | kSort, &I::gross_amount},
          {"outstanding_amount", FieldType::kMoney, kOut | kSort, &I::outstanding_amount},
          {"to_send", FieldType::kBool, kOut, &I::to_send},
          {"is_void", FieldType::kBool, 0, &I::is_void},
          {"pdf_url", FieldType::kText, 0, &I::pdf_url},
          {"origin", FieldType::kText, kOut | kFil, &I::origin},
          {"disputed", FieldType::kBool, kFil, &I::disputed, {}, {},
           "A dispute is open: dunning stops (R-DUN-5)"},
          {"on_hold", FieldType::kBool, kFil, &I::on_hold, {}, {}, "Dunning on hold (R-DUN-5)"},
          {"promise_to_pay_until", FieldType::kDate, 0, &I::promise_to_pay_until, {}, {},
           "A promise to pay, pending up to this day: dunning stops (R-DUN-5)"},
          {"pdf_file", FieldType::kText, kOut, &I::pdf_file, {}, {},
           "Set when a stored copy of the remote pdf_url exists (fetched by the connection)"},
      }};
  return spec;
}

const EntitySpec<Payment>& PaymentSpec() {
  using P = Payment;
  static const EntitySpec<P> spec{
      "payments", "payments", kPaymentPrefix, "payment",
      {
          {"customer_id", FieldType::kText, kFil, &P::customer_id, {}, kCustomerPrefix},
          {"external_id", FieldType::kText, kFil, &P::external_id},
          {"amount", FieldType::kMoney, kReq | kSort | kCreateOnly, &P::amount},
          {"currency", FieldType::kText, kCreateOnly, &P::currency, {}, {}, "ISO 4217"},
          {"date", FieldType::kDate, kReq | kSort, &P::date},
          {"method", FieldType::kText, kFil, &P::method,
           {"TRANSFER", "CARD", "CHECK", "CASH", "DIRECT_DEBIT", "OTHER"}},
          {"reference", FieldType::kText, 0, &P::reference},
          {"unallocated_amount", FieldType::kMoney, kOut, &P::unallocated_amount},
      }};
  return spec;
}

const EntitySpec<Allocation>& AllocationSpec() {
  using A = Allocation;
  static const EntitySpec<A> spec{
      "allocations", "allocations", kAllocationPrefix, "allocation",
      {
          {"source_type", FieldType::kText, kReq | kFil | kCreateOnly, &A::source_type,
           {"PAYMENT", "CREDIT_NOTE"}},
          {"source_id", FieldType::kText, kReq | kFil | kCreateOnly, &A::source_id},
          {"invoice_id", FieldType::kText, kReq | kFil | kCreateOnly, &A::invoice_id, {},
           kInvoicePrefix},
          {"amount", FieldType::kMoney, kReq | kCreateOnly, &A::amount},
      }};
  return spec;
}

const EntitySpec<Product>& ProductSpec() {
  using P = Product;
  static const EntitySpec<P> spec{
      "products", "products", kProductPrefix, "product",
      {
          {"code", FieldType::kText, kReq | kFil | kSort, &P::code},
          {"name", FieldType::kText, kReq | kSort, &P::name},
          {"price", FieldType::kMoney, kSort, &P::price},
          {"currency", FieldType::kText, 0, &P::currency, {}, {}, "ISO 4217"},
          {"stock", FieldType::kInt, 0, &P::stock, {}, {}, "null when not stock-managed"},
          {"image_url", FieldType::kText, 0, &P::image_url},
          {"active", FieldType::kBool, kFil, &P::active},
      }};
  return spec;
}

const EntitySpec<DunningPlan>& DunningPlanSpec() {
  using D = DunningPlan;
  static const EntitySpec<D> spec{
      "dunning-plans", "dunning_plans", kDunningPlanPrefix, "dunning plan",
      {
          {"name", FieldType::kText, kReq | kFil | kSort, &D::name, {}, {},
           "Unique in the organization; imports name plans by it"},
          {"level", FieldType::kText, kFil, &D::level, {"CUSTOMER", "INVOICE"},
           {}, "CUSTOMER: one reminder covers the customer's open invoices; INVOICE: each alone"},
          {"is_default", FieldType::kBool, kFil, &D::is_default, {}, {},
           "Given to new customers"},
          {"min_delay_days", FieldType::kInt, 0, &D::min_delay_days, {}, {},
           "Minimum days between two contacts of one customer"},
      }};
  return spec;
}

const EntitySpec<DunningStep>& DunningStepSpec() {
  using D = DunningStep;
  static const EntitySpec<D> spec{
      "dunning-steps", "dunning_steps", kDunningStepPrefix, "dunning step",
      {
          {"plan_id", FieldType::kText, kReq | kFil | kCreateOnly, &D::plan_id, {},
           kDunningPlanPrefix},
          {"kind", FieldType::kText, kFil | kCreateOnly, &D::kind, {"REMINDER", "INVOICING"}, {},
           "INVOICING steps send the invoice itself (customer-level plans only, R-SEND-4)"},
          {"name", FieldType::kText, kSort, &D::name},
          {"channel", FieldType::kText, kFil, &D::channel, {"EMAIL", "LETTER", "SMS", "CALL", "TASK"}},
          {"relative_to", FieldType::kText, 0, &D::relative_to, {"DUE_DATE", "ISSUE_DATE"}, {},
           "What offset_days counts from; invoicing steps count from the issue date"},
          {"offset_days", FieldType::kInt, kSort, &D::offset_days, {}, {},
           "Days after the trigger date (negative = before the due date)"},
          {"mode", FieldType::kText, 0, &D::mode, {"AUTOMATIC", "MANUAL"}},
          {"to_positions", FieldType::kText, 0, &D::to_positions, {}, {},
           "Comma-separated contact positions; empty = the main contact"},
          {"cc_positions", FieldType::kText, 0, &D::cc_positions},
          {"subject", FieldType::kText, 0, &D::subject, {}, {}, "Mustache template"},
          {"body", FieldType::kText, 0, &D::body, {}, {},
           "Mustache template (limited HTML for e-mails)"},
          {"template_key", FieldType::kText, 0, &D::template_key,
           {"", "reminder_1", "reminder_2", "final_notice", "sms", "letter", "invoice"}, {},
           "Default template used when body is not set"},
          {"owner_id", FieldType::kText, kFil, &D::owner_id, {}, kUserPrefix,
           "Who does the manual actions; unset = the customer's account manager"},
      }};
  return spec;
}

const EntitySpec<Action>& ActionSpec() {
  using A = Action;
  constexpr unsigned kO = kOut;
  static const EntitySpec<A> spec{
      "actions", "actions", kActionPrefix, "action",
      {
          {"kind", FieldType::kText, kO | kFil, &A::kind, {"REMINDER", "INVOICING"}},
          {"category", FieldType::kText, kO | kFil, &A::category,
           {"REMINDER", "INVOICING", "CALL", "TASK"}},
          {"channel", FieldType::kText, kO | kFil, &A::channel},
          {"mode", FieldType::kText, kO | kFil, &A::mode},
          {"status", FieldType::kText, kO | kFil, &A::status,
           {"SCHEDULED", "SENDING", "COMMITTING", "SENT", "TODO", "DONE", "IGNORED", "FAILED",
            "UNCERTAIN", "SKIPPED"}},
          {"dedupe_key", FieldType::kText, kO, &A::dedupe_key},
          {"plan_id", FieldType::kText, kO | kFil, &A::plan_id},
          {"step_id", FieldType::kText, kO | kFil, &A::step_id},
          {"customer_id", FieldType::kText, kO | kFil, &A::customer_id},
          {"invoice_id", FieldType::kText, kO | kFil, &A::invoice_id},
          {"invoice_ids", FieldType::kText, kO, &A::invoice_ids},
          {"due_at", FieldType::kText, kO | kSort, &A::due_at},
          {"owner_id", FieldType::kText, kO | kFil, &A::owner_id},
          {"attempts", FieldType::kInt, kO, &A::attempts},
          {"next_attempt_at", FieldType::kText, kO, &A::next_attempt_at},
          {"lease_until", FieldType::kText, kO, &A::lease_until},
          {"last_error", FieldType::kText, kO, &A::last_error},
          {"recipients", FieldType::kText, kO, &A::recipients},
          {"message_id", FieldType::kText, kO, &A::message_id},
          {"provider_ref", FieldType::kText, kO, &A::provider_ref},
          {"sent_at", FieldType::kText, kO, &A::sent_at},
          {"done_at", FieldType::kText, kO, &A::done_at},
          {"done_by", FieldType::kText, kO, &A::done_by},
          {"note", FieldType::kText, kO, &A::note},
      }};
  return spec;
}

const EntitySpec<ImportJob>& ImportJobSpec() {
  using J = ImportJob;
  constexpr unsigned kO = kOut;
  static const EntitySpec<J> spec{
      "imports", "imports", kImportPrefix, "import",
      {
          {"status", FieldType::kText, kO | kFil, &J::status,
           {"PREVIEW", "QUEUED", "RUNNING", "SUCCEEDED", "FAILED"}},
          {"file_name", FieldType::kText, kO, &J::file_name},
          {"format", FieldType::kText, kO, &J::format, {"csv", "xlsx", "xlsb", "xls"}},
          {"encoding", FieldType::kText, kO, &J::encoding},
          {"separator", FieldType::kText, kO, &J::separator},
          {"sheet", FieldType::kText, kO, &J::sheet},
          {"mapping", FieldType::kText, kO, &J::mapping, {}, {},
           "JSON object: file header -> field name, or null for an ignored column"},
          {"keep_valid", FieldType::kBool, kO, &J::keep_valid},
          {"dry_run", FieldType::kBool, kO, &J::dry_run},
          {"phase", FieldType::kText, kO, &J::phase},
          {"rows_total", FieldType::kInt, kO, &J::rows_total},
          {"rows_done", FieldType::kInt, kO, &J::rows_done},
          {"rows_rejected", FieldType::kInt, kO, &J::rows_rejected},
          {"customers_created", FieldType::kInt, kO, &J::customers_created},
          {"customers_updated", FieldType::kInt, kO, &J::customers_updated},
          {"contacts_created", FieldType::kInt, kO, &J::contacts_created},
          {"contacts_updated", FieldType::kInt, kO, &J::contacts_updated},
          {"groups_linked", FieldType::kInt, kO, &J::groups_linked},
          {"message", FieldType::kText, kO, &J::message},
          {"created_by", FieldType::kText, kO, &J::created_by},
          {"source", FieldType::kText, kO | kFil, &J::source},
          {"started_at", FieldType::kText, kO, &J::started_at},
          {"finished_at", FieldType::kText, kO, &J::finished_at},
      }};
  return spec;
}

const EntitySpec<SyncConnection>& SyncConnectionSpec() {
  using S = SyncConnection;
  constexpr unsigned kO = kOut;
  constexpr unsigned kHidden = kOut | kSecret;
  static const EntitySpec<S> spec{
      "connections", "sync_connections", kConnectionPrefix, "connection",
      {
          {"connector", FieldType::kText, kReq | kCreateOnly | kFil, &S::connector, {"sellsy"}},
          {"name", FieldType::kText, kReq | kSort, &S::name},
          {"settings", FieldType::kText, kO, &S::settings, {}, {},
           "JSON object of the non-secret settings (API and token URLs)"},
          {"sealed_secrets", FieldType::kText, kHidden, &S::sealed_secrets},
          {"webhook_token_hash", FieldType::kText, kHidden, &S::webhook_token_hash},
          {"webhook_id", FieldType::kText, kO, &S::webhook_id, {}, {},
           "The source's id of the webhook registered for this connection"},
          {"enabled", FieldType::kBool, 0, &S::enabled, {}, {}, "Scheduled syncs run only when true"},
          {"status", FieldType::kText, kO | kFil, &S::status,
           {"NEW", "BACKFILLING", "OK", "ERROR", "AUTH_ERROR", "DISABLED"}},
          {"backfill_requested", FieldType::kBool, kO, &S::backfill_requested},
          {"last_run_at", FieldType::kText, kO, &S::last_run_at},
          {"last_success_at", FieldType::kText, kO, &S::last_success_at},
          {"last_error", FieldType::kText, kO, &S::last_error},
          {"last_error_at", FieldType::kText, kO, &S::last_error_at},
          {"consecutive_failures", FieldType::kInt, kO, &S::consecutive_failures},
          {"next_run_at", FieldType::kText, kO, &S::next_run_at},
          {"lease_owner", FieldType::kText, kHidden, &S::lease_owner},
          {"lease_until", FieldType::kText, kO, &S::lease_until},
          {"records_written", FieldType::kInt, kO, &S::records_written},
          {"records_rejected", FieldType::kInt, kO, &S::records_rejected},
      }};
  return spec;
}

const EntitySpec<SyncRun>& SyncRunSpec() {
  using R = SyncRun;
  constexpr unsigned kO = kOut;
  static const EntitySpec<R> spec{
      "sync-runs", "sync_runs", kSyncRunPrefix, "sync run",
      {
          {"connection_id", FieldType::kText, kO | kFil, &R::connection_id, {}, kConnectionPrefix},
          {"kind", FieldType::kText, kO | kFil, &R::kind,
           {"BACKFILL", "INCREMENTAL", "CATCH_UP", "WEBHOOKS"}},
          {"status", FieldType::kText, kO | kFil, &R::status, {"RUNNING", "SUCCEEDED", "FAILED"}},
          {"finished_at", FieldType::kText, kO, &R::finished_at},
          {"records_written", FieldType::kInt, kO, &R::records_written},
          {"records_unchanged", FieldType::kInt, kO, &R::records_unchanged},
          {"records_rejected", FieldType::kInt, kO, &R::records_rejected},
          {"error", FieldType::kText, kO, &R::error},
      }};
  return spec;
}

const EntitySpec<SyncChange>& SyncChangeSpec() {
  using C = SyncChange;
  constexpr unsigned kO = kOut;
  static const EntitySpec<C> spec{
      "sync-changes", "sync_changes", kSyncChangePrefix, "sync change",
      {
          {"connection_id", FieldType::kText, kO | kFil, &C::connection_id, {}, kConnectionPrefix},
          {"run_id", FieldType::kText, kO | kFil, &C::run_id, {}, kSyncRunPrefix},
          {"entity", FieldType::kText, kO | kFil, &C::entity,
           {"customer", "contact", "invoice", "credit_note", "payment"}},
          {"record_id", FieldType::kText, kO | kFil, &C::record_id},
          {"external_id", FieldType::kText, kO | kFil, &C::external_id},
          {"operation", FieldType::kText, kO | kFil, &C::operation,
           {"CREATED", "UPDATED", "DELETED", "MARKED_DELETED", "REJECTED"}},
          {"changes", FieldType::kText, kO, &C::changes, {}, {},
           "JSON object: field -> [before, after]; for a rejection, {\"error\": reason}"},
          {"source_changed_at", FieldType::kText, kO, &C::source_changed_at},
      }};
  return spec;
}

}  // namespace relance::domain
