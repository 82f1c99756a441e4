#include "dunning/planning_service.h"

#include <algorithm>
#include <deque>
#include <future>
#include <iterator>
#include <unordered_map>

#include "core/ids.h"
#include "core/read_ahead.h"
#include "dunning/planner.h"
#include "store/dunning_queries.h"
#include "store/record_repository.h"

namespace relance::dunning {
namespace {

using PlanMap = std::unordered_map<std::string, PlanView>;

Result<PlanMap> LoadPlans(store::Connection& c, const std::string& org_id) {
  store::RecordRepository<domain::DunningPlan> plans(domain::DunningPlanSpec());
  store::RecordRepository<domain::DunningStep> steps(domain::DunningStepSpec());
  PlanMap out;
  store::ListQuery q;
  q.limit = 1000;
  for (;;) {
    ASSIGN_OR_RETURN(auto page, plans.List(c, org_id, q));
    for (const auto& p : page.items) {
      out[p.meta.id] = PlanView{p.meta.id, p.level == "CUSTOMER", p.min_delay_days, {}};
    }
    if (!page.next_cursor) break;
    q.cursor = page.next_cursor;
  }
  q = store::ListQuery{};
  q.limit = 1000;
  for (;;) {
    ASSIGN_OR_RETURN(auto page, steps.List(c, org_id, q));
    for (const auto& s : page.items) {
      auto it = out.find(s.plan_id);
      if (it == out.end()) continue;
      it->second.steps.push_back(StepView{s.meta.id, s.kind, s.channel, s.relative_to,
                                          s.offset_days, s.mode == "MANUAL", s.owner_id});
    }
    if (!page.next_cursor) break;
    q.cursor = page.next_cursor;
  }
  return out;
}

Result<InvoiceView> ToView(store::OpenInvoiceRow&& r) {
  InvoiceView v;
  v.id = std::move(r.id);
  v.issue_date = r.issue_date;
  v.due_date = r.due_date;
  v.outstanding = r.outstanding;
  v.to_send = r.to_send;
  v.disputed = r.disputed;
  v.on_hold = r.on_hold;
  v.promise_until = r.promise_until;
  // Only invoices still to send need their arrival time (R-SEND-6).
  if (v.to_send) {
    ASSIGN_OR_RETURN(v.created_at, ParseTimestamp(r.created_at));
  }
  return v;
}

Result<ActionView> ToView(const store::ActionRow& r) {
  ASSIGN_OR_RETURN(Timestamp at, ParseTimestamp(r.contact_at));
  return ActionView{r.dedupe_key, r.kind, r.channel, r.status, at};
}

// A batch of customers with a plan, their open invoices and their past
// actions, each sorted by customer id for the merge walk in Plan.
struct PlanningBatch {
  std::vector<store::DunningCustomerRow> customers;
  std::vector<store::OpenInvoiceRow> invoices;
  // What the invoices' customer ids view, one deque per read (moving a
  // deque keeps its elements where they are).
  std::vector<std::deque<std::string>> invoice_customer_ids;
  std::vector<store::ActionRow> actions;
  std::string last_customer_id;  // where the next batch starts, in the database's order
};

void AddInvoices(PlanningBatch& b, store::OpenInvoices&& part) {
  b.invoice_customer_ids.push_back(std::move(part.customer_ids));
  if (b.invoices.empty()) {
    b.invoices = std::move(part.rows);
  } else {
    b.invoices.insert(b.invoices.end(), std::make_move_iterator(part.rows.begin()),
                      std::make_move_iterator(part.rows.end()));
  }
}

// The batch's open invoices. With a second connection, the later half of
// the batch's customers is read on it, on a thread of its own, while this
// thread reads the first half: the server's scan of one half overlaps with
// the decoding of the other (most of a planning day on PostgreSQL).
Result<void> ReadInvoices(store::Connection& c, store::Connection* second,
                          const std::string& org_id, PlanningBatch& b) {
  const auto& customers = b.customers;
  b.invoice_customer_ids.reserve(2);  // no reallocation: the views stay valid
  if (second == nullptr || customers.size() < 2) {
    ASSIGN_OR_RETURN(auto all, store::OpenInvoicesOfCustomers(c, org_id, customers.front().id,
                                                              customers.back().id));
    AddInvoices(b, std::move(all));
    return Ok();
  }
  // Ranges in the database's order, as the customers came: [first, the one
  // before the middle] and [middle, last]. Customers between the two have
  // no plan: nothing of theirs is planned.
  const size_t middle = customers.size() / 2;
  auto later = std::async(std::launch::async, [&] {
    return store::OpenInvoicesOfCustomers(*second, org_id, customers[middle].id,
                                          customers.back().id);
  });
  auto earlier = store::OpenInvoicesOfCustomers(c, org_id, customers.front().id,
                                                customers[middle - 1].id);
  auto later_rows = later.get();  // waited for even when the first half failed
  if (!earlier.ok()) return std::move(earlier).take_error();
  if (!later_rows.ok()) return std::move(later_rows).take_error();
  AddInvoices(b, std::move(earlier).value());
  AddInvoices(b, std::move(later_rows).value());
  return Ok();
}

Result<PlanningBatch> ReadBatch(store::Connection& c, store::Connection* second,
                                const std::string& org_id, const std::string& after, int limit) {
  PlanningBatch b;
  ASSIGN_OR_RETURN(b.customers, store::DunningCustomersAfter(c, org_id, after, limit));
  if (b.customers.empty()) return b;
  const std::string first = b.customers.front().id;
  b.last_customer_id = b.customers.back().id;
  RETURN_IF_ERROR(ReadInvoices(c, second, org_id, b));
  ASSIGN_OR_RETURN(b.actions, store::ActionsOfCustomers(c, org_id, first, b.last_customer_id));
  // Sorted bytewise: a PostgreSQL collation may order text otherwise than
  // std::string does. Usually already so (SQLite compares bytes): checking
  // costs one pass.
  auto by_customer = [](const auto& x, const auto& y) { return x.customer_id < y.customer_id; };
  auto by_id = [](const auto& x, const auto& y) { return x.id < y.id; };
  if (!std::is_sorted(b.invoices.begin(), b.invoices.end(), by_customer)) {
    std::stable_sort(b.invoices.begin(), b.invoices.end(), by_customer);
  }
  if (!std::is_sorted(b.actions.begin(), b.actions.end(), by_customer)) {
    std::stable_sort(b.actions.begin(), b.actions.end(), by_customer);
  }
  if (!std::is_sorted(b.customers.begin(), b.customers.end(), by_id)) {
    std::sort(b.customers.begin(), b.customers.end(), by_id);
  }
  return b;
}

std::string Join(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!out.empty()) out += ',';
    out += id;
  }
  return out;
}

