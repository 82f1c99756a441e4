#include "imports/customer_import.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "core/ids.h"
#include "domain/entity_spec.h"
#include "domain/rules/validation.h"
#include "imports/customer_index.h"
#include "imports/email_hash_set.h"
#include "services/ownership.h"
#include "store/contact_queries.h"
#include "store/record_repository.h"

namespace relance::imports {
namespace {

using domain::Contact;
using domain::Customer;
using store::Connection;
using store::ImportRejection;

constexpr int64_t kProgressEvery = 8192;
// Rows per BulkInsert: the buffered rows are about 1 MB at this size.
constexpr size_t kWriteBatch = 2000;

// Rows of the file after its header, in order, whatever the format.
class DataRows {
 public:
  static Result<DataRows> Open(const std::string& path, const std::string& sheet) {
    ReaderOptions options;
    options.sheet = sheet;
    ASSIGN_OR_RETURN(auto reader, OpenReader(path, options));
    ASSIGN_OR_RETURN(auto first, ReadRows(*reader, 10));
    RETURN_IF_ERROR(CheckHeaderRow(first, reader->format().format));
    return DataRows(std::move(reader), std::move(first));
  }

  const std::vector<std::string>& header() const { return first_[0].cells; }
  const DetectedFormat& format() const { return reader_->format(); }
  std::span<const OwnedRow> first_rows() const {
    return std::span<const OwnedRow>(first_).subspan(1);
  }

  // Calls fn(line, cells, problem) for each data row.
  template <typename Fn>
  Result<void> ForEach(Fn&& fn) {
    std::vector<std::string_view> cells;
    for (size_t i = 1; i < first_.size(); ++i) {
      cells.assign(first_[i].cells.begin(), first_[i].cells.end());
      RETURN_IF_ERROR(fn(first_[i].line, std::span<const std::string_view>(cells),
                         std::string_view(first_[i].problem)));
    }
    for (;;) {
      ASSIGN_OR_RETURN(auto row, reader_->Next());
      if (!row) return Ok();
      RETURN_IF_ERROR(fn(row->line, row->cells, row->problem));
    }
  }

 private:
  DataRows(std::unique_ptr<RowReader> reader, std::vector<OwnedRow> first)
      : reader_(std::move(reader)), first_(std::move(first)) {}
  std::unique_ptr<RowReader> reader_;
  std::vector<OwnedRow> first_;
};

class Import {
 public:
  Import(services::Context ctx, const services::Principal& who, const std::string& path,
         const ImportSettings& s, const ProgressFn& progress)
      : ctx_(ctx), who_(who), path_(path), s_(s), progress_(progress) {}

  Result<ImportOutcome> Run();

 private:
  Result<void> Preload();
  Result<void> Validate();
  Result<void> Write(Connection& c);
  Result<void> WriteRow(Connection& c, const ImportRow& row);
  Result<void> WriteCustomer(Connection& c, int32_t i, const ImportRow& row,
                             std::vector<RowProblem>& problems);
  Result<void> WriteContact(Connection& c, int32_t i, const ImportRow& row);
  Result<void> LinkGroups(Connection& c);
  Result<void> FlushAll(Connection& c);
  // References named by the row (account manager, dunning plan) as ids.
  Result<void> ResolveReferences(const CustomerPart& cu, Customer& c,
                                 std::vector<RowProblem>* problems) const;
  void RejectRow(int64_t line, std::vector<RowProblem> problems);
  void RejectRow(int64_t line, std::string column, std::string value, std::string reason);
  // Reports progress every kProgressEvery rows, and stops when asked to.
  Result<void> Report(ImportPhase phase, int64_t done, bool force = false);

  services::Context ctx_;
  const services::Principal& who_;
  const std::string& path_;
  const ImportSettings& s_;
  const ProgressFn& progress_;

  ImportOutcome out_;
  CustomerIndex index_;
  std::unordered_map<std::string, std::string> users_by_email_;
  std::unordered_map<std::string, std::string> plans_by_name_;
  bool org_had_contacts_ = false;
  size_t contacts_in_file_ = 0;  // valid rows with a contact (pass 1)
  std::vector<int64_t> rejected_lines_;  // pass 1, in order
  int64_t pass2_rejected_ = 0;

