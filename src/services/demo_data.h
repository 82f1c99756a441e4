// The demo organization that `relance serve --demo` (and `make run`) starts
// with: "Démo Industries" (Europe/Paris, EUR, French), three users (admin,
// member, read-only), ~40 customers with groups, smart-tags, custom fields
// and a prospect, contacts with positions and one main contact each (a few
// customers have none), invoices in every status (NOT_DUE, OVERDUE, PAID,
// TO_SEND, VOID; printed due dates, payable on receipt, or no printed date
// so the customer's or the organization's delay applies), credit notes and
// partial payments allocated to invoices, and a few products.
//
// Everything is written through the services (the real write path with its
// validation and derived fields), never with raw SQL. The data is
// deterministic (a fixed-seed generator) and its dates are relative to the
// clock's today in Europe/Paris, so statuses are right whenever it runs.
//
// Thread-safe as the services are; two processes seeding the same empty
// database at once is not supported (the second fails on the admin's
// e-mail, which is unique).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "services/auth_service.h"
#include "services/context.h"

namespace relance::services {

inline constexpr std::string_view kDemoOrganizationName = "Démo Industries";
inline constexpr std::string_view kDemoAdminEmail = "admin@demo.relance.test";
inline constexpr std::string_view kDemoMemberEmail = "membre@demo.relance.test";
inline constexpr std::string_view kDemoReadOnlyEmail = "lecture@demo.relance.test";
// Public on purpose (README, start-up banner): the demo is for trying the
// product on one's own machine. All three demo users share it.
inline constexpr std::string_view kDemoPassword = "relance-demo";

struct DemoSeed {
  bool created = false;  // false: the demo organization already existed, nothing written
  std::string org_id;
  std::string admin_user_id;
  // An API token of the admin, only when `created`: tokens are stored
  // hashed, so this is the one time it can be shown.
  std::optional<std::string> admin_token;
  // What was written (all zero when !created).
  int users = 0;
  int customers = 0;
  int contacts = 0;
  int invoices = 0;
  int credit_notes = 0;
  int payments = 0;
  int products = 0;
};

// Seeds the demo organization unless a user with kDemoAdminEmail exists, in
// which case it returns that user's organization with created = false.
// The admin is written first, so a seed interrupted half-way is not redone:
// delete the database to start over. `cost` is kMinimum only in tests.
Result<DemoSeed> SeedDemoData(Context ctx, PasswordCost cost = PasswordCost::kInteractive);

}  // namespace relance::services
