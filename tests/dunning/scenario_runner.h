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
//   bounce FILE (to=ADDR | message_id=ID) [outcome=changed|unchanged|CODE]
//                                      feeds the bounce sample FILE
//                                      (tests/delivery/data/bounces/) to the
//                                      bounce service, {{MESSAGE_ID}} replaced
//                                      by the Message-ID of the last e-mail the
//                                      sink received for ADDR (or by ID);
//                                      CODE is an error name (not_found...)
//   expect actions [status=S] [category=C] [step=NAME] [invoice=NAME]
//                  [error~TEXT] count=N
//   expect todo [error~TEXT] count=N   what the to-do list shows (R-DUN-6)
//   expect invoice NAME to_send=true|false
//   expect sms N [to=E164] [body~TEXT]  N new messages at the SMS emulator
//   expect letters N [name~TEXT]        N new letters at the postal emulator
// Values with spaces are double-quoted.
#pragma once

#include <string>

namespace relance::dunning::testing {

// Where the loopback test servers listen.
struct Servers {
  std::string smtp_url;      // smtp://127.0.0.1:PORT
  std::string smtp_control;  // http://127.0.0.1:PORT of the sink's control API
  std::string sms_base;      // http://127.0.0.1:PORT of the Twilio-style emulator
  std::string postal_base;   // http://127.0.0.1:PORT of the postal emulator
};

// Runs the file on `backend` ("sqlite", "postgres"); reports failures
// through gtest, naming the line.
void RunScenario(const std::string& path, const std::string& backend, const Servers& servers);

}  // namespace relance::dunning::testing
