#include "sync/record_writer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "core/ids.h"
#include "domain/entity_spec.h"
#include "domain/field_json.h"
#include "services/record_rules.h"
#include "store/record_repository.h"
#include "store/external_refs.h"
#include "store/sync_queries.h"
#include "sync/create_batch.h"
#include "sync/page_cache.h"

namespace relance::sync {
namespace {

using domain::Allocation;
using domain::Contact;
using domain::Customer;
using domain::FieldValue;
using domain::Invoice;
using domain::Payment;
using domain::SyncChange;
using store::Condition;
using store::Connection;

// A field of T a change-log entry may name, with the text that opens its
// entry ("name":[), written once rather than escaped for every record.
template <typename T>
struct LoggedField {
  const domain::FieldSpec<T>* spec;
  std::string opening;
};

// The fields of T a change-log entry may name, in name order: the order
// the entries have always had (they were nlohmann objects, sorted by key).
template <typename T>
const std::vector<LoggedField<T>>& LoggedFields() {
  static const std::vector<LoggedField<T>> fields = [] {
    std::vector<LoggedField<T>> out;
    for (const auto& f : domain::SpecOf<T>().fields) {
      if (f.Has(domain::kSecret)) continue;
      std::string opening;
      domain::AppendJsonString(opening, f.name);
      out.push_back({&f, opening + ":["});
    }
    std::sort(out.begin(), out.end(),
              [](const auto& x, const auto& y) { return x.spec->name < y.spec->name; });
    return out;
  }();
  return fields;
}

// {"field": [before, after]} for every field that differs; `before` null
// on creation lists the fields the source set. Written as text: one entry
// per record synced, and a JSON tree per entry was 10% of a backfill.
template <typename T>
std::string Diff(const T* before, const T& after) {
  static const T blank{};
  std::string out;
  out.reserve(512);  // a created invoice's entry, about
  out += '{';
  for (const auto& [f, opening] : LoggedFields<T>()) {
    if (f->Same(before ? *before : blank, after)) continue;
    if (out.size() > 1) out += ',';
    out += opening;
    if (before) {
      domain::AppendFieldJson(out, *f, *before);
    } else {
      out += "null";
    }
    out += ',';
    domain::AppendFieldJson(out, *f, after);
    out += ']';
  }
  out += '}';
  return out;
}

std::string ErrorJson(const Error& e) {
  nlohmann::json out = {{"error", e.message()}};
  for (const auto& d : e.details()) out["fields"][d.field] = d.message;
  return out.dump();
}

// The spec entity under which external references are kept ("invoice" for
// credit notes too: they share the invoices table and its ownership check).
const std::string kCustomerRefs = "customer";
const std::string kContactRefs = "contact";
const std::string kInvoiceRefs = "invoice";
const std::string kPaymentRefs = "payment";
const std::string& RefEntity(EntityKind kind) {
  switch (kind) {
    case EntityKind::kCustomer: return kCustomerRefs;
    case EntityKind::kContact: return kContactRefs;
    case EntityKind::kInvoice:
    case EntityKind::kCreditNote: return kInvoiceRefs;
    case EntityKind::kPayment: return kPaymentRefs;
  }
  return kCustomerRefs;  // every kind is listed above
}

std::string JoinFields(const std::vector<std::string>& fields) {
  std::string out;
  for (const auto& f : fields) out += (out.empty() ? "" : ",") + f;
  return out;
}

// The fields every sync writes besides the owned ones: the link to the
// source record and to the records it belongs to.
template <typename T>
std::vector<std::string> LinkFields() {
  if constexpr (std::is_same_v<T, Customer>) return {"external_id", "parent_id"};
  if constexpr (std::is_same_v<T, Contact>) return {"external_id", "customer_id"};
  if constexpr (std::is_same_v<T, Invoice>) return {"external_id", "customer_id", "kind"};
  if constexpr (std::is_same_v<T, Payment>) return {"external_id", "customer_id"};
  return {};
}

// One page being written: the references it needs, the change log rows.
class PageWriter {
 public:
  PageWriter(Connection& c, services::Context ctx, const ConnectorPolicy& policy,
             const WriterScope& scope, const domain::Organization& org)
      : c_(c), ctx_(ctx), policy_(policy), scope_(scope), org_(org), cache_(c, scope.org_id) {
    now_ = FormatTimestamp(ctx.clock.Now());
  }

  const WriteStats& stats() const { return stats_; }

