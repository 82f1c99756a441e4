// The outbox executor (R-DUN-4, R-SEND-6, R-SEND-7): sends the automatic
// actions whose time has come, exactly once.
//
// Each action moves SCHEDULED -> SENDING (a claim with a lease, committed
// before anything leaves) -> COMMITTING (committed from the sender's
// BeforeCommit hook, just before the provider can accept the message) ->
// SENT. A crash in SENDING is safe to retry: the provider never accepted
// anything (an SMTP server drops a message without its final dot). A crash
// in COMMITTING leaves an outcome no one can know: the action becomes
// UNCERTAIN and goes to the owner's to-do list rather than risk a second
// send. Transient failures retry with exponential backoff up to
// `max_attempts`; permanent ones (recipient refused) end FAILED, in the
// to-do list with the provider's reason. An action that cannot be sent
// (no contact, no address, no phone) becomes a manual TODO for its owner.
// A reminder whose invoices were paid, disputed... since it was decided is
// SKIPPED.
//
// Thread-safe: several executors, in one process or many, may run at once;
// the claim guarantees one sender per action.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "delivery/channels.h"
#include "services/context.h"

namespace relance::dunning {

struct Channels {
  delivery::EmailSender* email = nullptr;  // unset: such actions wait
  delivery::SmsSender* sms = nullptr;
  delivery::LetterSender* letters = nullptr;
};

struct ExecutorOptions {
  // Only this organization's actions (`relance dunning run --org`); unset:
  // every organization's (the worker of `relance serve`).
  std::optional<std::string> org_id;
  int batch = 100;
  std::chrono::seconds lease{300};
  int max_attempts = 8;
  std::chrono::seconds first_backoff{60};
};

struct ExecutionReport {
  int64_t sent = 0;
  int64_t retried = 0;
  int64_t failed = 0;
  int64_t to_do = 0;    // became manual (cannot be sent)
  int64_t skipped = 0;  // no longer needed
  int64_t recovered = 0;
  int64_t uncertain = 0;
};

class Executor {
 public:
  Executor(services::Context ctx, Channels channels, ExecutorOptions options = {})
      : ctx_(ctx), channels_(channels), options_(options) {}

  // Recovers expired leases, then sends every due action (batch by batch)
  // until none is left or `should_stop` says so.
  Result<ExecutionReport> RunOnce(const std::function<bool()>& should_stop = {}) const;

 private:
  Result<void> Execute(const std::string& org_id, const std::string& id,
                       ExecutionReport& report) const;

  services::Context ctx_;
  Channels channels_;
  ExecutorOptions options_;
};

}  // namespace relance::dunning
