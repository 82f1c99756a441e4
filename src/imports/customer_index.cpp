#include "imports/customer_index.h"

#include <algorithm>
#include <unordered_set>

#include "domain/rules/groups.h"

namespace relance::imports {
namespace {

std::string Header(const ColumnMapping& m, ImportField f, std::string_view fallback) {
  auto col = m.ColumnOf(f);
  return col ? m.headers[*col] : std::string(fallback);
}

}  // namespace

int32_t CustomerIndex::NewSlot() {
  slots_.emplace_back();
  return static_cast<int32_t>(slots_.size() - 1);
}

int32_t CustomerIndex::Follow(int32_t i) const {
  while (i != kNone && at(i).alias != kNone) i = at(i).alias;
  return i;
}

void CustomerIndex::Reject(int32_t i, std::string reason) {
  at(i).rejected = true;
  rejected_reason_.emplace(i, std::move(reason));
}

const std::string& CustomerIndex::RejectedReason(int32_t i) const {
  static const std::string kNoReason;
  auto it = rejected_reason_.find(i);
  return it == rejected_reason_.end() ? kNoReason : it->second;
}

void CustomerIndex::AddStored(store::CustomerKey&& key) {
  int32_t i = NewSlot();
  Slot& s = at(i);
  s.stored = true;
  s.id = std::move(key.id);
  s.name = std::move(key.name);
  if (key.external_id) {
    s.external_id = std::move(*key.external_id);
    by_external_id_.emplace(s.external_id, i);
  } else {
    stored_nameless_[s.name].push_back(i);
  }
  if (key.parent_id) {
    stored_parent_ids_.emplace(*key.parent_id, kNone);
    stored_parent_of_.resize(slots_.size());
    stored_parent_of_[static_cast<size_t>(i)] = std::move(*key.parent_id);
  }
}

void CustomerIndex::FinishStored() {
  // Only the ids that are someone's parent are indexed, not every stored id.
  for (size_t i = 0; i < slots_.size(); ++i) {
    auto it = stored_parent_ids_.find(slots_[i].id);
    if (it != stored_parent_ids_.end()) it->second = static_cast<int32_t>(i);
  }
  for (size_t i = 0; i < stored_parent_of_.size(); ++i) {
    if (stored_parent_of_[i].empty()) continue;
    slots_[i].stored_parent = stored_parent_ids_[stored_parent_of_[i]];
  }
  stored_parent_ids_.clear();
  stored_parent_of_.clear();
  stored_parent_of_.shrink_to_fit();
}

int32_t CustomerIndex::Note(const ImportRow& row) {
  const CustomerPart& cu = row.customer;
  int32_t i = kNone;
  if (cu.external_id) {
    if (auto it = by_external_id_.find(*cu.external_id); it != by_external_id_.end()) {
      i = it->second;
    } else {
      // R-IMP-11: no customer has this external id; a stored customer
      // without one and of the same name is the same customer.
      if (cu.name) {
        auto nit = stored_nameless_.find(*cu.name);
        if (nit != stored_nameless_.end() && nit->second.size() == 1) {
          i = nit->second.front();
          stored_nameless_.erase(nit);
        }
      }
      if (i == kNone) i = NewSlot();
      at(i).external_id = *cu.external_id;
      by_external_id_.emplace(*cu.external_id, i);
    }
    if (cu.name) at(i).name = *cu.name;
  } else {
    auto [it, inserted] = by_name_only_.emplace(*cu.name, kNone);
    if (inserted) {
      it->second = NewSlot();
      at(it->second).name = *cu.name;
    }
    i = it->second;
    name_only_lines_[i].push_back(row.line);
  }
  Slot& s = at(i);
  if (s.first_line == 0) s.first_line = row.line;
  if (cu.HasGroup()) {
    groups_[i] = GroupRef{cu.group_name, cu.group_external_id};
    s.group_line = row.line;
  }
  if (row.contact.present && row.contact.is_main.value_or(false)) s.main_line = row.line;
  return i;
}

int32_t CustomerIndex::Find(const ImportRow& row) const {
  if (row.customer.external_id) {
    auto it = by_external_id_.find(*row.customer.external_id);
    return it == by_external_id_.end() ? kNone : Follow(it->second);
  }
  auto it = by_name_only_.find(*row.customer.name);
  return it == by_name_only_.end() ? kNone : Follow(it->second);
}

std::unordered_map<std::string, std::vector<int32_t>> CustomerIndex::NameIndex(
    const std::unordered_map<std::string, int>& wanted) const {
  std::unordered_set<int32_t> provisional;
  for (const auto& [name, i] : by_name_only_) provisional.insert(i);
  std::unordered_map<std::string, std::vector<int32_t>> index;
  for (size_t i = 0; i < slots_.size(); ++i) {
    const Slot& s = slots_[i];
    if (s.alias != kNone || provisional.contains(static_cast<int32_t>(i))) continue;
    if (wanted.contains(s.name)) index[s.name].push_back(static_cast<int32_t>(i));
  }
  return index;
}

std::vector<store::ImportRejection> CustomerIndex::Resolve(const ColumnMapping& m) {
  std::vector<store::ImportRejection> problems;
  const std::string name_col = Header(m, ImportField::kName, "name");
  const std::string ext_col = Header(m, ImportField::kExternalId, "external_id");
  const std::string group_col = Header(m, ImportField::kGroupName, "group_name");
  const std::string group_ext_col = Header(m, ImportField::kGroupExternalId, "group_external_id");

  std::unordered_map<std::string, int> wanted;
  for (const auto& [name, i] : by_name_only_) wanted[name] = 1;
  for (const auto& [i, g] : groups_) {
    if (g.name) wanted[*g.name] = 1;
  }
  auto names = NameIndex(wanted);

  // Rows that name their customer by name alone (R-IMP-5, R-IMP-8).
  for (const auto& [name, p] : by_name_only_) {
    auto it = names.find(name);
    size_t n = it == names.end() ? 0 : it->second.size();
    if (n == 0) continue;  // a new customer, keyed by its name
    if (n > 1) {
      std::string reason = std::to_string(n) + " customers are named \"" + name +
                           "\" (in this file or in Relance): fill the " + ext_col +
                           " column to say which one";
      for (int64_t line : name_only_lines_[p]) problems.push_back({line, name_col, name, reason});
      Reject(p, reason);
      continue;
    }
    int32_t t = it->second.front();
    Slot& src = at(p);
    Slot& dst = at(t);
    src.alias = t;
    if (dst.first_line == 0 || (src.first_line != 0 && src.first_line < dst.first_line)) {
      dst.first_line = src.first_line;
    }
    dst.main_line = std::max(dst.main_line, src.main_line);
    if (src.group_line > dst.group_line) {
      groups_[t] = groups_[p];
      dst.group_line = src.group_line;
    }
    groups_.erase(p);
  }

  // A new customer needs a name (R-IMP-5).
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if (s.stored || s.alias != kNone || s.rejected || !s.name.empty()) continue;
    std::string reason = "the new customer " + s.external_id + " has no name: fill " + name_col +
                         " on at least one of its rows";
    problems.push_back({s.first_line, ext_col, s.external_id, reason});
    Reject(static_cast<int32_t>(i), reason);
  }