  Result<void> LoadRefs(const std::vector<SourceRecord>& records, KnownRefs known) {
    changes_.reserve(records.size());  // about one entry per record
    std::map<std::string, std::vector<std::string>> wanted;
    for (const auto& r : records) {
      wanted[RefEntity(r.kind)].push_back(r.external_id);
      std::visit(
          [&](const auto& d) {
            using D = std::decay_t<decltype(d)>;
            if constexpr (std::is_same_v<D, SourceCustomer>) {
              if (d.parent_external_id) wanted[kCustomerRefs].push_back(*d.parent_external_id);
            } else {
              if (!d.customer_external_id.empty()) {
                wanted[kCustomerRefs].push_back(d.customer_external_id);
              }
            }
            if constexpr (std::is_same_v<D, SourceInvoice> || std::is_same_v<D, SourcePayment>) {
              for (const auto& a : d.allocations) wanted[kInvoiceRefs].push_back(a.invoice_external_id);
            }
          },
          r.data);
    }
    for (auto& [entity, ids] : wanted) {
      auto& refs = refs_[entity];
      if (auto k = known.find(entity); k != known.end()) {
        refs = std::move(k->second);
        std::erase_if(ids, [&](const std::string& id) { return refs.contains(id); });
      }
      ASSIGN_OR_RETURN(auto found,
                       store::FindRefs(c_, scope_.org_id, policy_.connector, entity, ids));
      refs.merge(found);
    }
    // The stored customers and invoices the page names, for the rules and
    // the balances: a few queries for the page instead of some per record.
    std::vector<std::string> customers, invoices;
    for (const auto& [ext, ref] : refs_[kCustomerRefs]) customers.push_back(ref.record_id);
    for (const auto& [ext, ref] : refs_[kInvoiceRefs]) invoices.push_back(ref.record_id);
    bool contacts = std::any_of(records.begin(), records.end(), [](const SourceRecord& r) {
      return r.kind == EntityKind::kContact;
    });
    return cache_.Preload(customers, invoices, contacts);
  }

  // Writes one record in its own savepoint; a refusal is logged, not returned.
  Result<void> WriteOne(SourceRecord& rec) {
    const EntityPolicy* pol = policy_.Find(rec.kind);
    if (pol == nullptr) return Ok();  // the connector does not sync this kind
    for (const auto& t : pol->transforms) t.apply(rec);
    if (!rec.deleted && OutOfScope(rec, *pol)) return Ok();
    if (auto* pay = std::get_if<SourcePayment>(&rec.data); pay && !rec.deleted) {
      // R-SELLSY-6: a payment counts only through its allocations to
      // invoices this connection has (the others are outside its filters).
      std::erase_if(pay->allocations, [&](const SourceAllocation& a) {
        return FindRecordId(kInvoiceRefs, a.invoice_external_id) == nullptr;
      });
      if (pay->allocations.empty()) rec.deleted = true;
    }
    auto ref = FindRef(RefEntity(rec.kind), rec.external_id);
    if (!rec.deleted && ref && ref->external_version == rec.version) {
      ++stats_.unchanged;
      seen_[RefEntity(rec.kind)].push_back(rec.external_id);
      return Ok();
    }
    if (rec.deleted && !ref) return Ok();
    if (bulk_ && !rec.deleted && !ref) {
      ASSIGN_OR_RETURN(bool taken, TryCreate(rec, *pol));
      if (taken) return batch_.size() >= kMaxBatch ? FlushBatch() : Ok();
    }
    RETURN_IF_ERROR(FlushBatch());
    return WriteAlone(rec, *pol, ref);
  }

  Result<void> Finish() {
    RETURN_IF_ERROR(FlushBatch());
    for (const auto& [entity, ids] : seen_) {
      RETURN_IF_ERROR(
          store::MarkRefsSeen(c_, scope_.org_id, policy_.connector, entity, ids, scope_.scan_id));
    }
    store::BulkWriter<SyncChange> writer(store::RepositoryOf<SyncChange>());
    for (auto& ch : changes_) RETURN_IF_ERROR(writer.Add(c_, std::move(ch)));  // the page's last use
    return writer.Flush(c_);
  }

 private:
  static constexpr size_t kMaxBatch = 2000;

  // The one-by-one path: the record in its own savepoint, every rule reading
  // the database as it goes, and a refusal rolled back alone.
  Result<void> WriteAlone(SourceRecord& rec, const EntityPolicy& pol,
                          const std::optional<store::RefRow>& ref) {
    ForgetWhatMayChange(rec.kind);
    RETURN_IF_ERROR(c_.Exec("SAVEPOINT sync_record"));
    size_t changes_before = changes_.size();
    const WriteStats stats_before = stats_;
    added_.clear();
    dropped_.clear();
    Result<void> r = rec.deleted ? Delete(rec, pol, *ref) : Upsert(rec, pol, ref);
    if (r.ok()) {
      RETURN_IF_ERROR(c_.Exec("RELEASE SAVEPOINT sync_record"));
      for (const auto& key : dropped_) {
        Unregister(key);
        if (auto e = refs_.find(key.first); e != refs_.end()) e->second.erase(key.second);
      }
      return Ok();
    }
    if (!IsRecordError(r.error())) return r;
    RETURN_IF_ERROR(c_.Exec("ROLLBACK TO SAVEPOINT sync_record"));
    RETURN_IF_ERROR(c_.Exec("RELEASE SAVEPOINT sync_record"));
    ForgetWhatMayChange(rec.kind);  // rows it read may have been its own
    changes_.resize(changes_before);
    for (const auto& key : added_) Unregister(key);
    // Counted as refused only, not also as the create or update it began as.
    stats_ = stats_before;
    ++stats_.rejected;
    // Still in the source: a full scan must not take it for deleted.
    if (ref) seen_[RefEntity(rec.kind)].push_back(rec.external_id);
    Log(rec, ref ? ref->record_id : "", "REJECTED", ErrorJson(r.error()));
    return Ok();
  }

