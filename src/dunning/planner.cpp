#include "dunning/planner.h"

#include <algorithm>
#include <unordered_map>

namespace relance::dunning {
namespace {

std::string Category(const StepView& s) {
  if (s.kind == "INVOICING") return "INVOICING";
  if (s.channel == "CALL") return "CALL";
  if (s.channel == "TASK") return "TASK";
  return "REMINDER";
}

Date TriggerDate(const StepView& s, const InvoiceView& inv) {
  return (s.relative_to == "ISSUE_DATE" ? inv.issue_date : inv.due_date).AddDays(s.offset_days);
}

bool EligibleForReminders(const InvoiceView& inv, Date today) {
  if (inv.outstanding <= 0 || inv.to_send || inv.disputed || inv.on_hold) return false;
  return !(inv.promise_until && *inv.promise_until >= today);
}

PlannedAction Decide(const PlanView& plan, const StepView& step, const CustomerView& customer,
                     const InvoiceView& carrying, std::string key, Timestamp due_at) {
  PlannedAction a;
  a.kind = step.kind;
  a.category = Category(step);
  a.channel = step.channel;
  a.manual = step.manual;
  a.dedupe_key = std::move(key);
  a.plan_id = plan.id;
  a.step_id = step.id;
  a.customer_id = customer.id;
  a.invoice_id = carrying.id;
  a.invoice_ids = {carrying.id};
  a.due_at = due_at;
  a.owner_id = step.owner_id ? step.owner_id : customer.account_manager_id;
  return a;
}

// R-SEND-3, R-SEND-6: one action per invoicing step and TO_SEND invoice.
Result<void> PlanInvoicing(const PlanningMoment& at, const PlanView& plan,
                           const CustomerView& customer, std::span<const InvoiceView> invoices,
                           const std::unordered_map<std::string, const ActionView*>& decided,
                           std::vector<PlannedAction>& out) {
  for (const StepView& step : plan.steps) {
    if (step.kind != "INVOICING") continue;
    for (const InvoiceView& inv : invoices) {
      if (!inv.to_send) continue;
      std::string key = "S:" + step.id + ":" + inv.id;
      if (decided.contains(key)) continue;
      Timestamp due;
      if (step.offset_days == 0) {
        // On arrival, or on the issue date when the invoice arrives earlier.
        ASSIGN_OR_RETURN(Timestamp issue_start,
                         LocalHourToInstant(at.schedule.time_zone, inv.issue_date, 0));
        due = std::max(inv.created_at, issue_start);
      } else {
        ASSIGN_OR_RETURN(due, at.SendInstant(inv.issue_date.AddDays(step.offset_days)));
      }
      if (due > at.now) continue;
      out.push_back(Decide(plan, step, customer, inv, std::move(key), due));
    }
  }
  return Ok();
}

// The earliest moment the customer may be contacted again.
Result<std::optional<Timestamp>> NextContactAllowed(const PlanningMoment& at, const PlanView& plan,
                                                    std::optional<Timestamp> last_contact) {
  if (plan.min_delay_days <= 0 || !last_contact) return std::optional<Timestamp>();
  ASSIGN_OR_RETURN(Date last_day, TodayIn(at.schedule.time_zone, *last_contact));
  ASSIGN_OR_RETURN(Timestamp t, at.SendInstant(last_day.AddDays(plan.min_delay_days)));
  return std::optional<Timestamp>(t);
}

struct OrderedStep {
  const StepView* step;
  Date trigger;
};

std::string ReminderKey(const StepView& step, const InvoiceView& carrying) {
  return "R:" + step.id + ":" + carrying.id;
}

// The next reminder of one cycle, if one is due now. `steps` is scratch
// space, reused from one invoice to the next (this runs once per open
// invoice of the organization).
Result<std::optional<PlannedAction>> PlanCycle(
    const PlanningMoment& at, const PlanView& plan, const CustomerView& customer,
    const InvoiceView& carrying, std::optional<Timestamp> last_contact,
    const std::unordered_map<std::string, const ActionView*>& decided,
    std::vector<OrderedStep>& steps) {
  steps.clear();
  for (const StepView& s : plan.steps) {
    if (s.kind == "REMINDER") steps.push_back({&s, TriggerDate(s, carrying)});
  }
  std::stable_sort(steps.begin(), steps.end(), [](const OrderedStep& a, const OrderedStep& b) {
    return a.trigger != b.trigger ? a.trigger < b.trigger : a.step->id < b.step->id;
  });
  size_t first_candidate = 0;
  // Most cycles have no past action at all: no key to build then.
  for (size_t i = decided.empty() ? 0 : steps.size(); i-- > 0;) {
    auto it = decided.find(ReminderKey(*steps[i].step, carrying));
    if (it == decided.end()) continue;
    if (IsPendingStatus(it->second->status)) return std::optional<PlannedAction>();
    first_candidate = i + 1;
    break;
  }
  const OrderedStep* chosen = nullptr;
  Timestamp chosen_due;
  for (size_t i = first_candidate; i < steps.size(); ++i) {
    ASSIGN_OR_RETURN(Timestamp due, at.SendInstant(steps[i].trigger));
    if (due > at.now) break;
    chosen = &steps[i];
    chosen_due = due;
    if (steps[i].step->manual) break;  // never jump past a manual step
  }
  if (chosen == nullptr) return std::optional<PlannedAction>();
  ASSIGN_OR_RETURN(auto allowed, NextContactAllowed(at, plan, last_contact));
  if (allowed) {
    if (*allowed > at.now) return std::optional<PlannedAction>();
    chosen_due = std::max(chosen_due, *allowed);
  }
  return std::optional<PlannedAction>(
      Decide(plan, *chosen->step, customer, carrying, ReminderKey(*chosen->step, carrying), chosen_due));
}

}  // namespace

Result<Timestamp> PlanningMoment::SendInstant(Date day) const {
  auto it = send_instants.find(day.days_since_epoch());
  if (it != send_instants.end()) return it->second;
  ASSIGN_OR_RETURN(Timestamp t, SendInstantOn(schedule, day));
  send_instants.emplace(day.days_since_epoch(), t);
  return t;
}

bool IsPendingStatus(std::string_view s) {
  return s == "SCHEDULED" || s == "SENDING" || s == "COMMITTING" || s == "TODO" ||
         s == "UNCERTAIN";
}

bool CountsAsContact(const ActionView& a) {
  if (a.kind != "REMINDER" || a.channel == "TASK") return false;
  return a.status == "SENT" || a.status == "DONE" || a.status == "SCHEDULED" ||
         a.status == "SENDING" || a.status == "COMMITTING" || a.status == "UNCERTAIN";
}

Result<std::vector<PlannedAction>> PlanCustomer(const PlanningMoment& at, const PlanView& plan,
                                                const CustomerView& customer,
                                                std::span<const InvoiceView> invoices,
                                                std::span<const ActionView> actions) {
  std::unordered_map<std::string, const ActionView*> decided;
  decided.reserve(actions.size());
  std::optional<Timestamp> last_contact;
  for (const ActionView& a : actions) {
    decided.emplace(a.dedupe_key, &a);
    if (CountsAsContact(a) && (!last_contact || a.contact_at > *last_contact)) {
      last_contact = a.contact_at;
    }
  }
  std::vector<PlannedAction> out;
  if (plan.customer_level) RETURN_IF_ERROR(PlanInvoicing(at, plan, customer, invoices, decided, out));
  // R-DUN-5: a paused customer gets no reminder; invoices are still sent.
  if (customer.paused_until && *customer.paused_until >= at.today) return out;

  std::vector<const InvoiceView*> open;
  for (const InvoiceView& inv : invoices) {
    if (EligibleForReminders(inv, at.today)) open.push_back(&inv);
  }
  std::sort(open.begin(), open.end(), [](const InvoiceView* a, const InvoiceView* b) {
    if (a->due_date != b->due_date) return a->due_date < b->due_date;
    if (a->issue_date != b->issue_date) return a->issue_date < b->issue_date;
    return a->id < b->id;
  });
  if (open.empty()) return out;
  // Customer level: one cycle, carried by the oldest; invoice level: one each.
  const size_t cycles = plan.customer_level ? 1 : open.size();
  std::vector<OrderedStep> steps;
  steps.reserve(plan.steps.size());
  for (size_t i = 0; i < cycles; ++i) {
    ASSIGN_OR_RETURN(auto next,
                     PlanCycle(at, plan, customer, *open[i], last_contact, decided, steps));
    if (!next) continue;
    if (plan.customer_level) {
      // The message covers every open invoice that is due by then.
      for (size_t j = 1; j < open.size(); ++j) {
        if (open[j]->due_date < at.today) next->invoice_ids.push_back(open[j]->id);
      }
    }
    if (next->category != "TASK") last_contact = next->due_at;
    out.push_back(std::move(*next));
  }
  return out;
}

}  // namespace relance::dunning
