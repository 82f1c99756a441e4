// A connector's sync policy (DESIGN: "direction, ownership, deletion policy,
// record filters, field transforms and schedule are declared per connector
// and entity, not scattered in code"). The engine reads only this to decide
// what to write, what to leave to the user and what to do on deletion.
//
// Plain values, built once per connector type; immutable and thread-safe
// after construction.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/date.h"
#include "sync/source_record.h"

namespace relance::sync {

enum class Direction { kPull, kPush, kBoth };

enum class DeletionPolicy {
  kPropagate,    // delete the Relance record (and what belongs only to it)
  kMarkDeleted,  // keep it, marked (an invoice becomes void)
  kIgnore,       // keep it as it is
};

enum class ChangeDetection {
  kWebhooks,         // the source notifies; deliveries are hints to re-fetch
  kUpdatedAtCursor,  // poll records changed since the stored cursor
  kDateWindow,       // re-scan records created in a recent window
  kSnapshotDiff,     // list every id; the ones gone were deleted
};

// A named change applied to every mapped record of an entity before it is
// written (R-SELLSY-9's due date of invoices payable on receipt, ...).
struct FieldTransform {
  std::string name;
  std::function<void(SourceRecord&)> apply;
};

struct EntityPolicy {
  EntityKind kind = EntityKind::kCustomer;
  Direction direction = Direction::kPull;
  // Written at every sync and read-only in Relance for everyone but the
  // connector (409 naming it, services/ownership.h).
  std::vector<std::string> owned_fields;
  // Taken from the source when the record is created, then the user's:
  // later syncs never overwrite them (R-SELLSY-4: main contact, positions).
  std::vector<std::string> create_only_fields;
  DeletionPolicy deletion = DeletionPolicy::kPropagate;
  // Record filter: documents dated before this day are neither fetched nor
  // kept (R-SELLSY-2). Applied by the connector in its queries and checked
  // again by the engine.
  std::optional<Date> dated_from;
  std::vector<ChangeDetection> detection;
  std::vector<FieldTransform> transforms;
};

// One stream the connector reads in order: a backfill walks it from the
// start, an incremental run from its stored cursor. A stream may yield
// several kinds (companies with their contacts).
struct StreamPolicy {
  std::string name;  // "companies", "invoices", ...
  ChangeDetection detection = ChangeDetection::kUpdatedAtCursor;
  // How often a catch-up run re-reads it even when webhooks are on (lost
  // deliveries, R-SELLSY-1's "periodic catch-up").
  std::chrono::seconds catch_up_every{std::chrono::minutes(15)};
};

struct ConnectorPolicy {
  std::string connector;  // "sellsy": the origin of its changes
  std::vector<EntityPolicy> entities;
  // In dependency order: parents before the records that reference them.
  std::vector<StreamPolicy> streams;

  // Null when the connector does not sync that kind.
  const EntityPolicy* Find(EntityKind kind) const;
};

}  // namespace relance::sync