  // The batched path of a record the connection has not seen: Create's
  // rules, reading what the page cache holds, with the rows held in batch_
  // until the next flush. A refusal is logged as Create's would be. False
  // when the record needs the one-by-one path: its allocations would
  // overdraw, which ReplaceAllocations words for the log.
  Result<bool> TryCreate(SourceRecord& rec, const EntityPolicy& pol) {
    if (batch_records_.empty()) {
      batch_changes_begin_ = changes_.size();
      batch_stats_ = stats_;
    }
    return std::visit(
        [&](auto& d) -> Result<bool> {
          using T = std::decay_t<decltype(d.record)>;
          T r = d.record;  // rec stays as it came, for the one-by-one path
          r.external_id = rec.external_id;
          auto refused = [&](const Error& e) -> Result<bool> {
            if (!IsRecordError(e)) return e;
            ++stats_.rejected;
            Log(rec, "", "REJECTED", ErrorJson(e));
            batch_records_.push_back(&rec);
            return true;
          };
          if (auto linked = Link(r, d); !linked.ok()) return refused(linked.error());
          r.meta = {NewId(services::NewIdPrefix(r), ctx_.clock.Now()), scope_.org_id, 1, now_,
                    now_};
          if constexpr (std::is_same_v<T, Contact>) {
            // R-SELLSY-4, as in Create. A main contact set here is the only
            // one, so AfterWrite's clearing of the others has nothing to do.
            if (r.is_main) {
              ASSIGN_OR_RETURN(bool has_main, cache_.HasMainContact(r.customer_id));
              r.is_main = !has_main;
            }
          }
          if constexpr (std::is_same_v<T, Payment>) r.unallocated_amount = r.amount;
          if (auto prepared = services::Prepare(c_, ctx_, org_, r, nullptr, &cache_);
              !prepared.ok()) {
            return refused(prepared.error());
          }
          std::vector<std::pair<PageCache::Balance*, int64_t>> moves;
          int64_t given = 0;
          const std::string* source_type = nullptr;
          if constexpr (std::is_same_v<T, Payment>) {
            static const std::string kPayment = "PAYMENT";
            source_type = &kPayment;
            ASSIGN_OR_RETURN(bool fits, PlanAllocations(d.allocations, r.amount, moves, given));
            if (!fits) return false;
          } else if constexpr (std::is_same_v<T, Invoice>) {
            static const std::string kCreditNote = "CREDIT_NOTE";
            if (r.kind == kCreditNote) {
              source_type = &kCreditNote;
              ASSIGN_OR_RETURN(bool fits,
                               PlanAllocations(d.allocations, r.gross_amount, moves, given));
              if (!fits) return false;
            }
          }
          Log(rec, r.meta.id, "CREATED", Diff<T>(nullptr, r));
          // What ReplaceAllocations would store after the insert.
          if constexpr (std::is_same_v<T, Payment>) r.unallocated_amount = r.amount - given;
          if constexpr (std::is_same_v<T, Invoice>) {
            if (source_type) r.outstanding_amount = r.gross_amount - given;
          }
          for (auto& [balance, amount] : moves) {
            Allocation a;
            a.meta = {NewId(kAllocationPrefix, ctx_.clock.Now()), scope_.org_id, 1, now_, now_};
            a.source_type = *source_type;
            a.source_id = r.meta.id;
            a.invoice_id = balance->invoice_id;
            a.amount = amount;
            batch_.Add(std::move(a));
            balance->received += amount;
            balance->moved = true;
          }
          if constexpr (std::is_same_v<T, Customer>) cache_.PutNewCustomer(r);
          if constexpr (std::is_same_v<T, Contact>) {
            if (r.is_main) cache_.PutMainContact(r.customer_id);
          }
          if constexpr (std::is_same_v<T, Invoice>) {
            if (!source_type) cache_.PutInvoice(r);
          }
          const std::string id = r.meta.id;
          batch_.Add(std::move(r));
          batch_.AddRef(RefOf(rec, pol, id));
          registered_[RefEntity(rec.kind)].insert_or_assign(rec.external_id, id);
          batch_keys_.emplace_back(RefEntity(rec.kind), rec.external_id);
          batch_records_.push_back(&rec);
          ++stats_.created;
          return true;
        },
        rec.data);
  }

