// A description of each entity's fields, read by the generic code that turns
// records into JSON (http/), SQL rows (store/) and OpenAPI schemas, so that a
// field is declared once instead of in five hand-written places.
//
// Specs are immutable singletons built at first use; thread-safe to read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"
#include "domain/entities.h"

namespace relance::domain {

enum class FieldType {
  kText,   // string; `allowed` lists the values of an enumeration
  kInt,    // int64
  kMoney,  // int64 minor units of the record's `currency`
  kBool,
  kDate,   // "YYYY-MM-DD"
  kMap,    // string -> string
};

enum FieldFlag : unsigned {
  kRequired = 1u << 0,    // must be given on create
  kOutputOnly = 1u << 1,  // computed or set by the server; a client may not write it
  kFilterable = 1u << 2,  // ?field=value on list
  kSortable = 1u << 3,    // ?sort=field / -field on list
  kCreateOnly = 1u << 4,  // may be given on create, never changed after
  kSecret = 1u << 5,      // stored, never returned (password hashes)
};

// A field's value, independent of its member type. monostate = null / absent.
using FieldValue = std::variant<std::monostate, int64_t, bool, std::string, Date, StringMap>;

template <typename T>
using MemberPtr =
    std::variant<std::string T::*, std::optional<std::string> T::*, int64_t T::*,
                 std::optional<int64_t> T::*, bool T::*, Date T::*, std::optional<Date> T::*,
                 StringMap T::*>;

template <typename T>
struct FieldSpec {
  FieldSpec(std::string_view name_in, FieldType type_in, unsigned flags_in, MemberPtr<T> member_in,
            std::vector<std::string_view> allowed_in = {}, std::string_view ref_prefix_in = {},
            std::string_view description_in = {})
      : name(name_in),
        type(type_in),
        flags(flags_in),
        member(member_in),
        allowed(std::move(allowed_in)),
        ref_prefix(ref_prefix_in),
        description(description_in) {}

  std::string_view name;  // JSON member and SQL column
  FieldType type;
  unsigned flags;
  MemberPtr<T> member;
  std::vector<std::string_view> allowed;  // enumeration values, if any
  std::string_view ref_prefix;            // id prefix of a referenced record
  std::string_view description;           // for the OpenAPI document

  bool Has(FieldFlag f) const { return (flags & f) != 0; }
  bool nullable() const {
    return std::visit(
        [](auto p) {
          using M = std::remove_cvref_t<decltype(std::declval<T>().*p)>;
          return !std::is_same_v<M, std::string> && !std::is_same_v<M, int64_t> &&
                 !std::is_same_v<M, bool> && !std::is_same_v<M, Date> &&
                 !std::is_same_v<M, StringMap>;
        },
        member);
  }

  FieldValue Get(const T& record) const;
  // Whether the field holds the same value in both: Get(a) == Get(b),
  // without copying either value.
  bool Same(const T& a, const T& b) const {
    return std::visit([&](auto p) { return a.*p == b.*p; }, member);
  }
  // Type-checked assignment; null clears an optional member and is an error
  // for a required one.
  Result<void> Set(T& record, const FieldValue& value) const;
};

template <typename T>
struct EntitySpec {
  std::string_view resource;   // "customers": URL segment and OpenAPI tag
  std::string_view table;      // SQL table
  std::string_view id_prefix;  // "cus"
  std::string_view entity;     // "customer": external refs, messages
  std::vector<FieldSpec<T>> fields;

