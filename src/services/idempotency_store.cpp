#include "services/idempotency_store.h"

namespace relance::services {

using store::Connection;
using store::SqlValue;

Result<std::optional<IdempotencyRecord>> IdempotencyStore::Claim(
    const std::string& org_id, const std::string& key, const std::string& request_hash) const {
  std::string now = FormatTimestamp(ctx_.clock.Now());
  auto claimed = store::InTransaction(ctx_.db, [&](Connection& c) -> Result<void> {
    SqlValue params[] = {org_id, key, request_hash, int64_t{0}, std::string(), now};
    RETURN_IF_ERROR(c.Exec(
        "INSERT INTO idempotency_keys (org_id, idem_key, request_hash, status, response_body, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?)",
        params));
    return Ok();
  });
  if (claimed.ok()) return std::optional<IdempotencyRecord>();
  if (claimed.error().code() != ErrorCode::kAlreadyExists) return std::move(claimed).take_error();
  ASSIGN_OR_RETURN(auto existing, Find(org_id, key));
  if (!existing) {
    // Released between our insert and our read: report it as still busy;
    // the caller's retry loop claims it next time round.
    return std::optional<IdempotencyRecord>(IdempotencyRecord{request_hash, 0, "", now});
  }
  return existing;
}

Result<void> IdempotencyStore::Complete(const std::string& org_id, const std::string& key,
                                        int status, const std::string& response_body) const {
  return store::InTransaction(ctx_.db, [&](Connection& c) -> Result<void> {
    SqlValue params[] = {int64_t{status}, response_body, org_id, key};
    RETURN_IF_ERROR(
        c.Exec("UPDATE idempotency_keys SET status = ?, response_body = ? WHERE org_id = ? AND "
               "idem_key = ? AND status = 0",
               params));
    return Ok();
  });
}

Result<void> IdempotencyStore::Release(const std::string& org_id, const std::string& key) const {
  return store::InTransaction(ctx_.db, [&](Connection& c) -> Result<void> {
    SqlValue params[] = {org_id, key};
    RETURN_IF_ERROR(c.Exec(
        "DELETE FROM idempotency_keys WHERE org_id = ? AND idem_key = ? AND status = 0", params));
    return Ok();
  });
}

Result<std::optional<IdempotencyRecord>> IdempotencyStore::Find(const std::string& org_id,
                                                                const std::string& key) const {
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  SqlValue params[] = {org_id, key};
  ASSIGN_OR_RETURN(auto rows, conn->Query("SELECT request_hash, status, response_body, created_at "
                                          "FROM idempotency_keys WHERE org_id = ? AND idem_key = ?",
                                          params));
  if (rows.empty()) return std::optional<IdempotencyRecord>();
  const auto& r = rows[0];
  return std::optional<IdempotencyRecord>(
      IdempotencyRecord{r.Text(0), static_cast<int>(r.Int(1)), r.Text(2), r.Text(3)});
}

}  // namespace relance::services
