#include "store/migrations/migrations.h"

#include <string>

#include "core/clock.h"

namespace relance::store {
namespace {

// Every table is keyed by (org_id, id) so rows of one organization sit
// together and the key spreads well on distributed PostgreSQL-compatible
// engines. Booleans are INTEGER 0/1, dates and instants ISO-8601 TEXT,
// money BIGINT minor units, maps JSON TEXT.
constexpr std::string_view kInitial = R"sql(
CREATE TABLE organizations (
  org_id TEXT NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  name TEXT NOT NULL, time_zone TEXT NOT NULL, send_hour BIGINT NOT NULL,
  default_payment_delay_days BIGINT NOT NULL, default_currency TEXT NOT NULL,
  language TEXT NOT NULL, send_invoices INTEGER NOT NULL,
  PRIMARY KEY (org_id, id)
);
CREATE TABLE users (
  org_id TEXT NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  email TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL, language TEXT,
  password_hash TEXT NOT NULL,
  PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE TABLE customers (
  org_id TEXT NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  external_id TEXT, name TEXT NOT NULL, status TEXT NOT NULL, accounting_code TEXT,
  vat_number TEXT, street TEXT, postal_code TEXT, city TEXT, region TEXT, country TEXT,
  account_manager_id TEXT, dunning_plan_id TEXT, payment_delay_days BIGINT, parent_id TEXT,
  smart_tags TEXT NOT NULL, custom_fields TEXT NOT NULL,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, parent_id) REFERENCES customers (org_id, id),
  FOREIGN KEY (org_id, account_manager_id) REFERENCES users (org_id, id)
);
CREATE UNIQUE INDEX customers_external_id ON customers (org_id, external_id);
CREATE INDEX customers_name ON customers (org_id, name);
CREATE INDEX customers_parent ON customers (org_id, parent_id);
CREATE TABLE contacts (
  org_id TEXT NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  customer_id TEXT NOT NULL, email TEXT NOT NULL, first_name TEXT, last_name TEXT,
  phone TEXT, external_id TEXT, position TEXT, is_main INTEGER NOT NULL,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX contacts_email ON contacts (org_id, email);
CREATE INDEX contacts_customer ON contacts (org_id, customer_id);
CREATE TABLE invoices (
  org_id TEXT NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  kind TEXT NOT NULL, number TEXT NOT NULL, customer_id TEXT NOT NULL, external_id TEXT,
  issue_date TEXT NOT NULL, printed_due_date TEXT, payable_on_receipt INTEGER NOT NULL,
  due_date TEXT NOT NULL, currency TEXT NOT NULL, net_amount BIGINT NOT NULL,
  tax_amount BIGINT NOT NULL, gross_amount BIGINT NOT NULL, outstanding_amount BIGINT NOT NULL,
  to_send INTEGER NOT NULL, is_void INTEGER NOT NULL, pdf_url TEXT, origin TEXT NOT NULL,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id)
);
CREATE UNIQUE INDEX invoices_number ON invoices (org_id, kind, number);
CREATE UNIQUE INDEX invoices_external_id ON invoices (org_id, external_id);
CREATE INDEX invoices_customer ON invoices (org_id, customer_id);
CREATE INDEX invoices_due ON invoices (org_id, due_date);
CREATE TABLE payments (
  org_id TEXT NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  customer_id TEXT, external_id TEXT, amount BIGINT NOT NULL, currency TEXT NOT NULL,
  date TEXT NOT NULL, method TEXT NOT NULL, reference TEXT, unallocated_amount BIGINT NOT NULL,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id)
);
CREATE UNIQUE INDEX payments_external_id ON payments (org_id, external_id);
CREATE TABLE allocations (
  org_id TEXT NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  source_type TEXT NOT NULL, source_id TEXT NOT NULL, invoice_id TEXT NOT NULL,
  amount BIGINT NOT NULL,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, invoice_id) REFERENCES invoices (org_id, id)
);
CREATE INDEX allocations_invoice ON allocations (org_id, invoice_id);
CREATE INDEX allocations_source ON allocations (org_id, source_id);
CREATE TABLE products (
  org_id TEXT NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  code TEXT NOT NULL, name TEXT NOT NULL, price BIGINT NOT NULL, currency TEXT NOT NULL,
  stock BIGINT, image_url TEXT, active INTEGER NOT NULL,
  PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX products_code ON products (org_id, code);
CREATE TABLE external_refs (
  org_id TEXT NOT NULL, entity TEXT NOT NULL, record_id TEXT NOT NULL,
  connector TEXT NOT NULL, external_id TEXT NOT NULL, external_version TEXT,
  last_synced_at TEXT, last_change_origin TEXT, owned_fields TEXT NOT NULL,
  PRIMARY KEY (org_id, entity, connector, external_id)
);
CREATE INDEX external_refs_record ON external_refs (org_id, entity, record_id);
CREATE TABLE api_tokens (
  org_id TEXT NOT NULL, id TEXT NOT NULL, user_id TEXT NOT NULL, name TEXT NOT NULL,
  token_hash TEXT NOT NULL, created_at TEXT NOT NULL, last_used_at TEXT,
  revoked INTEGER NOT NULL,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
CREATE TABLE sessions (
  session_hash TEXT NOT NULL PRIMARY KEY, org_id TEXT NOT NULL, user_id TEXT NOT NULL,
  created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
  FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE TABLE idempotency_keys (
  org_id TEXT NOT NULL, idem_key TEXT NOT NULL, request_hash TEXT NOT NULL,
  status BIGINT NOT NULL, response_body TEXT NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (org_id, idem_key)
)
)sql";

// Dunning plans (named by imports; their steps come with the dunning
// engine) and bulk imports with their rejected rows (R-IMP-12).
constexpr std::string_view kImports = R"sql(
CREATE TABLE dunning_plans (
  org_id TEXT NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  name TEXT NOT NULL, level TEXT NOT NULL, is_default INTEGER NOT NULL,
  min_delay_days BIGINT NOT NULL,
  PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX dunning_plans_name ON dunning_plans (org_id, name);
CREATE TABLE imports (
  org_id TEXT NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  status TEXT NOT NULL, file_name TEXT NOT NULL, format TEXT NOT NULL, encoding TEXT NOT NULL,
  separator TEXT NOT NULL, sheet TEXT NOT NULL, mapping TEXT NOT NULL,
  keep_valid INTEGER NOT NULL, dry_run INTEGER NOT NULL, phase TEXT NOT NULL,
  rows_total BIGINT NOT NULL, rows_done BIGINT NOT NULL, rows_rejected BIGINT NOT NULL,
  customers_created BIGINT NOT NULL, customers_updated BIGINT NOT NULL,
  contacts_created BIGINT NOT NULL, contacts_updated BIGINT NOT NULL,
  groups_linked BIGINT NOT NULL, message TEXT, created_by TEXT, source TEXT NOT NULL,
  started_at TEXT, finished_at TEXT,
  PRIMARY KEY (org_id, id)
);
CREATE INDEX imports_status ON imports (status);
CREATE TABLE import_rejections (
  org_id TEXT NOT NULL, import_id TEXT NOT NULL, seq BIGINT NOT NULL,
  line BIGINT NOT NULL, column_name TEXT NOT NULL, value TEXT NOT NULL, reason TEXT NOT NULL,
  PRIMARY KEY (org_id, import_id, seq),
  FOREIGN KEY (org_id, import_id) REFERENCES imports (org_id, id) ON DELETE CASCADE
)
)sql";

// Dunning (SPEC §3, §4). `actions` is at once the outbox of automatic sends
// and the to-do list: (org_id, dedupe_key) is unique so each (step, invoice
// or customer cycle) yields one action whatever runs overlap or restart.
constexpr std::string_view kDunning = R"sql(
ALTER TABLE organizations ADD COLUMN street TEXT;
ALTER TABLE organizations ADD COLUMN postal_code TEXT;
ALTER TABLE organizations ADD COLUMN city TEXT;
ALTER TABLE organizations ADD COLUMN country TEXT;
ALTER TABLE organizations ADD COLUMN email TEXT;
ALTER TABLE organizations ADD COLUMN phone TEXT;
ALTER TABLE organizations ADD COLUMN holiday_calendar TEXT;
ALTER TABLE customers ADD COLUMN dunning_paused_until TEXT;
ALTER TABLE invoices ADD COLUMN disputed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN on_hold INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN promise_to_pay_until TEXT;
-- The planner's scan of a batch of customers' open invoices reads only this
-- index (no lookup into the table per invoice, which made it random I/O).
CREATE INDEX invoices_dunning ON invoices (org_id, customer_id, kind, is_void, outstanding_amount,
  to_send, due_date, issue_date, disputed, on_hold, promise_to_pay_until, created_at, id);
CREATE TABLE dunning_steps (
  org_id TEXT NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  plan_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, channel TEXT NOT NULL,
  relative_to TEXT NOT NULL, offset_days BIGINT NOT NULL, mode TEXT NOT NULL,
  to_positions TEXT NOT NULL, cc_positions TEXT NOT NULL, subject TEXT, body TEXT,
  template_key TEXT NOT NULL, owner_id TEXT,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, plan_id) REFERENCES dunning_plans (org_id, id) ON DELETE CASCADE
);
CREATE INDEX dunning_steps_plan ON dunning_steps (org_id, plan_id);
CREATE TABLE actions (
  org_id TEXT NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  kind TEXT NOT NULL, category TEXT NOT NULL, channel TEXT NOT NULL, mode TEXT NOT NULL,
  status TEXT NOT NULL, dedupe_key TEXT NOT NULL, plan_id TEXT NOT NULL, step_id TEXT NOT NULL,
  customer_id TEXT NOT NULL, invoice_id TEXT NOT NULL, invoice_ids TEXT NOT NULL,
  due_at TEXT NOT NULL, owner_id TEXT, attempts BIGINT NOT NULL, next_attempt_at TEXT,
  lease_until TEXT, last_error TEXT, recipients TEXT, message_id TEXT, provider_ref TEXT,
  sent_at TEXT, done_at TEXT, done_by TEXT, note TEXT,
  PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX actions_dedupe ON actions (org_id, dedupe_key);
CREATE INDEX actions_customer ON actions (org_id, customer_id);
CREATE INDEX actions_status ON actions (status, due_at)
)sql";

// Sync (SPEC §5, R-OPS-3). A connection is one organization's link to one
// external system; its secrets are sealed (sync/secret_box.h). Cursors move
// in the transaction that writes their page; the inbox keeps webhook hints
// until a runner has applied them; the change log says, for every record a
// connector wrote, which sync, which source record, what changed and when.
constexpr std::string_view kSync = R"sql(
CREATE TABLE sync_connections (
  org_id TEXT NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  connector TEXT NOT NULL, name TEXT NOT NULL, settings TEXT NOT NULL, sealed_secrets TEXT NOT NULL,
  webhook_token_hash TEXT NOT NULL, webhook_id TEXT, enabled INTEGER NOT NULL,
  status TEXT NOT NULL, backfill_requested INTEGER NOT NULL,
  last_run_at TEXT, last_success_at TEXT, last_error TEXT, last_error_at TEXT,
  consecutive_failures BIGINT NOT NULL, next_run_at TEXT NOT NULL,
  lease_owner TEXT, lease_until TEXT,
  records_written BIGINT NOT NULL, records_rejected BIGINT NOT NULL,
  PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX sync_connections_webhook ON sync_connections (webhook_token_hash);
CREATE UNIQUE INDEX sync_connections_connector ON sync_connections (org_id, connector);
CREATE INDEX sync_connections_due ON sync_connections (next_run_at);
CREATE TABLE sync_cursors (
  org_id TEXT NOT NULL, connection_id TEXT NOT NULL, stream TEXT NOT NULL,
  cursor_value TEXT NOT NULL, scan_id TEXT NOT NULL, last_full_scan_at TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (org_id, connection_id, stream)
);
CREATE TABLE sync_inbox (
  org_id TEXT NOT NULL, connection_id TEXT NOT NULL, id TEXT NOT NULL,
  object_type TEXT NOT NULL, object_id TEXT NOT NULL, event TEXT NOT NULL,
  received_at TEXT NOT NULL, attempts BIGINT NOT NULL, last_error TEXT,
  PRIMARY KEY (org_id, connection_id, id)
);
CREATE TABLE sync_runs (
  org_id TEXT NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  connection_id TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, finished_at TEXT,
  records_written BIGINT NOT NULL, records_unchanged BIGINT NOT NULL,
  records_rejected BIGINT NOT NULL, error TEXT,
  PRIMARY KEY (org_id, id)
);
CREATE INDEX sync_runs_connection ON sync_runs (org_id, connection_id, id);
CREATE TABLE sync_changes (
  org_id TEXT NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  connection_id TEXT NOT NULL, run_id TEXT NOT NULL, entity TEXT NOT NULL,
  record_id TEXT NOT NULL, external_id TEXT NOT NULL, operation TEXT NOT NULL,
  changes TEXT NOT NULL, source_changed_at TEXT,
  PRIMARY KEY (org_id, id)
);
CREATE INDEX sync_changes_record ON sync_changes (org_id, entity, record_id);
CREATE INDEX sync_changes_connection ON sync_changes (org_id, connection_id, id);
ALTER TABLE invoices ADD COLUMN pdf_file TEXT;
ALTER TABLE external_refs ADD COLUMN kind TEXT;
ALTER TABLE external_refs ADD COLUMN last_seen_scan TEXT;
CREATE INDEX external_refs_scan ON external_refs (org_id, connector, kind, last_seen_scan)
)sql";

// Bounces (dunning/bounce_service.h) find the action that sent a message by
// its Message-ID.
constexpr std::string_view kActionMessageId = R"sql(
CREATE INDEX actions_message_id ON actions (org_id, message_id)
)sql";

