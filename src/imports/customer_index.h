// Which customer each row of an import names, across the whole file and the
// organization's stored customers (R-IMP-5, R-IMP-7, R-IMP-10, R-IMP-11).
// Pure bookkeeping, no I/O: the import job feeds it the stored customers,
// then every valid row (pass 1), asks it to resolve names and groups, and
// reads the resolved customer of each row again while writing (pass 2).
//
// Memory: one compact slot per customer (no field values: 80 bytes, its
// id, external id and name in a StringArena, ~60 bytes for the benchmark's
// customers), plus open-addressing indexes of slot numbers on external ids
// and on the names rows refer to by name alone (8 bytes an entry).
//
// Not thread-safe; one per import.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "imports/compact_strings.h"
#include "imports/import_row.h"
#include "store/import_queries.h"

namespace relance::imports {

class CustomerIndex {
 public:
  static constexpr int32_t kNone = -1;

  // The strings of a slot are read and set through the index: id(i),
  // external_id(i), name(i), set_id(i, id).
  struct Slot {
    StringArena::Ref id_ref;           // stored id, or the id given when pass 2 creates it
    StringArena::Ref external_id_ref;  // empty: none
    StringArena::Ref name_ref;         // final name (the file's last, else the stored one)
    int32_t stored_parent = kNone;  // the stored group, for stored customers
    int32_t parent = kNone;         // the group the file gives (resolved)
    int32_t alias = kNone;          // a name-only slot merged into this one
    bool stored = false;
    bool rejected = false;   // its rows are not written (why: rejected_reason)
    bool written = false;    // pass 2: created or loaded already
    bool counted_update = false;
    bool linked = false;     // pass 2: its group link is written
    int64_t first_line = 0;  // first row naming it; 0: not in the file
    int64_t group_line = 0;  // last row naming a group
    int64_t main_line = 0;   // R-IMP-10: last row marking a main contact
    uint64_t digest = 0;     // pass 2: customer values last written
  };

  CustomerIndex() = default;
  CustomerIndex(const CustomerIndex&) = delete;  // the key indexes point back at it
  CustomerIndex& operator=(const CustomerIndex&) = delete;

  // Preload, before any row: every stored customer of the organization.
  void AddStored(store::CustomerKey&& key);
  void FinishStored();

  // Pass 1: records a valid row; returns its slot. `line` must increase.
  int32_t Note(const ImportRow& row);

  // After pass 1: merges rows naming a customer by name alone into the one
  // customer of that name (file or stored), links groups, refuses cycles and
  // nameless new customers. Returns the problems found, each on the row at
  // fault; the slots concerned are marked rejected.
  std::vector<store::ImportRejection> Resolve(const ColumnMapping& mapping);

  // Pass 2: the resolved slot of a row that Note() accepted.
  int32_t Find(const ImportRow& row) const;

  Slot& at(int32_t i) { return slots_[static_cast<size_t>(i)]; }
  const Slot& at(int32_t i) const { return slots_[static_cast<size_t>(i)]; }
  size_t size() const { return slots_.size(); }
  std::string_view id(int32_t i) const { return strings_.Get(at(i).id_ref); }
  std::string_view external_id(int32_t i) const { return strings_.Get(at(i).external_id_ref); }
  std::string_view name(int32_t i) const { return strings_.Get(at(i).name_ref); }
  // Pass 2: the id of a customer written (empty: forget it, before a retry).
  void set_id(int32_t i, std::string_view id) { at(i).id_ref = strings_.Add(id); }
  // Bytes held by the strings (for tests and logs).
  size_t string_bytes() const { return strings_.bytes(); }
  // Why a rejected slot's rows are not written (names the line at fault).
  const std::string& RejectedReason(int32_t i) const;

 private:
  struct GroupRef {
    std::optional<StringArena::Ref> name;
    std::optional<StringArena::Ref> external_id;
  };
  struct GroupText {
    std::optional<std::string> name;
    std::optional<std::string> external_id;
  };
  struct ExternalIdOf {
    const CustomerIndex* index;
    std::string_view operator()(int32_t i) const { return index->external_id(i); }
  };
  struct NameOf {
    const CustomerIndex* index;
    std::string_view operator()(int32_t i) const { return index->name(i); }
  };
  int32_t NewSlot();
  int32_t Follow(int32_t i) const;
  void Reject(int32_t i, std::string reason);
  void SetName(int32_t i, std::string_view name);
  std::optional<std::string> Text(const std::optional<StringArena::Ref>& r) const {
    return r ? std::optional<std::string>(strings_.Get(*r)) : std::nullopt;
  }
  // Every non-alias slot whose final name is in `wanted`.
  std::unordered_map<std::string, std::vector<int32_t>> NameIndex(
      const std::unordered_map<std::string, int>& wanted) const;

  // A deque: growing never copies the slots (no 2x peak of a vector).
  std::deque<Slot> slots_;
  StringArena strings_;
  SlotKeyIndex<ExternalIdOf> by_external_id_{ExternalIdOf{this}};
  // Stored customers without an external id, by name (R-IMP-11's "else name").
  std::unordered_map<std::string, std::vector<int32_t>> stored_nameless_;
  std::unordered_map<std::string, int32_t> stored_parent_ids_;  // preload only
  std::vector<StringArena::Ref> stored_parent_of_;              // preload only
  // Rows naming a customer by name alone: one provisional slot per name,
  // with the lines that did (to reject them all when the name is ambiguous).
  SlotKeyIndex<NameOf> by_name_only_{NameOf{this}};
  std::unordered_map<int32_t, std::vector<int64_t>> name_only_lines_;
  std::unordered_map<int32_t, GroupRef> groups_;
  std::unordered_map<int32_t, std::string> rejected_reason_;
};

}  // namespace relance::imports
