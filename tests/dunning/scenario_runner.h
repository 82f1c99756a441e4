// Runs a dunning scenario file (tests/dunning/scenarios/*.scenario): a
// timeline with a fake clock, against a real database and the real SMTP
// sink (tests/emulators/smtp/), checking what was sent and what waits in
// the to-do list. One line per command; `#` starts a comment.
//
//   org FIELD=VALUE...                 update the organization
//   plan|step|customer|contact|invoice NAME FIELD=VALUE...
//                                      create a record; NAME stands for its id
//                                      in later values (plan_id=P1)
//   update NAME FIELD=VALUE...         update a record created above
//   pay INVOICE AMOUNT [DATE]          a payment allocated to the invoice
//   at INSTANT                         set the clock (RFC 3339)
//   run                                plan, then send what is due
//   crash after-handover|before-send   the next send stops the executor as a
//                                      kill would, after the SMTP server got
//                                      the message / before it got anything
//   fault JSON                         POST /faults on the SMTP sink
//   expect emails N                    N new messages since the last check
//   expect email to=ADDR [subject~TEXT] [body~TEXT] [attachments=N]
//                                      one of the new messages matches
//   expect actions [status=S] [category=C] [step=NAME] [invoice=NAME] count=N
//   expect invoice NAME to_send=true|false
// Values with spaces are double-quoted.
#pragma once

#include <string>

namespace relance::dunning::testing {

// Runs the file on `backend` ("sqlite", "postgres") with the SMTP sink at
// smtp_url / control_url; reports failures through gtest, naming the line.
void RunScenario(const std::string& path, const std::string& backend,
                 const std::string& smtp_url, const std::string& control_url);

}  // namespace relance::dunning::testing