// The planner reads open invoices only: a partial index of them (paid and
// void invoices, most of a mature ledger, are not in it) makes a day's
// planning cost what is open, not what was ever invoiced. It holds every
// column the planner's query names, kind and is_void included (SQLite counts
// an index as covering only then), so the scan never visits the table.
constexpr std::string_view kOpenInvoices = R"sql(
DROP INDEX invoices_dunning;
CREATE INDEX invoices_open ON invoices (org_id, customer_id, due_date, issue_date,
  outstanding_amount, to_send, disputed, on_hold, promise_to_pay_until, created_at, id, kind,
  is_void)
  WHERE kind = 'INVOICE' AND is_void = 0 AND (outstanding_amount > 0 OR to_send = 1);
-- The customers it walks, those with a plan, the same way.
CREATE INDEX customers_dunning ON customers (org_id, id, dunning_plan_id, dunning_paused_until,
  account_manager_id) WHERE dunning_plan_id IS NOT NULL
)sql";

// A counter per organization and table that every write to the table moves
// (store/change_stamps.h): cached list pages are valid while it stands still.
constexpr std::string_view kChangeStamps = R"sql(
CREATE TABLE change_stamps (
  org_id TEXT NOT NULL, table_name TEXT NOT NULL, stamp BIGINT NOT NULL,
  PRIMARY KEY (org_id, table_name)
)
)sql";

