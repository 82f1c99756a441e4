// Writing an action's outcome, shared by everything that records one: the
// executor (the provider's answer during the send) and the bounce service
// (a delivery status notification after it), so a permanent failure looks
// the same in the to-do list whichever way it was learnt.
#pragma once

#include <functional>
#include <string>

#include "core/date.h"
#include "domain/entities.h"
#include "store/db.h"

namespace relance::dunning {

// Rewrites the action as `edit` says, on its latest version (version + 1,
// updated_at = now). kNotFound when the action is gone.
Result<void> UpdateAction(store::Connection& c, const std::string& org_id, const std::string& id,
                          Timestamp now, const std::function<void(domain::Action&)>& edit);

// Writes `a`, read in this transaction and edited, as its next version
// (version + 1, updated_at = now); kConflict when someone wrote it since.
Result<void> WriteAction(store::Connection& c, domain::Action& a, Timestamp now);

// A permanent failure (R-DUN-4): FAILED, no lease, `reason` (worded for a
// finance user) as last_error; the to-do list shows it (R-DUN-6).
void MarkFailed(domain::Action& a, std::string reason);

}  // namespace relance::dunning
