// The bounce samples of tests/delivery/data/bounces/ (what Postfix, Exim,
// Gmail, Exchange Online and qmail send), for the tests of every layer that
// reads bounces, and the sent e-mail action they bounce.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "core/ids.h"
#include "domain/entities.h"

namespace relance::test {

// The sample `name` with each {{MESSAGE_ID}} replaced by `message_id`.
inline std::string BounceSample(const std::string& name, const std::string& message_id) {
  const char* source = std::getenv("RELANCE_SOURCE_DIR");
  std::ifstream in(std::string(source ? source : ".") + "/tests/delivery/data/bounces/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in) << name << " (is RELANCE_SOURCE_DIR set?)";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const std::string placeholder = "{{MESSAGE_ID}}";
  for (size_t at = text.find(placeholder); at != std::string::npos;
       at = text.find(placeholder, at + message_id.size())) {
    text.replace(at, placeholder.size(), message_id);
  }
  return text;
}

// An e-mail reminder to gone@durand.test that the SMTP server accepted, as
// the executor leaves it: SENT, with Message-ID "<id>@acme.test".
inline domain::Action SentEmailAction(const std::string& org_id, Timestamp now) {
  domain::Action a;
  a.meta.org_id = org_id;
  a.meta.id = NewId(kActionPrefix, now);
  a.meta.version = 1;
  a.meta.created_at = a.meta.updated_at = a.due_at = FormatTimestamp(now);
  a.category = "REMINDER";
  a.channel = "EMAIL";
  a.mode = "AUTOMATIC";
  a.status = "SENT";
  a.dedupe_key = "R:test:" + a.meta.id;
  a.plan_id = "dpl_test";
  a.step_id = "dst_test";
  a.customer_id = "cus_test";
  a.invoice_id = a.invoice_ids = "inv_test";
  a.sent_at = a.meta.created_at;
  a.recipients = "gone@durand.test";
  a.message_id = a.meta.id + "@acme.test";
  return a;
}

}  // namespace relance::test