  // Relance ids of the invoices the source allocates to, with the amounts;
  // allocations to invoices outside the policy's filters (before 2018, a
  // draft) are dropped.
  std::map<std::string, int64_t> DesiredAllocations(const std::vector<SourceAllocation>& wanted) {
    std::map<std::string, int64_t> desired;
    for (const auto& a : wanted) {
      if (const std::string* id = FindRecordId(kInvoiceRefs, a.invoice_external_id)) {
        desired[*id] += a.amount;
      }
    }
    return desired;
  }

  // The allocations of a new payment or credit note of `total`, checked
  // against the balances; false when one would overdraw.
  Result<bool> PlanAllocations(const std::vector<SourceAllocation>& wanted, int64_t total,
                               std::vector<std::pair<PageCache::Balance*, int64_t>>& moves,
                               int64_t& given) {
    for (const auto& [invoice_id, amount] : DesiredAllocations(wanted)) {
      if (amount <= 0) continue;
      ASSIGN_OR_RETURN(PageCache::Balance* b, cache_.FindBalance(invoice_id));
      if (b == nullptr || b->received + amount > b->gross_amount) return false;
      moves.emplace_back(b, amount);
      given += amount;
    }
    return given <= total;
  }

  // Writes the batch. A row the store refuses (a duplicate e-mail or number)
  // fails the whole batch: it is rolled back and written again one record
  // at a time, so that only that record is refused; the rest of the page
  // then goes one by one too.
  Result<void> FlushBatch() {
    if (batch_records_.empty()) return Ok();
    std::vector<SourceRecord*> records = std::move(batch_records_);
    std::vector<std::pair<std::string, std::string>> keys = std::move(batch_keys_);
    batch_records_.clear();
    batch_keys_.clear();
    RETURN_IF_ERROR(c_.Exec("SAVEPOINT sync_batch"));
    auto flushed = batch_.Flush(c_, scope_.org_id, policy_.connector, cache_, now_);
    if (flushed.ok()) {
      RETURN_IF_ERROR(c_.Exec("RELEASE SAVEPOINT sync_batch"));
      return Ok();
    }
    if (!IsRecordError(flushed.error())) return flushed;
    RETURN_IF_ERROR(c_.Exec("ROLLBACK TO SAVEPOINT sync_batch"));
    RETURN_IF_ERROR(c_.Exec("RELEASE SAVEPOINT sync_batch"));
    for (const auto& key : keys) Unregister(key);
    changes_.resize(batch_changes_begin_);
    stats_ = batch_stats_;
    cache_.ForgetAll();
    bulk_ = false;
    for (SourceRecord* rec : records) {
      RETURN_IF_ERROR(
          WriteAlone(*rec, *policy_.Find(rec->kind), FindRef(RefEntity(rec->kind), rec->external_id)));
    }
    return Ok();
  }

  // What the page cache knows that writing a record of `kind` one by one
  // may change (a customer deleted takes its contacts along).
  void ForgetWhatMayChange(EntityKind kind) {
    switch (kind) {
      case EntityKind::kCustomer:
        cache_.ForgetCustomers();
        cache_.ForgetMainContacts();
        break;
      case EntityKind::kContact: cache_.ForgetMainContacts(); break;
      case EntityKind::kInvoice:
      case EntityKind::kCreditNote:
      case EntityKind::kPayment: cache_.ForgetBalances(); break;
    }
  }

  // Errors that are about the record (validation, references, balances):
  // the record is refused and the page goes on. Anything else (the
  // database) stops the page.
  static bool IsRecordError(const Error& e) {
    return e.code() == ErrorCode::kInvalidArgument || e.code() == ErrorCode::kAlreadyExists ||
           e.code() == ErrorCode::kFailedPrecondition || e.code() == ErrorCode::kConflict ||
           e.code() == ErrorCode::kNotFound;
  }

  // R-SELLSY-2 and the like: documents dated before the policy's first day.
  static bool OutOfScope(const SourceRecord& rec, const EntityPolicy& pol) {
    if (!pol.dated_from) return false;
    if (const auto* inv = std::get_if<SourceInvoice>(&rec.data)) {
      return inv->record.issue_date < *pol.dated_from;
    }
    if (const auto* pay = std::get_if<SourcePayment>(&rec.data)) {
      return pay->record.date < *pol.dated_from;
    }
    return false;
  }

