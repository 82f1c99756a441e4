#include "store/dunning_queries.h"

#include "store/record_repository.h"

#include "store/change_stamps.h"

namespace relance::store {
namespace {

std::optional<std::string> OptText(const SqlRow& r, size_t i) {
  if (r.IsNull(i)) return std::nullopt;
  return r.Text(i);
}

}  // namespace

Result<std::vector<std::string>> OrganizationIds(Connection& c) {
  ASSIGN_OR_RETURN(auto rows, c.Query("SELECT id FROM organizations ORDER BY id"));
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(r.Text(0));
  return out;
}

Result<void> ClearOtherDefaultPlans(Connection& c, const std::string& org_id,
                                    const std::string& except_plan_id, const std::string& now) {
  SqlValue params[] = {now, org_id, except_plan_id};
  RETURN_IF_ERROR(c.Exec("UPDATE dunning_plans SET is_default = 0, version = version + 1, updated_at = ? "
            "WHERE org_id = ? AND id <> ? AND is_default = 1",
                         params));
  return Ok();
}

std::string_view DunningCustomersSql() {
  // Answered from the partial index customers_dunning alone (migration 6).
  return "SELECT id, dunning_plan_id, dunning_paused_until, account_manager_id FROM customers "
         "WHERE org_id = ? AND id > ? AND dunning_plan_id IS NOT NULL ORDER BY id LIMIT ?";
}

Result<std::vector<DunningCustomerRow>> DunningCustomersAfter(Connection& c,
                                                              const std::string& org_id,
                                                              const std::string& after_id,
                                                              int limit) {
  SqlValue params[] = {org_id, after_id, int64_t{limit}};
  std::vector<DunningCustomerRow> out;
  out.reserve(limit > 0 ? static_cast<size_t>(limit) : 0);
  RETURN_IF_ERROR(c.QueryEach(
      DunningCustomersSql(), params, [&](const SqlRow& r) -> Result<void> {
        out.push_back({r.Text(0), r.Text(1), OptText(r, 2), OptText(r, 3)});
        return Ok();
      }));
  return out;
}

std::string_view OpenInvoicesSql() {
  // The partial index invoices_open holds these rows and columns: the scan
  // never reads the table. Its WHERE must stay this query's, word for word,
  // for both planners to see that the index serves it.
  return "SELECT id, customer_id, issue_date, due_date, outstanding_amount, to_send, disputed, "
         "on_hold, promise_to_pay_until, created_at FROM invoices WHERE org_id = ? AND customer_id "
         ">= ? AND customer_id <= ? AND kind = 'INVOICE' AND is_void = 0 AND (outstanding_amount > "
         "0 OR to_send = 1) ORDER BY customer_id";
}

Result<OpenInvoices> OpenInvoicesOfCustomers(Connection& c, const std::string& org_id,
                                             const std::string& first_id,
                                             const std::string& last_id) {
  SqlValue params[] = {org_id, first_id, last_id};
  OpenInvoices out;
  RETURN_IF_ERROR(c.QueryEach(
      OpenInvoicesSql(), params, [&](const SqlRow& r) -> Result<void> {
        OpenInvoiceRow row;
        row.id = r.Text(0);
        // Rows come grouped by customer: a new id only when it changes.
        const std::string& customer = std::get<std::string>(r.Raw(1));
        if (out.customer_ids.empty() || out.customer_ids.back() != customer) {
          out.customer_ids.push_back(customer);
        }
        row.customer_id = out.customer_ids.back();
        ASSIGN_OR_RETURN(row.issue_date, Date::Parse(std::get<std::string>(r.Raw(2))));
        ASSIGN_OR_RETURN(row.due_date, Date::Parse(std::get<std::string>(r.Raw(3))));
        row.outstanding = r.Int(4);
        row.to_send = r.Int(5) != 0;
        row.disputed = r.Int(6) != 0;
        row.on_hold = r.Int(7) != 0;
        if (!r.IsNull(8)) {
          ASSIGN_OR_RETURN(Date d, Date::Parse(std::get<std::string>(r.Raw(8))));
          row.promise_until = d;
        }
        if (row.to_send) row.created_at = r.Text(9);
        out.rows.push_back(std::move(row));
        return Ok();
      }));
  return out;
}

Result<std::vector<ActionRow>> ActionsOfCustomers(Connection& c, const std::string& org_id,
                                                  const std::string& first_id,
                                                  const std::string& last_id) {
  SqlValue params[] = {org_id, first_id, last_id};
  std::vector<ActionRow> out;
  RETURN_IF_ERROR(c.QueryEach(
      "SELECT customer_id, dedupe_key, kind, channel, status, COALESCE(sent_at, done_at, due_at) "
      "FROM actions WHERE org_id = ? AND customer_id >= ? AND customer_id <= ? "
      "ORDER BY customer_id",
      params, [&](const SqlRow& r) -> Result<void> {
        out.push_back({r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5)});
        return Ok();
      }));
  return out;
}