domain::Action ToAction(const PlannedAction& p, const std::string& org_id, Timestamp now) {
  domain::Action a;
  a.meta.id = NewId(kActionPrefix, now);
  a.meta.org_id = org_id;
  a.meta.version = 1;
  a.meta.created_at = a.meta.updated_at = FormatTimestamp(now);
  a.kind = p.kind;
  a.category = p.category;
  a.channel = p.channel;
  a.mode = p.manual ? "MANUAL" : "AUTOMATIC";
  a.status = p.manual ? "TODO" : "SCHEDULED";
  a.dedupe_key = p.dedupe_key;
  a.plan_id = p.plan_id;
  a.step_id = p.step_id;
  a.customer_id = p.customer_id;
  a.invoice_id = p.invoice_id;
  a.invoice_ids = Join(p.invoice_ids);
  a.due_at = FormatTimestamp(p.due_at);
  a.owner_id = p.owner_id;
  return a;
}

}  // namespace

Result<PlanningReport> PlanningService::Plan(const std::string& org_id, Timestamp at,
                                             const PlanningOptions& options) const {
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  store::Connection& c = *conn;
  store::RecordRepository<domain::Organization> orgs(domain::OrganizationSpec());
  ASSIGN_OR_RETURN(domain::Organization org, orgs.Get(c, org_id, org_id));
  ASSIGN_OR_RETURN(PlanMap plans, LoadPlans(c, org_id));
  const std::string holidays = org.holiday_calendar.value_or("");
  PlanningMoment moment{{org.time_zone, static_cast<int>(org.send_hour), holidays}, at, {}, {}};
  ASSIGN_OR_RETURN(moment.today, TodayIn(org.time_zone, at));

  PlanningReport report;
  const Timestamp now = ctx_.clock.Now();
  // The next batch is read on a thread of its own while this one is planned:
  // the database's scan and the decoding of its rows overlap with planning.
  // Only that thread uses `c` from here on; storing takes a connection of its own.
  // This run holds `c`, the second reader and, to store, one more.
  std::optional<store::PooledConnection> second;
  if (options.split_reads && ctx_.db.pool_size() >= (options.dry_run ? 2 : 3)) {
    ASSIGN_OR_RETURN(second, ctx_.db.Acquire());
  }
  std::string after;
  bool read_all = false;
  ReadAhead<PlanningBatch> batches([&]() -> Result<std::optional<PlanningBatch>> {
    if (read_all) return std::optional<PlanningBatch>();
    ASSIGN_OR_RETURN(PlanningBatch batch, ReadBatch(c, second ? second->get() : nullptr, org_id,
                                                    after, options.batch_customers));
    if (batch.customers.empty()) return std::optional<PlanningBatch>();
    after = batch.last_customer_id;
    read_all = static_cast<int>(batch.customers.size()) < options.batch_customers;
    return std::optional<PlanningBatch>(std::move(batch));
  });
  for (;;) {
    ASSIGN_OR_RETURN(std::optional<PlanningBatch> next, batches.Next());
    if (!next) break;
    auto& customers = next->customers;
    auto& invoice_rows = next->invoices;
    auto& action_rows = next->actions;
    report.invoices += static_cast<int64_t>(invoice_rows.size());
    size_t next_invoice = 0, next_action = 0;
    std::vector<InvoiceView> invoices;
    std::vector<ActionView> actions;
    std::vector<domain::Action> decided;
    for (auto& row : customers) {
      ++report.customers;
      invoices.clear();
      actions.clear();
      while (next_invoice < invoice_rows.size() && invoice_rows[next_invoice].customer_id < row.id) {
        ++next_invoice;  // a customer without a plan
      }
      for (; next_invoice < invoice_rows.size() && invoice_rows[next_invoice].customer_id == row.id;
           ++next_invoice) {
        ASSIGN_OR_RETURN(InvoiceView v, ToView(std::move(invoice_rows[next_invoice])));
        invoices.push_back(std::move(v));
      }
      while (next_action < action_rows.size() && action_rows[next_action].customer_id < row.id) {
        ++next_action;
      }
      for (; next_action < action_rows.size() && action_rows[next_action].customer_id == row.id;
           ++next_action) {
        ASSIGN_OR_RETURN(ActionView v, ToView(action_rows[next_action]));
        actions.push_back(std::move(v));
      }
      auto plan = plans.find(row.plan_id);
      if (plan == plans.end() || invoices.empty()) continue;
      // The row is not read again: its text moves.
      CustomerView customer{std::move(row.id), std::move(row.plan_id), {},
                            std::move(row.account_manager_id)};
      if (row.paused_until) {
        ASSIGN_OR_RETURN(Date d, Date::Parse(*row.paused_until));
        customer.paused_until = d;
      }
      ASSIGN_OR_RETURN(auto planned, PlanCustomer(moment, plan->second, customer, invoices, actions));
      report.decided += static_cast<int64_t>(planned.size());
      // A dry run that only counts builds no record.
      if (options.dry_run && !options.keep_actions) continue;
      for (const auto& p : planned) decided.push_back(ToAction(p, org_id, now));
    }
    if (!options.dry_run && !decided.empty()) {
      int64_t stored = 0;
      RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](store::Connection& tx) -> Result<void> {
        stored = 0;
        for (const auto& a : decided) {
          ASSIGN_OR_RETURN(bool inserted, store::InsertActionIfNew(tx, a));
          stored += inserted ? 1 : 0;
        }
        return Ok();
      }));
      report.stored += stored;
    }
    if (options.keep_actions) {
      for (auto& a : decided) report.actions.push_back(std::move(a));
    }
  }
  return report;
}

}  // namespace relance::dunning
