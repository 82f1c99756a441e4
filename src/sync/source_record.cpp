#include "sync/source_record.h"
#include "sync/policy.h"

#include <array>
#include <utility>

namespace relance::sync {

namespace {
constexpr std::array<std::pair<EntityKind, std::string_view>, 5> kNames = {{
    {EntityKind::kCustomer, "customer"},
    {EntityKind::kContact, "contact"},
    {EntityKind::kInvoice, "invoice"},
    {EntityKind::kCreditNote, "credit_note"},
    {EntityKind::kPayment, "payment"},
}};
}  // namespace

std::string_view EntityName(EntityKind kind) {
  for (const auto& [k, name] : kNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

std::optional<EntityKind> EntityKindNamed(std::string_view name) {
  for (const auto& [k, n] : kNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

const EntityPolicy* ConnectorPolicy::Find(EntityKind kind) const {
  for (const auto& e : entities) {
    if (e.kind == kind) return &e;
  }
  return nullptr;
}

}  // namespace relance::sync
