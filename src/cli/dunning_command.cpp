// `relance dunning plan|run` and `relance todo ...`: the dunning engine and
// the to-do list (R-DUN-4..6, R-SEND-8..10) from the command line, through
// the same services as the API (dunning::PlanningService, Executor,
// TodoService), acting as --as EMAIL or the organization's first
// administrator. Times are shown and read in the organization's time zone.
#include <date/date.h>
#include <date/tz.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <ostream>
#include <sstream>

#include "cli/channels.h"
#include "cli/commands.h"
#include "dunning/executor.h"
#include "dunning/planning_service.h"
#include "dunning/todo_service.h"
#include "store/dunning_queries.h"
#include "store/record_repository.h"

namespace relance::cli {
namespace {

// Planning holds one connection and writes through a second; the executor
// and the name lookups take a third.
constexpr int kDunningPoolSize = 4;

Result<domain::Organization> LoadOrganization(store::Database& db, const std::string& org_id) {
  ASSIGN_OR_RETURN(auto conn, db.Acquire());
  store::RecordRepository<domain::Organization> orgs(domain::OrganizationSpec());
  ASSIGN_OR_RETURN(auto org, orgs.Find(*conn, org_id, org_id));
  if (!org) return NotFound("no organization " + org_id);
  return *org;
}

// "2026-03-10 09:00 CET" in the organization's zone; the stored text if it
// cannot be read.
std::string LocalTime(const domain::Organization& org, const std::string& instant) {
  auto t = ParseTimestamp(instant);
  if (!t.ok()) return instant;
  try {
    // The exception adapter: date::locate_zone throws for an unknown zone.
    auto zoned = date::make_zoned(org.time_zone, date::floor<std::chrono::minutes>(*t));
    return date::format("%Y-%m-%d %H:%M %Z", zoned);
  } catch (const std::exception&) {
    return instant;
  }
}

// A moment given on the command line: RFC 3339 ("2026-03-12T14:30:00+01:00"),
// a local time in the organization's zone ("2026-03-12 14:30" or
// "2026-03-12T14:30"), or a day ("2026-03-12": the organization's send hour).
Result<Timestamp> ParseWhen(const domain::Organization& org, const std::string& text,
                            const std::string& flag) {
  if (auto t = ParseTimestamp(text); t.ok()) return *t;
  const std::string usage = flag + ": \"" + text +
                            "\" is not a date-time; give 2026-03-12 (the send hour that day), "
                            "2026-03-12 14:30 (local time, " +
                            org.time_zone + ") or an RFC 3339 instant";
  if (text.size() < 10) return Error(ErrorCode::kInvalidArgument, usage);
  auto day = Date::Parse(text.substr(0, 10));
  if (!day.ok()) return Error(ErrorCode::kInvalidArgument, usage);
  if (text.size() == 10) {
    return LocalHourToInstant(org.time_zone, *day, static_cast<int>(org.send_hour));
  }
  if (text.size() != 16 || (text[10] != ' ' && text[10] != 'T') || text[13] != ':') {
    return Error(ErrorCode::kInvalidArgument, usage);
  }
  int hour = 0, minute = 0;
  if (std::sscanf(text.c_str() + 11, "%2d:%2d", &hour, &minute) != 2 || hour < 0 || hour > 23 ||
      minute < 0 || minute > 59) {
    return Error(ErrorCode::kInvalidArgument, usage);
  }
  ASSIGN_OR_RETURN(Timestamp at, LocalHourToInstant(org.time_zone, *day, hour));
  return at + std::chrono::minutes(minute);
}

// Names for ids, for people reading the output; cached, the id itself when
// the record is gone.
class Names {
 public:
  Names(store::Database& db, std::string org_id) : db_(db), org_id_(std::move(org_id)) {}

  std::string Customer(const std::string& id) {
    return Lookup<domain::Customer>(customers_, id, [](const auto& c) { return c.name; });
  }
  std::string Invoice(const std::string& id) {
    return Lookup<domain::Invoice>(invoices_, id, [](const auto& i) { return i.number; });
  }
  std::string Step(const std::string& id) {
    return Lookup<domain::DunningStep>(steps_, id, [](const auto& s) {
      return s.name.empty() ? s.kind + " " + s.channel : s.name;
    });
  }
  std::string User(const std::optional<std::string>& id) {
    if (!id || id->empty()) return "(no owner)";
    return Lookup<domain::User>(users_, *id, [](const auto& u) { return u.email; });
  }
  // Every invoice number of a comma list.
  std::string Invoices(const std::string& ids) {
    std::string out;
    std::stringstream in(ids);
    std::string one;
    while (std::getline(in, one, ',')) {
      if (one.empty()) continue;
      out += (out.empty() ? "" : ",") + Invoice(one);
    }
    return out.empty() ? "-" : out;
  }

