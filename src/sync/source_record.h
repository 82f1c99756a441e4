// What a connector hands the sync engine: records of an external system
// already mapped to the canonical model (domain/entities.h), each named by
// its external id, with references to other records by *their* external ids
// (the engine turns them into Relance ids). Connectors never see the store;
// the engine persists (DESIGN: "connectors never touch the store").
//
// Plain values; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/entities.h"

namespace relance::sync {

// The canonical entities a connector can feed. Credit notes are invoices of
// kind CREDIT_NOTE in the model but have their own policy (filters,
// deletion) and their own external-id space in most sources.
enum class EntityKind { kCustomer, kContact, kInvoice, kCreditNote, kPayment };

// "customer", "contact", "invoice", "credit_note", "payment": the names used
// in external references, the change log and policies.
std::string_view EntityName(EntityKind kind);
// The inverse; nullopt for an unknown name.
std::optional<EntityKind> EntityKindNamed(std::string_view name);

// Money of a payment or credit note moved onto one invoice (R-CORE-5/6).
struct SourceAllocation {
  std::string invoice_external_id;
  int64_t amount = 0;  // minor units of the source document's currency
};

// Mapped records. The domain struct's own ids (meta, customer_id,
// parent_id, ...) are ignored: the engine fills them from the references.
struct SourceCustomer {
  domain::Customer record;
  std::optional<std::string> parent_external_id;  // the group it belongs to
};

struct SourceContact {
  domain::Contact record;
  std::string customer_external_id;
};

// An invoice or a credit note (record.kind says which). A credit note's
// allocations are the invoices it was applied to.
struct SourceInvoice {
  domain::Invoice record;
  std::string customer_external_id;
  std::vector<SourceAllocation> allocations;  // credit notes only
};

// R-SELLSY-6: a connector hands only payments allocated to invoices; one
// whose allocations all disappeared comes as deleted.
struct SourcePayment {
  domain::Payment record;
  std::string customer_external_id;
  std::vector<SourceAllocation> allocations;
};

using SourceData = std::variant<SourceCustomer, SourceContact, SourceInvoice, SourcePayment>;

struct SourceRecord {
  EntityKind kind = EntityKind::kCustomer;
  // Unique per (connector, kind) within an organization, stable for the
  // life of the source record. Also written into the record's own
  // `external_id` field.
  std::string external_id;
  // Changes whenever the mapped content changes (the source's updated-at,
  // or a hash of the mapped fields when the source has none): an equal
  // version means there is nothing to write, so a re-delivery is free.
  std::string version;
  // The source says the record is gone (404 on re-fetch, a delete event, or
  // absent from a full snapshot). `data` is then unused.
  bool deleted = false;
  // When the record changed in the source, if known (the change log's "when").
  std::optional<std::string> source_changed_at;
  SourceData data;
};

// A hint that a source record changed, from a webhook delivery: the engine
// asks the connector for the record's current state (deliveries carry no
// data and may be lost, duplicated or reordered, so they are only hints).
struct ChangeHint {
  std::string object_type;  // the source's own name ("client", "invoice")
  std::string object_id;    // the source's id
  std::string event;        // "created", "updated", "deleted", ...
};

}  // namespace relance::sync