  const FieldSpec<T>* Find(std::string_view name) const {
    for (const auto& f : fields) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
};

const EntitySpec<Organization>& OrganizationSpec();
const EntitySpec<User>& UserSpec();
const EntitySpec<Customer>& CustomerSpec();
const EntitySpec<Contact>& ContactSpec();
const EntitySpec<Invoice>& InvoiceSpec();
const EntitySpec<Payment>& PaymentSpec();
const EntitySpec<Allocation>& AllocationSpec();
const EntitySpec<Product>& ProductSpec();
const EntitySpec<DunningPlan>& DunningPlanSpec();
const EntitySpec<ImportJob>& ImportJobSpec();
const EntitySpec<DunningStep>& DunningStepSpec();
const EntitySpec<Action>& ActionSpec();
const EntitySpec<SyncConnection>& SyncConnectionSpec();
const EntitySpec<SyncRun>& SyncRunSpec();
const EntitySpec<SyncChange>& SyncChangeSpec();

// The spec of an entity type, for generic code.
template <typename T>
const EntitySpec<T>& SpecOf();
template <> inline const EntitySpec<Organization>& SpecOf() { return OrganizationSpec(); }
template <> inline const EntitySpec<User>& SpecOf() { return UserSpec(); }
template <> inline const EntitySpec<Customer>& SpecOf() { return CustomerSpec(); }
template <> inline const EntitySpec<Contact>& SpecOf() { return ContactSpec(); }
template <> inline const EntitySpec<Invoice>& SpecOf() { return InvoiceSpec(); }
template <> inline const EntitySpec<Payment>& SpecOf() { return PaymentSpec(); }
template <> inline const EntitySpec<Allocation>& SpecOf() { return AllocationSpec(); }
template <> inline const EntitySpec<Product>& SpecOf() { return ProductSpec(); }
template <> inline const EntitySpec<DunningPlan>& SpecOf() { return DunningPlanSpec(); }
template <> inline const EntitySpec<ImportJob>& SpecOf() { return ImportJobSpec(); }
template <> inline const EntitySpec<DunningStep>& SpecOf() { return DunningStepSpec(); }
template <> inline const EntitySpec<Action>& SpecOf() { return ActionSpec(); }
template <> inline const EntitySpec<SyncConnection>& SpecOf() { return SyncConnectionSpec(); }
template <> inline const EntitySpec<SyncRun>& SpecOf() { return SyncRunSpec(); }
template <> inline const EntitySpec<SyncChange>& SpecOf() { return SyncChangeSpec(); }

// True when every field of the spec has the same value in `a` and `b`
// (meta excluded): a write that would change nothing can be skipped.
template <typename T>
bool SameFieldValues(const T& a, const T& b) {
  for (const auto& f : SpecOf<T>().fields) {
    if (!f.Same(a, b)) return false;
  }
  return true;
}

// ---- implementation of the templates ----

template <typename T>
FieldValue FieldSpec<T>::Get(const T& record) const {
  return std::visit(
      [&](auto p) -> FieldValue {
        const auto& m = record.*p;
        using M = std::remove_cvref_t<decltype(m)>;
        if constexpr (std::is_same_v<M, std::optional<std::string>> ||
                      std::is_same_v<M, std::optional<int64_t>> ||
                      std::is_same_v<M, std::optional<Date>>) {
          if (!m) return std::monostate{};
          return FieldValue(*m);
        } else {
          return FieldValue(m);
        }
      },
      member);
}

template <typename T>
Result<void> FieldSpec<T>::Set(T& record, const FieldValue& value) const {
  return std::visit(
      [&](auto p) -> Result<void> {
        auto& m = record.*p;
        using M = std::remove_cvref_t<decltype(m)>;
        auto wrong = [&] { return FieldInvalid(std::string(name), "has the wrong type"); };
        if constexpr (std::is_same_v<M, std::optional<std::string>> ||
                      std::is_same_v<M, std::optional<int64_t>> ||
                      std::is_same_v<M, std::optional<Date>>) {
          using V = typename M::value_type;
          if (std::holds_alternative<std::monostate>(value)) {
            m.reset();
            return Ok();
          }
          if (!std::holds_alternative<V>(value)) return wrong();
          m = std::get<V>(value);
          return Ok();
        } else {
          if (std::holds_alternative<std::monostate>(value)) {
            if constexpr (std::is_same_v<M, StringMap>) {
              m.clear();
              return Ok();
            }
            return FieldInvalid(std::string(name), "must not be null");
          }
          if (!std::holds_alternative<M>(value)) return wrong();
          m = std::get<M>(value);
          return Ok();
        }
      },
      member);
}

}  // namespace relance::domain