 private:
  template <typename T, typename F>
  std::string Lookup(std::map<std::string, std::string>& cache, const std::string& id, F name) {
    if (id.empty()) return "-";
    if (auto it = cache.find(id); it != cache.end()) return it->second;
    std::string shown = id;
    if (auto conn = db_.Acquire(); conn.ok()) {
      store::RecordRepository<T> repo(domain::SpecOf<T>());
      if (auto r = repo.Find(**conn, org_id_, id); r.ok() && *r) shown = name(**r);
    }
    cache[id] = shown;
    return shown;
  }

  store::Database& db_;
  std::string org_id_;
  std::map<std::string, std::string> customers_, invoices_, steps_, users_;
};

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

// The organization an action belongs to, when the command was not told.
Result<std::string> OrganizationOfAction(store::Database& db, const std::string& id) {
  ASSIGN_OR_RETURN(auto conn, db.Acquire());
  ASSIGN_OR_RETURN(std::vector<std::string> orgs, store::OrganizationIds(*conn));
  store::RecordRepository<domain::Action> actions(domain::ActionSpec());
  for (const auto& org : orgs) {
    ASSIGN_OR_RETURN(auto a, actions.Find(*conn, org, id));
    if (a) return org;
  }
  return NotFound("no action " + id);
}

Result<std::string> UserIdByEmail(store::Database& db, const std::string& org_id,
                                  const std::string& email, const std::string& flag) {
  ASSIGN_OR_RETURN(auto conn, db.Acquire());
  store::RecordRepository<domain::User> users(domain::UserSpec());
  store::ListQuery q;
  q.limit = 1;
  q.conditions = {{"email", store::Condition::Op::kEq, email}};
  ASSIGN_OR_RETURN(auto page, users.List(*conn, org_id, q));
  if (page.items.empty()) return NotFound(flag + ": no user " + email + " in " + org_id);
  return page.items.front().meta.id;
}

void PrintAction(const domain::Action& a, const domain::Organization& org, Names& names,
                 std::ostream& out) {
  out << a.meta.id << "  " << a.status << "  due " << LocalTime(org, a.due_at) << "  " << a.category
      << "/" << a.channel << "  " << names.Customer(a.customer_id) << "  "
      << names.Invoices(a.invoice_ids.empty() ? a.invoice_id : a.invoice_ids) << "  owner "
      << names.User(a.owner_id);
  if (a.last_error) out << "  (" << *a.last_error << ")";
  out << "\n";
}

}  // namespace

Result<void> RunDunningPlan(const Settings& s, const DunningOptions& o, const CliEnvironment& env) {
  ASSIGN_OR_RETURN(auto db, OpenMigratedDatabase(s, env, kDunningPoolSize));
  ASSIGN_OR_RETURN(domain::Organization org, LoadOrganization(*db, o.org_id));
  Timestamp at = env.clock.Now();
  if (o.at) {
    ASSIGN_OR_RETURN(at, ParseWhen(org, *o.at, "--at"));
  }
  services::Context ctx{*db, env.clock};
  dunning::PlanningService planning(ctx);
  dunning::PlanningOptions options;
  options.dry_run = true;
  options.keep_actions = true;
  ASSIGN_OR_RETURN(dunning::PlanningReport report, planning.Plan(o.org_id, at, options));
  Names names(*db, o.org_id);
  for (const auto& a : report.actions) {
    env.out << LocalTime(org, a.due_at) << "  " << Pad(names.Customer(a.customer_id), 24) << "  "
            << Pad(names.Invoices(a.invoice_ids.empty() ? a.invoice_id : a.invoice_ids), 14) << "  "
            << Pad(a.channel, 6) << "  " << Pad(a.category, 9) << "  "
            << (a.mode == "MANUAL" ? "manual  " : "automatic  ") << names.Step(a.step_id) << "\n";
  }
  env.out << report.decided << " action(s) would be decided at "
          << LocalTime(org, FormatTimestamp(at)) << " (" << report.customers << " customers, "
          << report.invoices << " open invoices examined); dry run, nothing was written\n";
  return Ok();
}

Result<void> RunDunningRun(const Settings& s, const DunningOptions& o, const CliEnvironment& env) {
  ASSIGN_OR_RETURN(auto db, OpenMigratedDatabase(s, env, kDunningPoolSize));
  RETURN_IF_ERROR(LoadOrganization(*db, o.org_id));
  services::Context ctx{*db, env.clock};
  ConfiguredChannels channels(s);
  spdlog::info("dunning: channels configured: {}", channels.Describe());
  dunning::PlanningService planning(ctx);
  ASSIGN_OR_RETURN(dunning::PlanningReport planned, planning.Plan(o.org_id, env.clock.Now()));
  env.out << "planned " << o.org_id << ": " << planned.decided << " action(s) due, "
          << planned.stored << " new\n";
  dunning::ExecutorOptions executor_options;
  executor_options.org_id = o.org_id;  // this organization's sends only
  executor_options.lease = std::chrono::seconds(s.dunning_lease_seconds);
  dunning::Executor executor(ctx, channels.View(), executor_options);
  ASSIGN_OR_RETURN(dunning::ExecutionReport r, executor.RunOnce());
  env.out << "sent " << r.sent << ", to retry " << r.retried << ", failed " << r.failed
          << ", moved to the to-do list " << r.to_do << ", skipped " << r.skipped
          << ", interrupted sends recovered " << r.recovered << ", uncertain " << r.uncertain
          << "\n";
  if (!channels.any()) {
    env.err << "relance dunning run: no delivery channel is configured (smtp_url, "
               "sms_account_sid, postal_base_url): automatic actions stay in the outbox\n";
  }
  return Ok();
}

Result<void> RunTodo(const Settings& s, TodoVerb verb, const TodoOptions& o,
                     const CliEnvironment& env) {
  ASSIGN_OR_RETURN(auto db, OpenMigratedDatabase(s, env, kDunningPoolSize));
  std::string org_id;
  if (o.org_id) {
    org_id = *o.org_id;
  } else if (!o.ids.empty()) {
    ASSIGN_OR_RETURN(org_id, OrganizationOfAction(*db, o.ids.front()));
  } else {
    return InvalidArgument("--org is required");
  }
  ASSIGN_OR_RETURN(domain::Organization org, LoadOrganization(*db, org_id));
  ASSIGN_OR_RETURN(services::Principal who, ActingUser(*db, org_id, o.user_email));
  services::Context ctx{*db, env.clock};
  dunning::TodoService todo(ctx);
  Names names(*db, org_id);

  if (verb == TodoVerb::kList) {
    dunning::TodoFilter f;
    if (o.owner_email) {
      ASSIGN_OR_RETURN(f.owner_id, UserIdByEmail(*db, org_id, *o.owner_email, "--owner"));
    }
    f.category = o.category;
    f.customer_id = o.customer_id;
    if (o.status) {
      std::stringstream in(*o.status);
      std::string one;
      while (std::getline(in, one, ',')) {
        if (!one.empty()) f.statuses.push_back(one);
      }
    }
    f.limit = std::min(o.limit, 1000);
    int64_t shown = 0;
    bool more = false;
    for (;;) {
      ASSIGN_OR_RETURN(auto page, todo.List(who, f));
      for (const auto& a : page.items) {
        if (shown >= o.limit) {
          more = true;
          break;
        }
        PrintAction(a, org, names, env.out);
        ++shown;
      }
      if (more || !page.next_cursor) {
        more = more || (page.next_cursor && shown >= o.limit);
        break;
      }
      f.cursor = page.next_cursor;
    }
    env.out << shown << " action(s) to do" << (more ? " shown; there are more (--limit)" : "")
            << "\n";
    return Ok();
  }

  const std::string& id = o.ids.front();
  Result<domain::Action> done = Error(ErrorCode::kInternal, "no verb");
  switch (verb) {
    case TodoVerb::kDone:
      done = todo.Done(who, id, o.note);
      break;
    case TodoVerb::kIgnore:
      if (o.ids.size() > 1) {
        // All or nothing: one that cannot be ignored leaves the others as they are.
        ASSIGN_OR_RETURN(int64_t n, todo.BulkIgnore(who, o.ids));
        env.out << "ignored " << n << " action(s)\n";
        return Ok();
      }
      done = todo.Ignore(who, id);
      break;
    case TodoVerb::kReschedule: {
      ASSIGN_OR_RETURN(Timestamp at, ParseWhen(org, o.at, "--at"));
      done = todo.Reschedule(who, id, at);
      break;
    }
    case TodoVerb::kReassign: {
      ASSIGN_OR_RETURN(std::string owner, UserIdByEmail(*db, org_id, o.to_email, "--to"));
      done = todo.Reassign(who, id, owner);
      break;
    }
    case TodoVerb::kSend:
      done = todo.SendNow(who, id);
      break;
    case TodoVerb::kList:
      break;
  }
  if (!done.ok()) return done.error();
  PrintAction(*done, org, names, env.out);
  return Ok();
}

}  // namespace relance::cli