Result<bool> InsertActionIfNew(Connection& c, const domain::Action& action) {
  static const RecordRepository<domain::Action> repo(domain::ActionSpec());
  static const std::string sql = [] {
    std::string columns, marks;
    for (const auto& name : repo.ColumnNames()) {
      if (!columns.empty()) {
        columns += ", ";
        marks += ", ";
      }
      columns += name;
      marks += "?";
    }
    // Portable upsert-ignore: SQLite 3.24+ and PostgreSQL 9.5+ both read it.
    return "INSERT INTO actions (" + columns + ") VALUES (" + marks +
           ") ON CONFLICT (org_id, dedupe_key) DO NOTHING";
  }();
  std::vector<SqlValue> values = repo.ToValues(action);
  ASSIGN_OR_RETURN(int64_t n, c.Exec(sql, values));
  return n == 1;
}

Result<std::vector<ActionKey>> DueScheduledActions(Connection& c, const std::string& now,
                                                   const std::vector<std::string>& channels,
                                                   const std::optional<std::string>& org_id,
                                                   int limit) {
  if (channels.empty()) return std::vector<ActionKey>();
  std::vector<SqlValue> params = {now, now};
  if (org_id) params.push_back(*org_id);
  std::string in;
  for (const auto& ch : channels) {
    in += in.empty() ? "?" : ", ?";
    params.push_back(ch);
  }
  params.push_back(int64_t{limit});
  ASSIGN_OR_RETURN(auto rows,
                   c.Query("SELECT org_id, id FROM actions WHERE status = 'SCHEDULED' AND due_at "
                           "<= ? AND (next_attempt_at IS NULL OR next_attempt_at <= ?) AND " +
                               std::string(org_id ? "org_id = ? AND " : "") + "channel IN (" + in +
                               ") ORDER BY due_at, id LIMIT ?",
                           params));
  std::vector<ActionKey> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back({r.Text(0), r.Text(1)});
  return out;
}

Result<bool> ClaimAction(Connection& c, const ActionKey& key, const std::string& now,
                         const std::string& lease_until) {
  SqlValue params[] = {lease_until, now, key.org_id, key.id};
  ASSIGN_OR_RETURN(int64_t n,
                   c.Exec("UPDATE actions SET status = 'SENDING', lease_until = ?, "
                          "attempts = attempts + 1, version = version + 1, updated_at = ? "
                          "WHERE org_id = ? AND id = ? AND status = 'SCHEDULED'",
                          params));
  return n == 1;
}

Result<bool> MoveActionStatus(Connection& c, const ActionKey& key, std::string_view from,
                              std::string_view to, const std::string& now) {
  SqlValue params[] = {std::string(to), now, key.org_id, key.id, std::string(from)};
  ASSIGN_OR_RETURN(int64_t n, c.Exec("UPDATE actions SET status = ?, version = version + 1, "
                                     "updated_at = ? WHERE org_id = ? AND id = ? AND status = ?",
                                     params));
  return n == 1;
}

Result<Recovered> RecoverExpiredLeases(Connection& c, const std::string& now) {
  Recovered r;
  SqlValue params[] = {now, now};
  ASSIGN_OR_RETURN(r.rescheduled,
                   c.Exec("UPDATE actions SET status = 'SCHEDULED', lease_until = NULL, "
                          "version = version + 1, updated_at = ? "
                          "WHERE status = 'SENDING' AND lease_until < ?",
                          params));
  ASSIGN_OR_RETURN(
      r.uncertain,
      c.Exec("UPDATE actions SET status = 'UNCERTAIN', lease_until = NULL, version = version + 1, "
             "updated_at = ?, last_error = 'interrupted after the message was handed to the "
             "provider: it may have been sent' WHERE status = 'COMMITTING' AND lease_until < ?",
             params));
  return r;
}

Result<void> ClearInvoiceToSend(Connection& c, const std::string& org_id,
                                const std::string& invoice_id, const std::string& now) {
  SqlValue params[] = {now, org_id, invoice_id};
  ASSIGN_OR_RETURN(int64_t changed,
                   c.Exec("UPDATE invoices SET to_send = 0, version = version + 1, updated_at = ? "
                          "WHERE org_id = ? AND id = ? AND to_send = 1",
                          params));
  return changed > 0 ? BumpChangeStamp(c, org_id, "invoices") : Ok();
}

}  // namespace relance::store