  // Pass 2 state (reset at each attempt of the transaction).
  store::RecordRepository<Customer> customers_{domain::CustomerSpec()};
  store::RecordRepository<Contact> contacts_{domain::ContactSpec()};
  std::optional<store::BulkWriter<Customer>> new_customers_;
  std::optional<store::BulkWriter<Contact>> new_contacts_;
  EmailHashSet emails_seen_;
  Timestamp now_ts_{};
  std::string now_;
};

Result<void> Import::Report(ImportPhase phase, int64_t done, bool force) {
  if (!force && done % kProgressEvery != 0) return Ok();
  // Not kUnavailable: InTransaction would run the write pass again.
  if (s_.stop && s_.stop->load()) {
    return Error(ErrorCode::kFailedPrecondition, std::string(kImportStopped));
  }
  if (progress_)
    progress_({phase, done, phase == ImportPhase::kWriting ? out_.counts.rows_total : 0});
  return Ok();
}

void Import::RejectRow(int64_t line, std::vector<RowProblem> problems) {
  ++out_.counts.rows_rejected;
  for (auto& p : problems) {
    ++out_.rejections_total;
    if (out_.rejections.size() < kMaxRejectionsKept) {
      out_.rejections.push_back(
          {line, std::move(p.column), std::move(p.value), std::move(p.reason)});
    }
  }
}

void Import::RejectRow(int64_t line, std::string column, std::string value, std::string reason) {
  std::vector<RowProblem> one;
  one.push_back({std::move(column), std::move(value), std::move(reason)});
  RejectRow(line, std::move(one));
}

Result<void> Import::Preload() {
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  RETURN_IF_ERROR(store::ForEachCustomerKey(
      *conn, who_.org_id, [this](store::CustomerKey&& k) { index_.AddStored(std::move(k)); }));
  index_.FinishStored();
  ASSIGN_OR_RETURN(auto users, store::UserEmails(*conn, who_.org_id));
  for (auto& [id, email] : users) {
    std::string lower = email;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    users_by_email_.emplace(std::move(lower), std::move(id));
  }
  store::RecordRepository<domain::DunningPlan> plans(domain::DunningPlanSpec());
  store::ListQuery q;
  q.limit = 1000;
  for (;;) {
    ASSIGN_OR_RETURN(auto page, plans.List(*conn, who_.org_id, q));
    for (auto& p : page.items) plans_by_name_.emplace(p.name, p.meta.id);
    if (!page.next_cursor) break;
    q.cursor = page.next_cursor;
  }
  ASSIGN_OR_RETURN(int64_t contacts, contacts_.Count(*conn, who_.org_id, {}));
  org_had_contacts_ = contacts > 0;
  return Ok();
}

Result<void> Import::ResolveReferences(const CustomerPart& cu, Customer& c,
                                       std::vector<RowProblem>* problems) const {
  auto header = [this](ImportField f) {
    auto col = s_.mapping.ColumnOf(f);
    return col ? s_.mapping.headers[*col] : std::string();
  };
  if (cu.account_manager_email) {
    auto it = users_by_email_.find(*cu.account_manager_email);
    if (it != users_by_email_.end()) {
      c.account_manager_id = it->second;
    } else if (problems) {
      problems->push_back({header(ImportField::kAccountManager), *cu.account_manager_email,
                           "no user of the organization has this e-mail"});
    }
  }
  if (cu.dunning_plan_name) {
    auto it = plans_by_name_.find(*cu.dunning_plan_name);
    if (it != plans_by_name_.end()) {
      c.dunning_plan_id = it->second;
    } else if (problems) {
      problems->push_back({header(ImportField::kDunningPlan), *cu.dunning_plan_name,
                           "no dunning plan has this name: create it first, or correct the name"});
    }
  }
  return Ok();
}

Result<void> Import::Validate() {
  ASSIGN_OR_RETURN(DataRows rows, DataRows::Open(path_, s_.sheet));
  out_.format = rows.format();
  if (rows.header() != s_.mapping.headers) {
    return InvalidArgument(
        "the file's header row is not the one the mapping was made for; upload the file again");
  }
  RowParser parser(s_.mapping);
  RETURN_IF_ERROR(rows.ForEach([&](int64_t line, std::span<const std::string_view> cells,
                                   std::string_view problem) -> Result<void> {
    int64_t n = ++out_.counts.rows_total;
    RETURN_IF_ERROR(Report(ImportPhase::kValidating, n));
    if (!problem.empty()) {
      rejected_lines_.push_back(line);
      RejectRow(line, "", "", std::string(problem));
      return Ok();
    }
    const ImportRow& row = parser.Parse(line, cells);
    Customer scratch;
    std::vector<RowProblem> problems = row.problems;  // empty, but for a rejected row
    RETURN_IF_ERROR(ResolveReferences(row.customer, scratch, &problems));
    if (!problems.empty()) {
      rejected_lines_.push_back(line);
      RejectRow(line, std::move(problems));
      return Ok();
    }
    index_.Note(row);
    if (row.contact.present) ++contacts_in_file_;
    return Ok();
  }));
  RETURN_IF_ERROR(Report(ImportPhase::kValidating, out_.counts.rows_total, /*force=*/true));
  for (auto& p : index_.Resolve(s_.mapping)) {
    rejected_lines_.push_back(p.line);
    RejectRow(p.line, std::move(p.column), std::move(p.value), std::move(p.reason));
  }
  std::sort(rejected_lines_.begin(), rejected_lines_.end());
  rejected_lines_.erase(std::unique(rejected_lines_.begin(), rejected_lines_.end()),
                        rejected_lines_.end());
  // A line with several problems counts once.
  out_.counts.rows_rejected = static_cast<int64_t>(rejected_lines_.size());
  std::stable_sort(out_.rejections.begin(), out_.rejections.end(),
                   [](const auto& a, const auto& b) { return a.line < b.line; });
  return Ok();
}

Result<void> Import::FlushAll(Connection& c) {
  // Contacts reference customers: customers first.
  RETURN_IF_ERROR(new_customers_->Flush(c));
  return new_contacts_->Flush(c);
}

Result<void> Import::WriteCustomer(Connection& c, int32_t i, const ImportRow& row,
                                   std::vector<RowProblem>& problems) {
  CustomerIndex::Slot& slot = index_.at(i);
  uint64_t digest = row.customer.Digest();
  if (slot.written && digest == slot.digest) return Ok();  // the same values again
  if (!slot.stored && !slot.written) {
    Customer cu;
    cu.meta = {NewId(kCustomerPrefix, now_ts_), who_.org_id, 1, now_, now_};
    row.customer.ApplyTo(cu);
    cu.name = index_.name(i);  // the file's last name for this customer
    RETURN_IF_ERROR(ResolveReferences(row.customer, cu, nullptr));
    // A group written already (earlier in the file, or stored) is linked at
    // once; the others after every customer is written (LinkGroups).
    if (slot.parent != CustomerIndex::kNone && !index_.id(slot.parent).empty()) {
      cu.parent_id = index_.id(slot.parent);
      slot.linked = true;
      ++out_.counts.groups_linked;
    }
    if (auto v = domain::ValidateCustomer(cu); !v.ok()) {
      for (const auto& d : v.error().details()) {
        problems.push_back(CustomerFieldProblem(d, s_.mapping));
      }
      return Ok();
    }
    index_.set_id(i, cu.meta.id);
    slot.written = true;
    slot.digest = digest;
    ++out_.counts.customers_created;
    if (new_customers_->pending() >= kWriteBatch) RETURN_IF_ERROR(FlushAll(c));
    return new_customers_->Add(c, cu);
  }
  // A stored customer, or one this import created and a later row changes.
  if (!slot.stored) RETURN_IF_ERROR(FlushAll(c));
  ASSIGN_OR_RETURN(Customer before, customers_.Get(c, who_.org_id, std::string(index_.id(i))));
  Customer after = before;
  row.customer.ApplyTo(after);
  after.name = index_.name(i);
  RETURN_IF_ERROR(ResolveReferences(row.customer, after, nullptr));
  slot.written = true;
  slot.digest = digest;
  if (domain::SameFieldValues(before, after)) return Ok();
  if (auto owned = services::CheckOwnedFieldsUnchanged(c, who_, before, after); !owned.ok()) {
    for (const auto& d : owned.error().details()) {
      problems.push_back(CustomerFieldProblem(d, s_.mapping));
    }
    return Ok();
  }
  if (auto v = domain::ValidateCustomer(after); !v.ok()) {
    for (const auto& d : v.error().details()) {
      problems.push_back(CustomerFieldProblem(d, s_.mapping));
    }
    return Ok();
  }
  after.meta.version = before.meta.version + 1;
  after.meta.updated_at = now_;
  if (slot.stored && !slot.counted_update) {
    ++out_.counts.customers_updated;
    slot.counted_update = true;
  }
  return customers_.Update(c, after);
}

Result<void> Import::WriteContact(Connection& c, int32_t i, const ImportRow& row) {
  const CustomerIndex::Slot& slot = index_.at(i);
  const std::string_view customer_id = index_.id(i);
  const ContactPart& co = row.contact;
  const bool is_main = row.line == slot.main_line;
  // A contact needs looking up only if it may exist: the organization had
  // contacts before, or this e-mail came earlier in the file.
  const bool seen = !emails_seen_.Insert(co.email);
  std::optional<Contact> found;
  if (org_had_contacts_ || seen) {
    RETURN_IF_ERROR(FlushAll(c));
    ASSIGN_OR_RETURN(found, contacts_.FindBy(c, who_.org_id, "email", co.email));
  }
  std::string contact_id;
  if (!found) {
    Contact k;
    k.meta = {NewId(kContactPrefix, now_ts_), who_.org_id, 1, now_, now_};
    k.customer_id = customer_id;
    co.ApplyTo(k);
    k.is_main = is_main;
    contact_id = k.meta.id;
    ++out_.counts.contacts_created;
    if (new_contacts_->pending() >= kWriteBatch) RETURN_IF_ERROR(FlushAll(c));
    RETURN_IF_ERROR(new_contacts_->Add(c, k));
  } else {
    Contact after = *found;
    after.customer_id = customer_id;
    co.ApplyTo(after);
    // R-IMP-10: only the last row marked "1" keeps the flag.
    if (is_main) {
      after.is_main = true;
    } else if (co.is_main || after.customer_id != found->customer_id) {
      after.is_main = false;
    }
    contact_id = after.meta.id;
    if (!domain::SameFieldValues(*found, after)) {
      after.meta.version = found->meta.version + 1;
      after.meta.updated_at = now_;
      ++out_.counts.contacts_updated;
      RETURN_IF_ERROR(contacts_.Update(c, after));
    }
  }
  if (is_main && (slot.stored || found)) {
    // R-CORE-4: the stored main contact of this customer steps down.
    RETURN_IF_ERROR(FlushAll(c));
    RETURN_IF_ERROR(store::ClearOtherMainContacts(c, who_.org_id, std::string(customer_id),
                                                  contact_id, now_));
  }
  return Ok();
}

Result<void> Import::WriteRow(Connection& c, const ImportRow& row) {
  int32_t i = index_.Find(row);
  if (i == CustomerIndex::kNone)
    return Internal("import: row " + std::to_string(row.line) + " names no indexed customer");
  CustomerIndex::Slot& slot = index_.at(i);
  if (slot.rejected) {
    ++pass2_rejected_;
    RejectRow(row.line, "", "",
              "not imported: its customer was rejected (" + index_.RejectedReason(i) + ")");
    return Ok();
  }
  std::vector<RowProblem> problems;
  RETURN_IF_ERROR(WriteCustomer(c, i, row, problems));
  if (!problems.empty()) {
    ++pass2_rejected_;
    RejectRow(row.line, std::move(problems));
    return Ok();
  }
  if (row.contact.present) RETURN_IF_ERROR(WriteContact(c, i, row));
  return Ok();
}

Result<void> Import::LinkGroups(Connection& c) {
  for (size_t n = 0; n < index_.size(); ++n) {
    const auto i = static_cast<int32_t>(n);
    const auto& s = index_.at(i);
    if (s.parent == CustomerIndex::kNone || s.rejected || s.alias != CustomerIndex::kNone ||
        index_.id(i).empty() || s.linked) {
      continue;
    }
    if (index_.id(s.parent).empty()) {
      ++pass2_rejected_;
      RejectRow(s.group_line, "", std::string(index_.name(s.parent)), "its group was not imported");
      continue;
    }
    if (s.stored && s.stored_parent == s.parent) continue;  // already in that group
    RETURN_IF_ERROR(store::SetCustomerParent(c, who_.org_id, std::string(index_.id(i)),
                                             std::string(index_.id(s.parent)), now_,
                                             /*bump_version=*/s.stored));
    ++out_.counts.groups_linked;
  }
  return Ok();
}

Result<void> Import::Write(Connection& c) {
  new_customers_.emplace(customers_, SIZE_MAX);
  new_contacts_.emplace(contacts_, SIZE_MAX);
  emails_seen_ = EmailHashSet();
  emails_seen_.Reserve(contacts_in_file_);
  now_ts_ = ctx_.clock.Now();
  now_ = FormatTimestamp(now_ts_);
  ASSIGN_OR_RETURN(DataRows rows, DataRows::Open(path_, s_.sheet));
  size_t next_rejected = 0;
  int64_t done = 0;
  RowParser parser(s_.mapping);
  RETURN_IF_ERROR(rows.ForEach(
      [&](int64_t line, std::span<const std::string_view> cells, std::string_view) -> Result<void> {
        RETURN_IF_ERROR(Report(ImportPhase::kWriting, ++done));
        while (next_rejected < rejected_lines_.size() && rejected_lines_[next_rejected] < line) {
          ++next_rejected;
        }
        if (next_rejected < rejected_lines_.size() && rejected_lines_[next_rejected] == line) {
          return Ok();
        }
        return WriteRow(c, parser.Parse(line, cells, /*validate=*/false));
      }));
  RETURN_IF_ERROR(FlushAll(c));
  RETURN_IF_ERROR(LinkGroups(c));
  RETURN_IF_ERROR(Report(ImportPhase::kWriting, done, /*force=*/true));
  return Ok();
}

Result<ImportOutcome> Import::Run() {
  RETURN_IF_ERROR(services::Authorize(who_, services::Access::kWrite));
  RETURN_IF_ERROR(CheckMappingUsable(s_.mapping));
  const auto start = std::chrono::steady_clock::now();
  auto seconds_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };
  RETURN_IF_ERROR(Preload());
  spdlog::info("import: {} stored customers loaded in {:.2f} s", index_.size(),
               seconds_since(start));
  const auto validate_start = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(Validate());
  spdlog::info("import: {} rows validated in {:.2f} s ({} rejected)", out_.counts.rows_total,
               seconds_since(validate_start), out_.counts.rows_rejected);
  if (out_.counts.rows_rejected > 0 && !s_.keep_valid) return std::move(out_);  // R-IMP-13