  // The reference this page wrote for (entity, ext), else the stored one.
  std::optional<store::RefRow> FindRef(const std::string& entity, const std::string& ext) const {
    if (const std::string* id = FindRegistered(entity, ext)) return store::RefRow{*id, ""};
    if (const store::RefRow* ref = FindStored(entity, ext)) return *ref;
    return std::nullopt;
  }
  // The same, the record id only, without copying it: for the lookups
  // made for every reference of every record.
  const std::string* FindRecordId(const std::string& entity, const std::string& ext) const {
    if (const std::string* id = FindRegistered(entity, ext)) return id;
    const store::RefRow* ref = FindStored(entity, ext);
    return ref ? &ref->record_id : nullptr;
  }
  const std::string* FindRegistered(const std::string& entity, const std::string& ext) const {
    auto e = registered_.find(entity);
    if (e == registered_.end()) return nullptr;
    auto it = e->second.find(ext);
    return it == e->second.end() ? nullptr : &it->second;
  }
  const store::RefRow* FindStored(const std::string& entity, const std::string& ext) const {
    auto e = refs_.find(entity);
    if (e == refs_.end()) return nullptr;
    auto it = e->second.find(ext);
    return it == e->second.end() ? nullptr : &it->second;
  }
  void Unregister(const std::pair<std::string, std::string>& key) {
    if (auto e = registered_.find(key.first); e != registered_.end()) e->second.erase(key.second);
  }

  Result<std::string> Resolve(const std::string& entity, const std::string& ext,
                              std::string_view field) const {
    const std::string* id = FindRecordId(entity, ext);
    if (id == nullptr) {
      return FieldInvalid(std::string(field), "refers to " + entity + " " + ext +
                                                  ", which this connection has not synced");
    }
    return *id;
  }

  void Log(const SourceRecord& rec, const std::string& record_id, std::string operation,
           std::string changes) {
    SyncChange ch;
    ch.meta = {NewId(kSyncChangePrefix, ctx_.clock.Now()), scope_.org_id, 1, now_, now_};
    ch.connection_id = scope_.connection_id;
    ch.run_id = scope_.run_id;
    ch.entity = std::string(EntityName(rec.kind));
    ch.record_id = record_id;
    ch.external_id = rec.external_id;
    ch.operation = std::move(operation);
    ch.changes = std::move(changes);
    ch.source_changed_at = rec.source_changed_at;
    changes_.push_back(std::move(ch));
  }

  store::RefWrite RefOf(const SourceRecord& rec, const EntityPolicy& pol,
                        const std::string& record_id) const {
    return {RefEntity(rec.kind),
            std::string(EntityName(rec.kind)),
            record_id,
            rec.external_id,
            rec.version,
            now_,
            OwnedFieldsText(pol),
            scope_.scan_id};
  }

  // What a reference records as owned by the connector: the policy's
  // fields and the link to the source. Joined once per policy and page.
  const std::string& OwnedFieldsText(const EntityPolicy& pol) const {
    auto [it, added] = owned_text_.try_emplace(&pol);
    if (added) it->second = JoinFields(pol.owned_fields) + ",external_id";
    return it->second;
  }

  Result<void> SaveRef(const SourceRecord& rec, const EntityPolicy& pol,
                       const std::string& record_id) {
    RETURN_IF_ERROR(store::WriteRef(c_, scope_.org_id, policy_.connector, RefOf(rec, pol, record_id)));
    if (registered_[RefEntity(rec.kind)].insert_or_assign(rec.external_id, record_id).second) {
      added_.emplace_back(RefEntity(rec.kind), rec.external_id);
    }
    return Ok();
  }

  // Turns the source's references into Relance ids on the mapped record.
  Result<void> Link(Customer& r, const SourceCustomer& d) {
    r.parent_id.reset();
    if (d.parent_external_id) {
      ASSIGN_OR_RETURN(std::string id, Resolve(kCustomerRefs, *d.parent_external_id, "parent_id"));
      r.parent_id = std::move(id);
    }
    return Ok();
  }
  Result<void> Link(Contact& r, const SourceContact& d) {
    ASSIGN_OR_RETURN(r.customer_id, Resolve(kCustomerRefs, d.customer_external_id, "customer_id"));
    return Ok();
  }
  Result<void> Link(Invoice& r, const SourceInvoice& d) {
    ASSIGN_OR_RETURN(r.customer_id, Resolve(kCustomerRefs, d.customer_external_id, "customer_id"));
    return Ok();
  }
  Result<void> Link(Payment& r, const SourcePayment& d) {
    r.customer_id.reset();
    if (!d.customer_external_id.empty()) {
      ASSIGN_OR_RETURN(std::string id, Resolve(kCustomerRefs, d.customer_external_id, "customer_id"));
      r.customer_id = std::move(id);
    }
    return Ok();
  }

