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

void CustomerIndex::SetName(int32_t i, std::string_view name) {
  // Rows of one customer usually repeat its name: only a change costs bytes.
  if (this->name(i) != name) at(i).name_ref = strings_.Add(name);
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
  s.id_ref = strings_.Add(key.id);
  s.name_ref = strings_.Add(key.name);
  if (key.external_id) {
    s.external_id_ref = strings_.Add(*key.external_id);
    by_external_id_.Insert(i);
  } else {
    stored_nameless_[key.name].push_back(i);
  }
  if (key.parent_id) {
    stored_parent_ids_.emplace(*key.parent_id, kNone);
    stored_parent_of_.resize(slots_.size());
    stored_parent_of_[static_cast<size_t>(i)] = strings_.Add(*key.parent_id);
  }
}

void CustomerIndex::FinishStored() {
  // Only the ids that are someone's parent are indexed, not every stored id.
  for (size_t i = 0; i < slots_.size(); ++i) {
    auto it = stored_parent_ids_.find(std::string(id(static_cast<int32_t>(i))));
    if (it != stored_parent_ids_.end()) it->second = static_cast<int32_t>(i);
  }
  for (size_t i = 0; i < stored_parent_of_.size(); ++i) {
    if (stored_parent_of_[i].empty()) continue;
    slots_[i].stored_parent = stored_parent_ids_[std::string(strings_.Get(stored_parent_of_[i]))];
  }
  stored_parent_ids_.clear();
  stored_parent_of_.clear();
  stored_parent_of_.shrink_to_fit();
}

int32_t CustomerIndex::Note(const ImportRow& row) {
  const CustomerPart& cu = row.customer;
  int32_t i = kNone;
  if (cu.external_id) {
    if (int32_t found = by_external_id_.Find(*cu.external_id); found != kNone) {
      i = found;
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
      at(i).external_id_ref = strings_.Add(*cu.external_id);
      by_external_id_.Insert(i);
    }
    if (cu.name) SetName(i, *cu.name);
  } else {
    i = by_name_only_.Find(*cu.name);
    if (i == kNone) {
      i = NewSlot();
      at(i).name_ref = strings_.Add(*cu.name);
      by_name_only_.Insert(i);
    }
    name_only_lines_[i].push_back(row.line);
  }
  Slot& s = at(i);
  if (s.first_line == 0) s.first_line = row.line;
  if (cu.HasGroup()) {
    GroupRef g;
    if (cu.group_name) g.name = strings_.Add(*cu.group_name);
    if (cu.group_external_id) g.external_id = strings_.Add(*cu.group_external_id);
    groups_[i] = g;
    s.group_line = row.line;
  }
  if (row.contact.present && row.contact.is_main.value_or(false)) s.main_line = row.line;
  return i;
}

int32_t CustomerIndex::Find(const ImportRow& row) const {
  if (row.customer.external_id) return Follow(by_external_id_.Find(*row.customer.external_id));
  return Follow(by_name_only_.Find(*row.customer.name));
}

std::unordered_map<std::string, std::vector<int32_t>> CustomerIndex::NameIndex(
    const std::unordered_map<std::string, int>& wanted) const {
  std::unordered_set<int32_t> provisional;
  by_name_only_.ForEach([&](int32_t i) { provisional.insert(i); });
  std::unordered_map<std::string, std::vector<int32_t>> index;
  std::string key;
  for (size_t i = 0; i < slots_.size(); ++i) {
    const Slot& s = slots_[i];
    if (s.alias != kNone || provisional.contains(static_cast<int32_t>(i))) continue;
    key = name(static_cast<int32_t>(i));
    if (wanted.contains(key)) index[key].push_back(static_cast<int32_t>(i));
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
  by_name_only_.ForEach([&](int32_t i) { wanted[std::string(name(i))] = 1; });
  for (const auto& [i, g] : groups_) {
    if (g.name) wanted[std::string(strings_.Get(*g.name))] = 1;
  }
  auto names = NameIndex(wanted);

  // Rows that name their customer by name alone (R-IMP-5, R-IMP-8).
  std::vector<int32_t> name_only;
  by_name_only_.ForEach([&](int32_t i) { name_only.push_back(i); });
  std::sort(name_only.begin(), name_only.end());
  for (int32_t p : name_only) {
    const std::string name(this->name(p));
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
    if (s.stored || s.alias != kNone || s.rejected || !s.name_ref.empty()) continue;
    const std::string external_id(this->external_id(static_cast<int32_t>(i)));
    std::string reason = "the new customer " + external_id + " has no name: fill " + name_col +
                         " on at least one of its rows";
    problems.push_back({s.first_line, ext_col, external_id, reason});
    Reject(static_cast<int32_t>(i), reason);
  }

  // Groups, whatever the order of the rows (R-IMP-7).
  for (const auto& [i, ref] : groups_) {
    Slot& s = at(i);
    if (s.rejected || s.alias != kNone) continue;
    const GroupText g{Text(ref.name), Text(ref.external_id)};
    int32_t target = kNone;
    std::string column, value, reason;
    if (g.external_id) {
      if (int32_t found = by_external_id_.Find(*g.external_id); found != kNone) {
        target = Follow(found);
      } else {
        column = group_ext_col, value = *g.external_id;
        reason = "no customer has the " + ext_col + " \"" + *g.external_id +
                 "\", in this file or in Relance";
      }
    }
    if (target == kNone && g.name) {
      std::vector<int32_t> found;
      if (auto it = names.find(*g.name); it != names.end()) found = it->second;
      if (int32_t only = by_name_only_.Find(*g.name); only != kNone) {
        int32_t f = Follow(only);
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
        std::string reason =
            "\"" + std::string(name(i)) + "\" would become its own ancestor through its group";
        problems.push_back({s.group_line, group_col,
                            Text(g.name).value_or(Text(g.external_id).value_or("")), reason});
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
      const std::string group(name(s.parent));
      std::string reason = "its group \"" + group + "\" was not imported";
      problems.push_back({s.group_line, group_col, group, reason});
      Reject(i, reason);
      changed = true;
    }
  }
  std::stable_sort(problems.begin(), problems.end(),
            [](const auto& a, const auto& b) { return a.line < b.line; });
  return problems;
}

}  // namespace relance::imports