  // Pass 2 may find more (a field owned by a connector); without keep_valid
  // they undo the whole import, as do dry runs.
  bool rolled_back = false;
  const ImportOutcome validated = out_;
  const auto write_start = std::chrono::steady_clock::now();
  Result<void> written = store::InTransaction(ctx_.db, [&](Connection& c) -> Result<void> {
    out_ = validated;
    pass2_rejected_ = 0;
    for (size_t n = 0; n < index_.size(); ++n) {
      const auto i = static_cast<int32_t>(n);
      auto& s = index_.at(i);
      if (!s.stored) index_.set_id(i, "");
      s.written = s.counted_update = s.linked = false;
    }
    RETURN_IF_ERROR(Write(c));
    if (s_.dry_run || (pass2_rejected_ > 0 && !s_.keep_valid)) {
      rolled_back = true;
      return Error(ErrorCode::kFailedPrecondition, "rolled back on purpose");
    }
    return Ok();
  });
  if (!written.ok() && !rolled_back) return written.error();
  spdlog::info("import: written in {:.2f} s", seconds_since(write_start));
  std::stable_sort(out_.rejections.begin(), out_.rejections.end(),
                   [](const auto& a, const auto& b) { return a.line < b.line; });
  out_.succeeded = s_.keep_valid || out_.counts.rows_rejected == 0;
  if (!out_.succeeded) {
    // Nothing was written: the counts of what would have been are void.
    out_.counts.customers_created = out_.counts.customers_updated = 0;
    out_.counts.contacts_created = out_.counts.contacts_updated = out_.counts.groups_linked = 0;
  }
  return std::move(out_);
}

}  // namespace

Result<ImportOutcome> RunCustomerImport(services::Context ctx, const services::Principal& who,
                                        const std::string& path, const ImportSettings& settings,
                                        const ProgressFn& progress) {
  return Import(ctx, who, path, settings, progress).Run();
}

Result<ImportPreview> PreviewImportFile(const std::string& path, const std::string& sheet,
                                        size_t max_rows) {
  ASSIGN_OR_RETURN(DataRows rows, DataRows::Open(path, sheet));
  ImportPreview p;
  p.format = rows.format();
  p.header = rows.header();
  auto first = rows.first_rows();
  p.rows.assign(first.begin(),
                first.begin() + static_cast<std::ptrdiff_t>(std::min(max_rows, first.size())));
  p.proposed = ProposeMapping(p.header);
  return p;
}

}  // namespace relance::imports