  // Groups, whatever the order of the rows (R-IMP-7).
  for (const auto& [i, g] : groups_) {
    Slot& s = at(i);
    if (s.rejected || s.alias != kNone) continue;
    int32_t target = kNone;
    std::string column, value, reason;
    if (g.external_id) {
      if (auto it = by_external_id_.find(*g.external_id); it != by_external_id_.end()) {
        target = Follow(it->second);
      } else {
        column = group_ext_col, value = *g.external_id;
        reason = "no customer has the " + ext_col + " \"" + *g.external_id +
                 "\", in this file or in Relance";
      }
    }
    if (target == kNone && g.name) {
      std::vector<int32_t> found;
      if (auto it = names.find(*g.name); it != names.end()) found = it->second;
      if (auto it = by_name_only_.find(*g.name); it != by_name_only_.end()) {
        int32_t f = Follow(it->second);
        if (std::find(found.begin(), found.end(), f) == found.end()) found.push_back(f);
      }
      column = group_col, value = *g.name;
      if (found.size() == 1) {
        target = found.front();
        reason.clear();
      } else if (found.empty()) {
        reason = g.external_id
                     ? "no customer has the " + ext_col + " \"" + *g.external_id +
                           "\" nor the name \"" + *g.name + "\", in this file or in Relance"
                     : "no customer is named \"" + *g.name + "\", in this file or in Relance";
      } else {
        reason = std::to_string(found.size()) + " customers are named \"" + *g.name +
                 "\": fill " + group_ext_col + " to say which one is the group";
      }
    }
    if (target == i) {
      reason = "a customer cannot be its own group";
    } else if (target != kNone && at(target).rejected) {
      reason = "its group was not imported: " + RejectedReason(target);
    }
    if (!reason.empty()) {
      problems.push_back({s.group_line, column, value, reason});
      Reject(i, reason);
      continue;
    }
    s.parent = target;
  }

  // R-CORE-3: no customer may become its own ancestor.
  auto parent_of = [this](int32_t i) {
    const Slot& s = at(i);
    return s.parent != kNone ? s.parent : s.stored_parent;
  };
  for (const auto& [i, g] : groups_) {
    Slot& s = at(i);
    if (s.rejected || s.parent == kNone) continue;
    int32_t cur = s.parent;
    for (int depth = 0; cur != kNone && depth <= domain::kMaxGroupDepth; ++depth) {
      if (cur == i) {
        std::string reason = "\"" + s.name + "\" would become its own ancestor through its group";
        problems.push_back({s.group_line, group_col, g.name.value_or(g.external_id.value_or("")),
                            reason});
        Reject(i, reason);
        break;
      }
      cur = parent_of(cur);
    }
  }

  // A subsidiary whose group is rejected is not written either.
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& [i, g] : groups_) {
      Slot& s = at(i);
      if (s.rejected || s.parent == kNone || !at(s.parent).rejected) continue;
      std::string reason = "its group \"" + at(s.parent).name + "\" was not imported";
      problems.push_back({s.group_line, group_col, at(s.parent).name, reason});
      Reject(i, reason);
      changed = true;
    }
  }
  std::stable_sort(problems.begin(), problems.end(),
            [](const auto& a, const auto& b) { return a.line < b.line; });
  return problems;
}

}  // namespace relance::imports