  Result<void> Upsert(SourceRecord& rec, const EntityPolicy& pol,
                      const std::optional<store::RefRow>& ref) {
    return std::visit(
        [&](auto& d) -> Result<void> {
          auto& mapped = d.record;
          using T = std::decay_t<decltype(mapped)>;
          mapped.external_id = rec.external_id;
          RETURN_IF_ERROR(Link(mapped, d));
          const auto& repo = store::RepositoryOf<T>();
          std::optional<T> existing;
          if (ref) {
            ASSIGN_OR_RETURN(existing, repo.Find(c_, scope_.org_id, ref->record_id));
          }
          std::string record_id;
          if (!existing) {
            ASSIGN_OR_RETURN(record_id, Create(repo, rec, mapped));
            ++stats_.created;
          } else {
            ASSIGN_OR_RETURN(bool changed, Update(repo, rec, pol, mapped, *existing));
            record_id = existing->meta.id;
            changed ? ++stats_.updated : ++stats_.unchanged;
          }
          RETURN_IF_ERROR(AfterUpsert(rec, d, record_id));
          return SaveRef(rec, pol, record_id);
        },
        rec.data);
  }

  template <typename T>
  Result<std::string> Create(const store::RecordRepository<T>& repo, const SourceRecord& rec,
                             T& r) {
    r.meta = {NewId(services::NewIdPrefix(r), ctx_.clock.Now()), scope_.org_id, 1, now_, now_};
    if constexpr (std::is_same_v<T, Contact>) {
      // R-SELLSY-4: a customer whose main contact is already set (perhaps
      // by a user) keeps it; the source's main contact counts only for
      // customers that have none.
      if (r.is_main) {
        const auto& contacts = store::RepositoryOf<Contact>();
        ASSIGN_OR_RETURN(int64_t mains,
                         contacts.Count(c_, scope_.org_id,
                                        {{"customer_id", Condition::Op::kEq, r.customer_id},
                                         {"is_main", Condition::Op::kEq, int64_t{1}}}));
        r.is_main = mains == 0;
      }
    }
    if constexpr (std::is_same_v<T, Payment>) r.unallocated_amount = r.amount;
    RETURN_IF_ERROR(services::Prepare(c_, ctx_, org_, r, nullptr, &cache_));
    RETURN_IF_ERROR(repo.Insert(c_, r));
    RETURN_IF_ERROR(services::AfterWrite(c_, ctx_, r));
    Log(rec, r.meta.id, "CREATED", Diff<T>(nullptr, r));
    return r.meta.id;
  }

  // Writes the owned and link fields only; false when nothing changed.
  template <typename T>
  Result<bool> Update(const store::RecordRepository<T>& repo, const SourceRecord& rec,
                      const EntityPolicy& pol, const T& mapped, const T& existing) {
    const auto& spec = domain::SpecOf<T>();
    T updated = existing;
    auto copy = [&](const std::string& name) -> Result<void> {
      const auto* f = spec.Find(name);
      if (f == nullptr) return Ok();
      return f->Set(updated, f->Get(mapped));
    };
    for (const auto& name : pol.owned_fields) RETURN_IF_ERROR(copy(name));
    for (const auto& name : LinkFields<T>()) RETURN_IF_ERROR(copy(name));
    if constexpr (std::is_same_v<T, Invoice>) {
      // Another document: the stored copy is stale (fetched again, sync_engine.h).
      if (updated.pdf_url != existing.pdf_url) updated.pdf_file.reset();
    }
    if (domain::SameFieldValues(updated, existing)) return false;
    updated.meta.version = existing.meta.version + 1;
    updated.meta.updated_at = now_;
    RETURN_IF_ERROR(services::Prepare(c_, ctx_, org_, updated, &existing, &cache_));
    RETURN_IF_ERROR(repo.Update(c_, updated));
    RETURN_IF_ERROR(services::AfterWrite(c_, ctx_, updated));
    Log(rec, updated.meta.id, "UPDATED", Diff<T>(&existing, updated));
    return true;
  }

  template <typename D>
  Result<void> AfterUpsert(const SourceRecord&, const D& d, const std::string& record_id) {
    if constexpr (std::is_same_v<D, SourcePayment>) {
      return ReplaceAllocations("PAYMENT", record_id, d.allocations);
    } else if constexpr (std::is_same_v<D, SourceInvoice>) {
      if (d.record.kind == "CREDIT_NOTE") {
        return ReplaceAllocations("CREDIT_NOTE", record_id, d.allocations);
      }
    }
    return Ok();
  }

