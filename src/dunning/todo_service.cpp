#include "dunning/todo_service.h"

#include <algorithm>
#include <span>

#include "store/dunning_queries.h"

namespace relance::dunning {
namespace {

using domain::Action;
using store::Condition;

constexpr size_t kBulkMax = 1000;

using Statuses = std::span<const std::string_view>;

bool OneOf(std::string_view s, Statuses set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

std::string JoinStatuses(Statuses set) {
  std::string out;
  for (auto s : set) out += (out.empty() ? "" : ", ") + std::string(s);
  return out;
}

// Closing an invoicing action, whatever the way, counts the invoice as sent.
Result<void> CloseInvoicing(store::Connection& c, const Action& a, const std::string& now) {
  if (a.kind != "INVOICING") return Ok();
  return store::ClearInvoiceToSend(c, a.meta.org_id, a.invoice_id, now);
}

// What a person may still close: waiting in the to-do list or the outbox.
// A person closed it: how, who and when.
void Close(Action& a, std::string_view status, const services::Principal& p,
           const std::string& now) {
  a.status = std::string(status);
  a.done_at = now;
  a.done_by = p.user_id;
  a.lease_until.reset();
}

constexpr std::string_view kOpen[] = {"TODO", "FAILED", "UNCERTAIN", "SCHEDULED"};
constexpr std::string_view kReschedulable[] = {"TODO", "SCHEDULED", "FAILED"};
constexpr std::string_view kSendable[] = {"TODO", "FAILED", "UNCERTAIN"};

}  // namespace

Result<store::Page<Action>> TodoService::List(const services::Principal& p,
                                              const TodoFilter& f) const {
  RETURN_IF_ERROR(services::Authorize(p, services::Access::kRead));
  store::ListQuery q;
  std::vector<std::string> statuses = f.statuses;
  if (statuses.empty()) statuses = {"TODO", "FAILED", "UNCERTAIN"};
  Condition in{"status", Condition::Op::kIn, {}};
  for (const auto& s : statuses) in.values.push_back(s);
  q.conditions.push_back(std::move(in));
  if (f.owner_id) q.conditions.push_back({"owner_id", Condition::Op::kEq, *f.owner_id});
  if (f.category) q.conditions.push_back({"category", Condition::Op::kEq, *f.category});
  if (f.customer_id) q.conditions.push_back({"customer_id", Condition::Op::kEq, *f.customer_id});
  q.sort = "due_at";
  q.limit = f.limit;
  q.cursor = f.cursor;
  store::RecordRepository<Action> repo(domain::ActionSpec());
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  return repo.List(*conn, p.org_id, q);
}

Result<Action> TodoService::Transition(
    const services::Principal& p, const std::string& id,
    std::span<const std::string_view> from,
    const std::function<Result<void>(store::Connection&, Action&)>& edit) const {
  RETURN_IF_ERROR(services::Authorize(p, services::Access::kWrite));
  store::RecordRepository<Action> repo(domain::ActionSpec());
  Action out;
  RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](store::Connection& c) -> Result<void> {
    ASSIGN_OR_RETURN(Action a, repo.Get(c, p.org_id, id));
    if (!OneOf(a.status, from)) {
      return Error(ErrorCode::kFailedPrecondition,
                   "action " + id + " is " + a.status + "; this needs it to be " + JoinStatuses(from),
                   {{"status", "is " + a.status}});
    }
    RETURN_IF_ERROR(edit(c, a));
    a.meta.version += 1;
    a.meta.updated_at = FormatTimestamp(ctx_.clock.Now());
    RETURN_IF_ERROR(repo.Update(c, a));
    out = std::move(a);
    return Ok();
  }));
  return out;
}

Result<Action> TodoService::Done(const services::Principal& p, const std::string& id,
                                 const std::optional<std::string>& note) const {
  const std::string now = FormatTimestamp(ctx_.clock.Now());
  return Transition(p, id, kOpen, [&](store::Connection& c, Action& a) -> Result<void> {
    Close(a, "DONE", p, now);
    if (note) a.note = *note;
    return CloseInvoicing(c, a, now);
  });
}

Result<Action> TodoService::Ignore(const services::Principal& p, const std::string& id) const {
  const std::string now = FormatTimestamp(ctx_.clock.Now());
  return Transition(p, id, kOpen, [&](store::Connection& c, Action& a) -> Result<void> {
    Close(a, "IGNORED", p, now);
    return CloseInvoicing(c, a, now);  // R-SEND-9
  });
}

Result<Action> TodoService::Reschedule(const services::Principal& p, const std::string& id,
                                       Timestamp due_at) const {
  return Transition(p, id, kReschedulable,
                    [&](store::Connection&, Action& a) -> Result<void> {
                      a.due_at = FormatTimestamp(due_at);
                      a.next_attempt_at.reset();
                      if (a.status == "FAILED") a.status = a.mode == "MANUAL" ? "TODO" : "SCHEDULED";
                      return Ok();
                    });
}

