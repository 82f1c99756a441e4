// `relance mail bounce [FILE|-] --org ORG`: a bounce received after the SMTP
// server accepted a reminder (R-DUN-4, R-DUN-6), read from a file or from
// standard input so that a mail alias can pipe bounces to it
// ("bounces: |relance mail bounce --org org_... --db ..."), applied through
// dunning::BounceService as POST /api/v1/bounces does. Exit codes follow
// core's table: 65 not a bounce (the MTA returns it), 66 no action sent that
// Message-ID, 75 while the action is still being handed over (retry later).
#include <fstream>
#include <ostream>

#include "cli/commands.h"
#include "delivery/dsn_parser.h"
#include "dunning/bounce_service.h"

namespace relance::cli {
namespace {

// At most one byte more than a bounce may be, so the parser can say it is
// too large without the whole input in memory.
std::string ReadBounce(std::istream& in) {
  std::string text;
  char buffer[64 * 1024];
  while (in && text.size() <= delivery::kMaxDsnBytes) {
    in.read(buffer, sizeof(buffer));
    text.append(buffer, static_cast<size_t>(in.gcount()));
  }
  return text;
}

}  // namespace

Result<void> RunMailBounce(const Settings& s, const MailBounceOptions& o,
                           const CliEnvironment& env) {
  std::string text;
  if (o.file == "-") {
    text = ReadBounce(env.in);
  } else {
    std::ifstream in(o.file, std::ios::binary);
    if (!in) return NotFound("no file " + o.file);
    text = ReadBounce(in);
  }
  ASSIGN_OR_RETURN(auto db, OpenMigratedDatabase(s, env, 2));
  ASSIGN_OR_RETURN(services::Principal who, ActingUser(*db, o.org_id, o.user_email));
  dunning::BounceService bounces(services::Context{*db, env.clock});
  ASSIGN_OR_RETURN(dunning::BounceOutcome b, bounces.Apply(who, text));
  env.out << b.action.meta.id << " " << b.action.status << " (Message-ID <" << b.message_id
          << ">)\n";
  for (const auto& r : b.recipients) {
    env.out << "  " << r.address << ": " << r.action << " " << r.status
            << (r.diagnostic.empty() ? "" : " " + r.diagnostic) << "\n";
  }
  env.out << (b.changed ? "recorded as a permanent failure, in the to-do list" : b.note) << "\n";
  return Ok();
}

}  // namespace relance::cli