  // Makes the source's allocations the stored ones, then recomputes the
  // balances they touch from the allocation rows themselves, so balances
  // cannot drift whatever order the source's changes arrive in.
  Result<void> ReplaceAllocations(const std::string& source_type, const std::string& source_id,
                                  const std::vector<SourceAllocation>& wanted) {
    std::map<std::string, int64_t> desired = DesiredAllocations(wanted);
    const auto& allocations = store::RepositoryOf<Allocation>();
    ASSIGN_OR_RETURN(auto current, allocations.FindAll(c_, scope_.org_id,
                                                       {{"source_id", Condition::Op::kEq,
                                                         source_id}}));
    std::set<std::string> touched;
    for (const auto& a : current) {
      auto it = desired.find(a.invoice_id);
      if (it != desired.end() && it->second == a.amount) {
        desired.erase(it);
        continue;
      }
      RETURN_IF_ERROR(allocations.Delete(c_, scope_.org_id, a.meta.id));
      touched.insert(a.invoice_id);
    }
    for (const auto& [invoice_id, amount] : desired) {
      if (amount <= 0) continue;
      Allocation a;
      a.meta = {NewId(kAllocationPrefix, ctx_.clock.Now()), scope_.org_id, 1, now_, now_};
      a.source_type = source_type;
      a.source_id = source_id;
      a.invoice_id = invoice_id;
      a.amount = amount;
      RETURN_IF_ERROR(allocations.Insert(c_, a));
      touched.insert(invoice_id);
    }
    for (const auto& id : touched) RETURN_IF_ERROR(RecomputeInvoice(id));
    return RecomputeSource(source_type, source_id);
  }

  Result<void> RecomputeInvoice(const std::string& invoice_id) {
    const auto& invoices = store::RepositoryOf<Invoice>();
    ASSIGN_OR_RETURN(Invoice inv, invoices.Get(c_, scope_.org_id, invoice_id));
    ASSIGN_OR_RETURN(int64_t received,
                     store::SumAllocations(c_, scope_.org_id, "invoice_id", invoice_id));
    int64_t outstanding = inv.gross_amount - received;
    if (outstanding < 0) {
      return FieldInvalid("allocations", "would allocate " + std::to_string(received) +
                                             " to invoice " + inv.number + ", above its total " +
                                             std::to_string(inv.gross_amount));
    }
    if (outstanding == inv.outstanding_amount) return Ok();
    inv.outstanding_amount = outstanding;
    inv.meta.version += 1;
    inv.meta.updated_at = now_;
    return invoices.Update(c_, inv);
  }

  Result<void> RecomputeSource(const std::string& source_type, const std::string& source_id) {
    ASSIGN_OR_RETURN(int64_t given, store::SumAllocations(c_, scope_.org_id, "source_id", source_id));
    auto check = [&](int64_t total, const std::string& what) -> Result<void> {
      if (given > total) {
        return FieldInvalid("allocations", "allocate " + std::to_string(given) + " from " + what +
                                               ", above its amount " + std::to_string(total));
      }
      return Ok();
    };
    if (source_type == "PAYMENT") {
      const auto& payments = store::RepositoryOf<Payment>();
      ASSIGN_OR_RETURN(Payment p, payments.Get(c_, scope_.org_id, source_id));
      RETURN_IF_ERROR(check(p.amount, "payment " + p.meta.id));
      if (p.unallocated_amount == p.amount - given) return Ok();
      p.unallocated_amount = p.amount - given;
      p.meta.version += 1;
      p.meta.updated_at = now_;
      return payments.Update(c_, p);
    }
    const auto& invoices = store::RepositoryOf<Invoice>();
    ASSIGN_OR_RETURN(Invoice credit, invoices.Get(c_, scope_.org_id, source_id));
    RETURN_IF_ERROR(check(credit.gross_amount, "credit note " + credit.number));
    if (credit.outstanding_amount == credit.gross_amount - given) return Ok();
    credit.outstanding_amount = credit.gross_amount - given;
    credit.meta.version += 1;
    credit.meta.updated_at = now_;
    return invoices.Update(c_, credit);
  }