const std::vector<Migration> kMigrations = {
    {1, "initial schema", kInitial},
    {2, "dunning plans and imports", kImports},
    {3, "dunning steps, actions, disputes and pauses", kDunning},
    {4, "sync connections, cursors, inbox, runs and change log", kSync},
    {5, "actions found by Message-ID (bounces)", kActionMessageId},
    {6, "partial indexes of the open invoices and the customers with a plan", kOpenInvoices},
    {7, "change stamps of the tables cached lists read", kChangeStamps},
};

constexpr std::string_view kCreateLedger =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT NOT NULL PRIMARY KEY, "
    "name TEXT NOT NULL, applied_at TEXT NOT NULL)";

}  // namespace

const std::vector<Migration>& AllMigrations() { return kMigrations; }

Result<int> CurrentSchemaVersion(Database& db) {
  ASSIGN_OR_RETURN(PooledConnection conn, db.Acquire());
  ASSIGN_OR_RETURN(auto rows, conn->Query("SELECT MAX(version) FROM schema_migrations"));
  return rows.empty() || rows[0].IsNull(0) ? 0 : static_cast<int>(rows[0].Int(0));
}

Result<std::vector<int>> ApplyMigrations(Database& db) {
  {
    ASSIGN_OR_RETURN(PooledConnection conn, db.Acquire());
    RETURN_IF_ERROR(conn->Exec(kCreateLedger));
  }
  ASSIGN_OR_RETURN(int current, CurrentSchemaVersion(db));
  std::vector<int> applied;
  SystemClock clock;
  for (const Migration& m : kMigrations) {
    if (m.version <= current) continue;
    Result<void> r = InTransaction(db, [&](Connection& c) -> Result<void> {
      // The ledger row first: a concurrent starter fails here on the key and
      // rolls back instead of running the DDL twice.
      SqlValue params[] = {int64_t{m.version}, std::string(m.name),
                           FormatTimestamp(clock.Now())};
      RETURN_IF_ERROR(
          c.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                 params));
      return c.ExecScript(m.sql);
    });
    if (!r.ok()) {
      if (r.error().code() == ErrorCode::kAlreadyExists) continue;  // another process did it
      return Error(r.error().code(), "migration " + std::to_string(m.version) + " (" +
                                         std::string(m.name) + ") failed: " + r.error().message());
    }
    applied.push_back(m.version);
  }
  return applied;
}

}  // namespace relance::store