Result<Action> TodoService::Reassign(const services::Principal& p, const std::string& id,
                                     const std::string& owner_id) const {
  return Transition(p, id, kOpen, [&](store::Connection& c, Action& a) -> Result<void> {
    store::RecordRepository<domain::User> users(domain::UserSpec());
    ASSIGN_OR_RETURN(auto user, users.Find(c, p.org_id, owner_id));
    if (!user) return FieldInvalid("owner_id", "no user " + owner_id + " in this organization");
    a.owner_id = owner_id;
    return Ok();
  });
}

Result<Action> TodoService::SendNow(const services::Principal& p, const std::string& id) const {
  const std::string now = FormatTimestamp(ctx_.clock.Now());
  return Transition(p, id, kSendable,
                    [&](store::Connection&, Action& a) -> Result<void> {
                      if (a.channel != "EMAIL" && a.channel != "SMS" && a.channel != "LETTER") {
                        return Error(ErrorCode::kFailedPrecondition,
                                     "a " + a.channel + " action is done by a person, not sent");
                      }
                      a.status = "SCHEDULED";
                      a.mode = "AUTOMATIC";
                      a.due_at = now;
                      a.next_attempt_at.reset();
                      a.attempts = 0;
                      return Ok();
                    });
}

Result<int64_t> TodoService::BulkIgnore(const services::Principal& p,
                                        const std::vector<std::string>& ids) const {
  RETURN_IF_ERROR(services::Authorize(p, services::Access::kWrite));
  if (ids.empty() || ids.size() > kBulkMax) {
    return FieldInvalid("ids", "give between 1 and " + std::to_string(kBulkMax) + " action ids");
  }
  const std::string now = FormatTimestamp(ctx_.clock.Now());
  store::RecordRepository<Action> repo(domain::ActionSpec());
  int64_t n = 0;
  RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](store::Connection& c) -> Result<void> {
    n = 0;
    std::vector<FieldError> problems;
    std::vector<Action> changed;
    for (size_t i = 0; i < ids.size(); ++i) {
      ASSIGN_OR_RETURN(auto a, repo.Find(c, p.org_id, ids[i]));
      const std::string field = "ids[" + std::to_string(i) + "]";
      if (!a) {
        problems.push_back({field, "no action " + ids[i]});
      } else if (!OneOf(a->status, kOpen)) {
        problems.push_back({field, ids[i] + " is " + a->status + " and cannot be ignored"});
      } else {
        changed.push_back(std::move(*a));
      }
    }
    if (!problems.empty()) {
      return InvalidArgument(std::to_string(problems.size()) + " of the actions cannot be ignored",
                             std::move(problems));
    }
    for (auto& a : changed) {
      Close(a, "IGNORED", p, now);
      a.meta.version += 1;
      a.meta.updated_at = now;
      RETURN_IF_ERROR(repo.Update(c, a));
      RETURN_IF_ERROR(CloseInvoicing(c, a, now));
      ++n;
    }
    return Ok();
  }));
  return n;
}

Result<int64_t> TodoService::MarkInvoicesSent(const services::Principal& p,
                                              const std::vector<std::string>& invoice_ids) const {
  RETURN_IF_ERROR(services::Authorize(p, services::Access::kWrite));
  if (invoice_ids.empty() || invoice_ids.size() > kBulkMax) {
    return FieldInvalid("invoice_ids",
                        "give between 1 and " + std::to_string(kBulkMax) + " invoice ids");
  }
  const std::string now = FormatTimestamp(ctx_.clock.Now());
  store::RecordRepository<domain::Invoice> invoices(domain::InvoiceSpec());
  store::RecordRepository<Action> actions(domain::ActionSpec());
  int64_t n = 0;
  RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](store::Connection& c) -> Result<void> {
    n = 0;
    std::vector<FieldError> problems;
    for (size_t i = 0; i < invoice_ids.size(); ++i) {
      ASSIGN_OR_RETURN(auto inv, invoices.Find(c, p.org_id, invoice_ids[i]));
      const std::string field = "invoice_ids[" + std::to_string(i) + "]";
      if (!inv) problems.push_back({field, "no invoice " + invoice_ids[i]});
      else if (!inv->to_send) problems.push_back({field, inv->number + " is not waiting to be sent"});
    }
    if (!problems.empty()) {
      return InvalidArgument(std::to_string(problems.size()) +
                                 " of the invoices cannot be marked as sent",
                             std::move(problems));
    }
    for (const auto& id : invoice_ids) {
      RETURN_IF_ERROR(store::ClearInvoiceToSend(c, p.org_id, id, now));
      store::ListQuery q;
      q.conditions = {{"invoice_id", Condition::Op::kEq, id},
                      {"kind", Condition::Op::kEq, std::string("INVOICING")}};
      q.limit = 1000;
      ASSIGN_OR_RETURN(auto page, actions.List(c, p.org_id, q));
      for (auto& a : page.items) {
        if (!OneOf(a.status, kOpen)) continue;
        Close(a, "SKIPPED", p, now);
        a.note = "the invoice was marked as sent";
        a.meta.version += 1;
        a.meta.updated_at = now;
        RETURN_IF_ERROR(actions.Update(c, a));
      }
      ++n;
    }
    return Ok();
  }));
  return n;
}

}  // namespace relance::dunning