  Result<void> Delete(const SourceRecord& rec, const EntityPolicy& pol, const store::RefRow& ref) {
    const std::string entity = RefEntity(rec.kind);
    auto drop_ref = [&] {
      dropped_.push_back({entity, rec.external_id});  // forgotten once the record commits
      return store::DeleteRef(c_, scope_.org_id, policy_.connector, entity, rec.external_id);
    };
    if (pol.deletion == DeletionPolicy::kIgnore) return Ok();
    if (pol.deletion == DeletionPolicy::kMarkDeleted && entity == "invoice") {
      const auto& invoices = store::RepositoryOf<Invoice>();
      ASSIGN_OR_RETURN(auto inv, invoices.Find(c_, scope_.org_id, ref.record_id));
      if (!inv) return drop_ref();
      if (inv->is_void && ref.external_version == "deleted") return Ok();
      Invoice updated = *inv;
      updated.is_void = true;
      if (!domain::SameFieldValues(updated, *inv)) {
        updated.meta.version += 1;
        updated.meta.updated_at = now_;
        RETURN_IF_ERROR(invoices.Update(c_, updated));
        Log(rec, inv->meta.id, "MARKED_DELETED", Diff<Invoice>(&*inv, updated));
        ++stats_.deleted;
      }
      SourceRecord gone = rec;
      gone.version = "deleted";
      return SaveRef(gone, pol, inv->meta.id);
    }
    // Propagate.
    if (entity == "payment") {
      RETURN_IF_ERROR(ReplaceAllocations("PAYMENT", ref.record_id, {}));
      const auto& payments = store::RepositoryOf<Payment>();
      RETURN_IF_ERROR(IgnoreNotFound(payments.Delete(c_, scope_.org_id, ref.record_id)));
    } else if (entity == "customer") {
      const auto& contacts = store::RepositoryOf<Contact>();
      ASSIGN_OR_RETURN(auto own, contacts.FindAll(c_, scope_.org_id,
                                                  {{"customer_id", Condition::Op::kEq,
                                                    ref.record_id}}));
      const auto& customers = store::RepositoryOf<Customer>();
      auto deleted = customers.Delete(c_, scope_.org_id, ref.record_id);
      if (!deleted.ok() && deleted.error().code() != ErrorCode::kNotFound) {
        return Error(ErrorCode::kFailedPrecondition,
                     "the source deleted this customer, but Relance keeps it: it still has "
                     "invoices or payments here (" + deleted.error().message() + ")");
      }
      for (const auto& ct : own) {
        RETURN_IF_ERROR(store::DeleteExternalRefsOf(c_, scope_.org_id, "contact", ct.meta.id));
      }
    } else if (entity == "contact") {
      const auto& contacts = store::RepositoryOf<Contact>();
      RETURN_IF_ERROR(IgnoreNotFound(contacts.Delete(c_, scope_.org_id, ref.record_id)));
    } else {
      const auto& invoices = store::RepositoryOf<Invoice>();
      if (rec.kind == EntityKind::kCreditNote) {
        RETURN_IF_ERROR(ReplaceAllocations("CREDIT_NOTE", ref.record_id, {}));
      }
      RETURN_IF_ERROR(IgnoreNotFound(invoices.Delete(c_, scope_.org_id, ref.record_id)));
    }
    Log(rec, ref.record_id, "DELETED", "{}");
    ++stats_.deleted;
    return drop_ref();
  }

  static Result<void> IgnoreNotFound(Result<void> r) {
    if (!r.ok() && r.error().code() == ErrorCode::kNotFound) return Ok();
    return r;
  }

  Connection& c_;
  services::Context ctx_;
  const ConnectorPolicy& policy_;
  const WriterScope& scope_;
  const domain::Organization& org_;
  std::string now_;
  // entity -> external id -> stored reference.
  std::map<std::string, std::unordered_map<std::string, store::RefRow>> refs_;
  // References written by this page: entity -> external id -> record id.
  std::map<std::string, std::unordered_map<std::string, std::string>> registered_;
  // What the record being written added to / removes from the maps above,
  // undone / applied when its savepoint is rolled back / released.
  std::vector<std::pair<std::string, std::string>> added_;
  std::vector<std::pair<std::string, std::string>> dropped_;
  std::map<std::string, std::vector<std::string>> seen_;
  mutable std::unordered_map<const EntityPolicy*, std::string> owned_text_;
  std::vector<SyncChange> changes_;
  WriteStats stats_;
  PageCache cache_;
  // Creates held for the next flush, and what to undo if it fails.
  bool bulk_ = true;
  CreateBatch batch_;
  std::vector<SourceRecord*> batch_records_;
  std::vector<std::pair<std::string, std::string>> batch_keys_;
  size_t batch_changes_begin_ = 0;
  WriteStats batch_stats_;
};

}  // namespace

RecordWriter::RecordWriter(services::Context ctx, const ConnectorPolicy& policy,
                           WriterScope scope)
    : ctx_(ctx), policy_(policy), scope_(std::move(scope)) {}

Result<WriteStats> RecordWriter::Write(store::Connection& c, std::vector<SourceRecord>& records,
                                       KnownRefs known) {
  ASSIGN_OR_RETURN(domain::Organization org, store::RepositoryOf<domain::Organization>().Get(
                                                 c, scope_.org_id, scope_.org_id));
  PageWriter page(c, ctx_, policy_, scope_, org);
  RETURN_IF_ERROR(page.LoadRefs(records, std::move(known)));
  for (auto& rec : records) RETURN_IF_ERROR(page.WriteOne(rec));
  RETURN_IF_ERROR(page.Finish());
  return page.stats();
}

}  // namespace relance::sync
