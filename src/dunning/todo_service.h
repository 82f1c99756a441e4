// The to-do list (R-DUN-6, R-SEND-8..10): manual actions by owner and type,
// and the automatic ones that need a person (failed, uncertain), with the
// verbs a finance user has on them. Ignoring or doing an invoicing action
// counts the invoice as sent (R-SEND-9); "mark as sent" clears TO_SEND on
// invoices with no message to the customer (R-SEND-10).
//
// Thread-safe. Every verb checks the principal's role and organization,
// and the action's current status (a clear 422 otherwise).
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "domain/entities.h"
#include "services/context.h"
#include "store/record_repository.h"

namespace relance::dunning {

struct TodoFilter {
  std::optional<std::string> owner_id;
  std::optional<std::string> category;  // REMINDER, INVOICING, CALL, TASK
  std::optional<std::string> customer_id;
  // Default: what waits for a person (TODO, FAILED, UNCERTAIN).
  std::vector<std::string> statuses;
  int limit = 50;
  std::optional<std::string> cursor;
};

class TodoService {
 public:
  explicit TodoService(services::Context ctx) : ctx_(ctx) {}

  Result<store::Page<domain::Action>> List(const services::Principal& p,
                                           const TodoFilter& f) const;
  Result<domain::Action> Done(const services::Principal& p, const std::string& id,
                              const std::optional<std::string>& note) const;
  Result<domain::Action> Ignore(const services::Principal& p, const std::string& id) const;
  // A new date for a manual action, or a new send time for a waiting one.
  Result<domain::Action> Reschedule(const services::Principal& p, const std::string& id,
                                    Timestamp due_at) const;
  Result<domain::Action> Reassign(const services::Principal& p, const std::string& id,
                                  const std::string& owner_id) const;
  // Sends it now (a manual e-mail, SMS or letter; or again, a failed or
  // uncertain one, by the user's choice).
  Result<domain::Action> SendNow(const services::Principal& p, const std::string& id) const;
  // All or nothing: an unknown id or one that cannot be ignored writes nothing.
  Result<int64_t> BulkIgnore(const services::Principal& p,
                             const std::vector<std::string>& ids) const;
  // R-SEND-10: TO_SEND invoices become NOT_DUE / OVERDUE / PAID; their
  // pending invoicing actions are closed without a message. All or nothing.
  Result<int64_t> MarkInvoicesSent(const services::Principal& p,
                                   const std::vector<std::string>& invoice_ids) const;

 private:
  Result<domain::Action> Transition(const services::Principal& p, const std::string& id,
                                    std::span<const std::string_view> from,
                                    const std::function<Result<void>(store::Connection&,
                                                                     domain::Action&)>& edit) const;
  services::Context ctx_;
};

}  // namespace relance::dunning
