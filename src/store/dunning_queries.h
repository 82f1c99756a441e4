// The set-based reads and writes of dunning (SPEC §3, §4) that the generic
// repository does not cover: the planner's narrow, paged scans of
// customers, open invoices and past actions; inserting a decided action at
// most once; and the outbox's claim / lease / recovery steps.
//
// Every function runs on the caller's connection (inside its transaction
// when it has one) and takes the organization id first, except the
// outbox's claim and recovery, which serve every organization.
#pragma once

#include <deque>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "core/date.h"
#include "domain/entities.h"
#include "store/db.h"

namespace relance::store {

// Every organization's id (the dunning worker plans each).
Result<std::vector<std::string>> OrganizationIds(Connection& c);

// R-DUN-1: one default plan per organization.
Result<void> ClearOtherDefaultPlans(Connection& c, const std::string& org_id,
                                    const std::string& except_plan_id, const std::string& now);

struct DunningCustomerRow {
  std::string id;
  std::string plan_id;
  std::optional<std::string> paused_until;  // date text
  std::optional<std::string> account_manager_id;
};
// Customers that follow a plan, in id order after `after_id`, `limit` at most.
Result<std::vector<DunningCustomerRow>> DunningCustomersAfter(Connection& c,
                                                              const std::string& org_id,
                                                              const std::string& after_id,
                                                              int limit);

// Its SQL (parameters: org, after_id, limit), for the index tests.
std::string_view DunningCustomersSql();

struct OpenInvoiceRow {
  std::string id;
  std::string_view customer_id;  // into OpenInvoices::customer_ids
  Date issue_date;
  Date due_date;
  int64_t outstanding = 0;
  bool to_send = false;
  bool disputed = false;
  bool on_hold = false;
  std::optional<Date> promise_until;
  std::string created_at;  // only for invoices still to send (else empty)
};
struct OpenInvoices {
  // Each customer's id once, whatever its number of invoices: a planning
  // day reads hundreds of thousands of rows. A deque, so the views in the
  // rows stay valid as it grows (and when the struct moves).
  std::deque<std::string> customer_ids;
  std::vector<OpenInvoiceRow> rows;
};
// Invoices (not credit notes, not void) still owed or still to send, of the
// customers whose ids are in [first_id, last_id], ordered by customer.
Result<OpenInvoices> OpenInvoicesOfCustomers(Connection& c, const std::string& org_id,
                                             const std::string& first_id,
                                             const std::string& last_id);
// The SQL OpenInvoicesOfCustomers runs (parameters: org, first and last
// customer id), for the tests that check which index serves it.
std::string_view OpenInvoicesSql();

struct ActionRow {
  std::string customer_id;
  std::string dedupe_key;
  std::string kind;
  std::string channel;
  std::string status;
  std::string contact_at;  // sent_at, else done_at, else due_at
};
// Every action of the customers whose ids are in [first_id, last_id], by customer.
Result<std::vector<ActionRow>> ActionsOfCustomers(Connection& c, const std::string& org_id,
                                                  const std::string& first_id,
                                                  const std::string& last_id);

// Inserts the action unless one with its dedupe key exists; true if inserted.
Result<bool> InsertActionIfNew(Connection& c, const domain::Action& action);

struct ActionKey {
  std::string org_id;
  std::string id;
};
// Automatic actions due by `now` (and past their retry time) on one of
// `channels` (EMAIL, SMS, LETTER), of one organization or all, oldest first.
Result<std::vector<ActionKey>> DueScheduledActions(Connection& c, const std::string& now,
                                                   const std::vector<std::string>& channels,
                                                   const std::optional<std::string>& org_id,
                                                   int limit);
// SCHEDULED -> SENDING with a lease, one attempt more; false when another
// runner claimed it first.
Result<bool> ClaimAction(Connection& c, const ActionKey& key, const std::string& now,
                         const std::string& lease_until);
// Moves the action from `from` to `to` if it is still in `from`; false otherwise.
Result<bool> MoveActionStatus(Connection& c, const ActionKey& key, std::string_view from,
                              std::string_view to, const std::string& now);
// After a crash: SENDING past its lease goes back to SCHEDULED (the provider
// never accepted it); COMMITTING past its lease becomes UNCERTAIN (it may
// have). Returns how many of each.
struct Recovered {
  int64_t rescheduled = 0;
  int64_t uncertain = 0;
};
Result<Recovered> RecoverExpiredLeases(Connection& c, const std::string& now);

// R-SEND-9, R-SEND-10: the invoice counts as sent (TO_SEND cleared).
Result<void> ClearInvoiceToSend(Connection& c, const std::string& org_id,
                                const std::string& invoice_id, const std::string& now);

}  // namespace relance::store
