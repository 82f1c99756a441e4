// Where the entity rules (record_rules.h) read the records a new or changed
// record refers to: its customer, the organization's default dunning plan.
// The default reads the database on every call; a writer of many records at
// once (the sync's page writer) hands the rules a reader that answers from
// the rows it loaded for the whole page, so the rules stay one piece of code
// whichever way records arrive.
#pragma once

#include <optional>
#include <string>

#include "store/db.h"
#include "store/reference_queries.h"

namespace relance::services {

class ReferenceReader {
 public:
  virtual ~ReferenceReader() = default;
  // What the rules read of the customer (store::CustomerReference), or
  // null when the organization has none with this id. The pointer is valid
  // until the next call on this reader.
  virtual Result<const store::CustomerReference*> FindCustomer(const std::string& org_id,
                                                               const std::string& id) = 0;
  // The id of the organization's default dunning plan (R-DUN-1), if any.
  virtual Result<std::optional<std::string>> DefaultPlanId(const std::string& org_id) = 0;
};

// Reads straight from the database, on the caller's connection.
class DatabaseReferenceReader final : public ReferenceReader {
 public:
  explicit DatabaseReferenceReader(store::Connection& c) : c_(c) {}
  Result<const store::CustomerReference*> FindCustomer(const std::string& org_id,
                                                       const std::string& id) override;
  Result<std::optional<std::string>> DefaultPlanId(const std::string& org_id) override;

 private:
  store::Connection& c_;
  std::optional<store::CustomerReference> last_;
};

}  // namespace relance::services
