// The queries of bulk imports that the generic repository does not cover:
// reading an organization's customer keys in pages (so a large organization
// is never loaded in one result), linking a parent, and the rejected rows of
// an import (R-IMP-12). Every call is scoped to an organization and runs on
// the connection given (inside the caller's transaction when there is one).
// Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/db.h"

namespace relance::store {

// What an import needs to know of a stored customer to match rows to it.
struct CustomerKey {
  std::string id;
  std::optional<std::string> external_id;
  std::string name;
  std::optional<std::string> parent_id;
};

// Calls `fn` for every customer of the organization, in id order, reading
// `page` rows at a time.
Result<void> ForEachCustomerKey(Connection& c, const std::string& org_id,
                                const std::function<void(CustomerKey&&)>& fn, int page = 5000);

// (id, email) of every user of the organization.
Result<std::vector<std::pair<std::string, std::string>>> UserEmails(Connection& c,
                                                                    const std::string& org_id);

// Sets a customer's parent. `bump_version`: false for a customer created in
// the same transaction (its creation is not a second change).
Result<void> SetCustomerParent(Connection& c, const std::string& org_id, const std::string& id,
                               const std::string& parent_id, const std::string& now,
                               bool bump_version);

struct ImportRejection {
  int64_t line = 0;
  std::string column;  // header of the column at fault; empty for the whole row
  std::string value;
  std::string reason;
};

// Appends rejections numbered from `first_seq`.
Result<void> InsertImportRejections(Connection& c, const std::string& org_id,
                                    const std::string& import_id, int64_t first_seq,
                                    const std::vector<ImportRejection>& rows);
// Rejections with seq > `after_seq`, in order, at most `limit`; each with its seq.
Result<std::vector<std::pair<int64_t, ImportRejection>>> ListImportRejections(
    Connection& c, const std::string& org_id, const std::string& import_id, int64_t after_seq,
    int limit);

struct ImportJobKey {
  std::string org_id;
  std::string id;
};

// Claims the oldest QUEUED import of any organization: sets it RUNNING with
// a conditional update, so two runners never claim the same job. nullopt
// when none is queued.
Result<std::optional<ImportJobKey>> ClaimQueuedImport(Connection& c, const std::string& now);

// After a crash: jobs a server was running go back to the queue (their
// writes were one uncommitted transaction); jobs a CLI process was running
// are marked FAILED (the process is gone). Returns how many were requeued.
Result<int64_t> RecoverInterruptedImports(Connection& c, const std::string& now);

// Puts a RUNNING job back in the queue (its run was stopped, nothing written).
Result<void> RequeueImport(Connection& c, const std::string& org_id, const std::string& id);

// Deletes the stored rejections of one import (before storing new ones).
Result<void> DeleteImportRejections(Connection& c, const std::string& org_id,
                                    const std::string& import_id);

}  // namespace relance::store
