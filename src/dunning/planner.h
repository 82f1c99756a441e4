// The dunning planner (R-DUN-1..5, R-SEND-3, R-SEND-6): given one customer,
// its plan, its open invoices and the actions already decided for it, the
// actions that are due at a moment. Pure: no I/O, no clock; the planning
// service (planning_service.h) loads the views and stores the result.
//
// Rules, per cycle (an invoice for invoice-level plans; for customer-level
// ones the carrying invoice, the oldest eligible unpaid one — when it is
// paid the next oldest carries on, in a cycle of its own):
// - steps run in the order of their trigger dates; a step is due once its
//   trigger date, rolled to a business day at the send hour, has passed;
// - only steps after the last one already decided are candidates; when the
//   service was down (or the invoice arrived late) and several passed, the
//   latest is done — except that a manual step is never jumped past: it is
//   decided, and the later ones wait until it is done or ignored;
// - nothing new while the cycle's last action is still pending;
// - two contacts of one customer are at least the plan's min_delay_days apart;
// - no reminder for an invoice that is paid or credited (nothing
//   outstanding), TO_SEND, disputed, on hold or under a pending promise to
//   pay, nor for a customer paused up to a date.
// Each decision carries a dedupe key ("R:<step>:<invoice>", "S:<step>:<invoice>")
// the store keeps unique, so no run, overlap or restart decides it twice.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/business_calendar.h"
#include "core/date.h"

namespace relance::dunning {

struct StepView {
  std::string id;
  std::string kind;         // REMINDER, INVOICING
  std::string channel;      // EMAIL, LETTER, SMS, CALL, TASK
  std::string relative_to;  // DUE_DATE, ISSUE_DATE
  int64_t offset_days = 0;
  bool manual = false;
  std::optional<std::string> owner_id;
};

struct PlanView {
  std::string id;
  bool customer_level = true;
  int64_t min_delay_days = 0;
  std::vector<StepView> steps;  // any order
};

struct CustomerView {
  std::string id;
  std::string plan_id;
  std::optional<Date> paused_until;
  std::optional<std::string> account_manager_id;
};

struct InvoiceView {
  std::string id;
  Date issue_date;
  Date due_date;
  int64_t outstanding = 0;
  bool to_send = false;
  bool disputed = false;
  bool on_hold = false;
  std::optional<Date> promise_until;
  Timestamp created_at;
};

struct ActionView {
  std::string dedupe_key;
  std::string kind;     // REMINDER, INVOICING
  std::string channel;
  std::string status;
  Timestamp contact_at;  // when the customer was (or will be) contacted
};

struct PlannedAction {
  std::string kind;
  std::string category;  // REMINDER, INVOICING, CALL, TASK
  std::string channel;
  bool manual = false;
  std::string dedupe_key;
  std::string plan_id;
  std::string step_id;
  std::string customer_id;
  std::string invoice_id;
  std::vector<std::string> invoice_ids;
  Timestamp due_at;
  std::optional<std::string> owner_id;
};

struct PlanningMoment {
  SendSchedule schedule;
  Timestamp now;
  Date today;  // `now` in the organization's time zone

  // SendInstantOn(schedule, day), remembered: a day's planning asks for the
  // same few hundred days millions of times, and each answer is a time-zone
  // lookup. Not thread-safe: one moment per planning thread.
  Result<Timestamp> SendInstant(Date day) const;

  mutable std::unordered_map<int32_t, Timestamp> send_instants;  // SendInstant's memory
};

// True while an action still waits for its outcome (blocks its cycle).
bool IsPendingStatus(std::string_view status);
// True when the customer was contacted, or is being contacted, by it.
bool CountsAsContact(const ActionView& a);

// `invoices`: the customer's open invoices (credit notes and void ones
// excluded); `actions`: every action of the customer. Errors only on a
// time zone the calendar cannot use.
Result<std::vector<PlannedAction>> PlanCustomer(const PlanningMoment& at, const PlanView& plan,
                                                const CustomerView& customer,
                                                std::span<const InvoiceView> invoices,
                                                std::span<const ActionView> actions);

}  // namespace relance::dunning
