#include "dunning/executor.h"

#include <spdlog/spdlog.h>

#include "delivery/formatting.h"
#include "delivery/letter_renderer.h"
#include "dunning/action_updates.h"
#include "dunning/message_builder.h"
#include "store/dunning_queries.h"
#include "store/record_repository.h"

namespace relance::dunning {
namespace {

using domain::Action;

std::string MessageIdFor(const Action& a, const domain::Organization& org) {
  std::string domain_part = "relance.invalid";
  if (org.email) {
    const auto at = org.email->find('@');
    if (at != std::string::npos) domain_part = org.email->substr(at + 1);
  }
  return a.meta.id + "@" + domain_part;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

Result<ExecutionReport> Executor::RunOnce(const std::function<bool()>& should_stop) const {
  ExecutionReport report;
  {
    const std::string now = FormatTimestamp(ctx_.clock.Now());
    ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
    ASSIGN_OR_RETURN(store::Recovered rec, store::RecoverExpiredLeases(*conn, now));
    report.recovered = rec.rescheduled;
    report.uncertain = rec.uncertain;
    if (rec.uncertain > 0) {
      spdlog::warn("dunning: {} send(s) interrupted after hand-over, left in the to-do list",
                   rec.uncertain);
    }
  }
  for (;;) {
    if (should_stop && should_stop()) break;
    std::vector<store::ActionKey> due;
    {
      ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
      std::vector<std::string> channels;
      if (channels_.email != nullptr) channels.push_back("EMAIL");
      if (channels_.sms != nullptr) channels.push_back("SMS");
      if (channels_.letters != nullptr) channels.push_back("LETTER");
      ASSIGN_OR_RETURN(due, store::DueScheduledActions(*conn, FormatTimestamp(ctx_.clock.Now()),
                                                       channels, options_.org_id, options_.batch));
    }
    if (due.empty()) break;
    int64_t progressed = 0;
    for (const auto& key : due) {
      if (should_stop && should_stop()) break;
      const int64_t before = report.sent + report.retried + report.failed + report.to_do +
                             report.skipped;
      RETURN_IF_ERROR(Execute(key.org_id, key.id, report));
      progressed += report.sent + report.retried + report.failed + report.to_do +
                    report.skipped - before;
    }
    // Everything left is waiting for a channel this server has not got.
    if (progressed == 0) break;
  }
  return report;
}

Result<void> Executor::Execute(const std::string& org_id, const std::string& id,
                               ExecutionReport& report) const {
  const Timestamp now = ctx_.clock.Now();
  const std::string now_text = FormatTimestamp(now);
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  store::Connection& c = *conn;
  store::RecordRepository<Action> actions(domain::ActionSpec());
  ASSIGN_OR_RETURN(Action action, actions.Get(c, org_id, id));
  delivery::EmailSender* email = channels_.email;
  if ((action.channel == "EMAIL" && email == nullptr) ||
      (action.channel == "SMS" && channels_.sms == nullptr) ||
      (action.channel == "LETTER" && channels_.letters == nullptr)) {
    return Ok();  // not configured here: another runner, or later
  }
  const store::ActionKey key{org_id, id};
  ASSIGN_OR_RETURN(bool claimed,
                   store::ClaimAction(c, key, now_text,
                                      FormatTimestamp(now + std::chrono::duration_cast<
                                                                std::chrono::microseconds>(
                                                                options_.lease))));
  if (!claimed) return Ok();

  store::RecordRepository<domain::Organization> orgs(domain::OrganizationSpec());
  store::RecordRepository<domain::DunningStep> steps(domain::DunningStepSpec());
  ASSIGN_OR_RETURN(domain::Organization org, orgs.Get(c, org_id, org_id));
  ASSIGN_OR_RETURN(Date today, TodayIn(org.time_zone, now));
  auto step = steps.Find(c, org_id, action.step_id);
  Result<BuiltMessage> built = step.ok() && step.value()
                                   ? BuildMessage(c, org, action, **step, today)
                                   : Result<BuiltMessage>(NotFound("its plan step was deleted"));
  if (!built.ok()) {
    // A template that no longer renders, a step deleted since: a person decides.
    ++report.to_do;
    return UpdateAction(c, org_id, id, now, [&](Action& a) {
      a.status = "TODO";
      a.mode = "MANUAL";
      a.lease_until.reset();
      a.last_error = built.error().message();
    });
  }
  BuiltMessage& m = built.value();
  if (!m.still_needed) {
    ++report.skipped;
    return UpdateAction(c, org_id, id, now, [&](Action& a) {
      a.status = "SKIPPED";
      a.lease_until.reset();
      a.note = action.kind == "INVOICING" ? "the invoice was marked as sent meanwhile"
                                          : "nothing is owed on its invoices any more";
    });
  }
  if (m.cannot_send) {
    // R-SEND-7: the owner does it by hand.
    ++report.to_do;
    return UpdateAction(c, org_id, id, now, [&](Action& a) {
      a.status = "TODO";
      a.mode = "MANUAL";
      a.lease_until.reset();
      a.last_error = *m.cannot_send;
    });
  }

  bool handed_over = false;
  auto before_commit = [&]() -> Result<void> {
    ASSIGN_OR_RETURN(bool moved,
                     store::MoveActionStatus(c, key, "SENDING", "COMMITTING", now_text));
    if (!moved) return Error(ErrorCode::kConflict, "the action's claim expired before sending");
    handed_over = true;
    return Ok();
  };
  Result<std::string> sent = Internal("no channel");
  std::string message_id;
  if (action.channel == "EMAIL") {
    delivery::EmailMessage e;
    e.message_id = message_id = MessageIdFor(action, org);
    e.from_address = m.from_address;
    e.from_name = m.from_name;
    e.to = m.to;
    e.cc = m.cc;
    e.subject = m.rendered.subject;
    e.text_body = m.rendered.text;
    e.html_body = m.rendered.html;
    e.attachments = std::move(m.attachments);
    sent = email->Send(e, before_commit);
  } else if (action.channel == "SMS") {
    // No idempotency key exists for SMS: mark the hand-over first.
    Result<void> marked = before_commit();
    sent = marked.ok() ? channels_.sms->Send({action.meta.id, m.to.front(), m.rendered.text})
                       : Result<std::string>(marked.error());
  } else {
    // The postal API honours the idempotency key: a retry is the same letter.
    delivery::LetterContent content{m.sender,  m.recipient,          org.city.value_or(""),
                                    delivery::FormatDate(today, org.language),
                                    m.rendered.subject, m.rendered.text};
    Result<std::string> pdf = delivery::RenderLetterPdf(content);
    if (!pdf.ok()) {
      sent = pdf.error();
    } else {
      Result<void> marked = before_commit();
      sent = marked.ok() ? channels_.letters->Send({action.meta.id, m.sender, m.recipient, *pdf})
                         : Result<std::string>(marked.error());
    }
  }

  if (sent.ok()) {
    ++report.sent;
    return store::InTransaction(ctx_.db, [&](store::Connection& tx) -> Result<void> {
      RETURN_IF_ERROR(UpdateAction(tx, org_id, id, now, [&](Action& a) {
        a.status = "SENT";
        a.sent_at = now_text;
        a.lease_until.reset();
        a.last_error.reset();
        a.recipients = Join(m.to) + (m.cc.empty() ? "" : " (cc " + Join(m.cc) + ")");
        if (!message_id.empty()) a.message_id = message_id;
        a.provider_ref = sent.value();
      }));
      // R-SEND-9: a sent invoice leaves TO_SEND.
      if (action.kind == "INVOICING") {
        RETURN_IF_ERROR(store::ClearInvoiceToSend(tx, org_id, action.invoice_id, now_text));
      }
      return Ok();
    });
  }
  const Error& err = sent.error();
  // SMS has no answer to wait for after the hand-over mark: any failure
  // once marked may have sent it. E-mail knows when the server answered.
  const bool maybe_sent =
      handed_over && (action.channel == "EMAIL" ? delivery::IsOutcomeUnknown(err)
                                                : IsRetryable(err.code()));
  if (maybe_sent) {
    // The provider may have accepted it before the failure: never resend blindly.
    ++report.uncertain;
    return UpdateAction(c, org_id, id, now, [&](Action& a) {
      a.status = "UNCERTAIN";
      a.lease_until.reset();
      a.last_error = "the provider's answer was lost (" + err.message() + "): it may have been sent";
    });
  }
  if (IsRetryable(err.code()) && action.attempts + 1 < options_.max_attempts) {
    ++report.retried;
    const auto backoff = options_.first_backoff * (int64_t{1} << std::min<int64_t>(action.attempts, 10));
    return UpdateAction(c, org_id, id, now, [&](Action& a) {
      a.status = "SCHEDULED";
      a.lease_until.reset();
      a.next_attempt_at = FormatTimestamp(now + std::chrono::duration_cast<std::chrono::microseconds>(backoff));
      a.last_error = err.message();
    });
  }
  ++report.failed;
  spdlog::warn("dunning: action {} failed: {}", id, err.message());
  return UpdateAction(c, org_id, id, now, [&](Action& a) { MarkFailed(a, err.message()); });
}

}  // namespace relance::dunning
