// Generic persistence of one entity type, driven by its EntitySpec: the
// column list, the row <-> struct conversion and the list query (filters,
// sort, cursor pagination) are derived from the spec, so every entity gets
// the same semantics and none hand-writes its SQL.
//
// Every call takes the organization id first and never reads or writes
// another organization's rows (R-CORE-1). Calls run on the connection given,
// inside the caller's transaction when there is one. Stateless after
// construction; thread-safe.
#pragma once

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "domain/entity_spec.h"
#include "store/db.h"
#include "store/id_lookup.h"

namespace relance::store {

// One condition of a list query: `column op value`. Columns must be names of
// the spec (or the common columns id, created_at, updated_at); anything
// else is refused before it reaches SQL.
struct Condition {
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kIsNull, kIsNotNull, kIn };
  std::string column;
  Op op = Op::kEq;
  SqlValue value;
  std::vector<SqlValue> values = {};  // for kIn (at most 1000)
  // Written so that no index on the column serves it: for a range that
  // matches most rows (an invoice status's due-date bound), where the
  // planners would otherwise scan that index and sort every match instead
  // of walking the primary key in id order and stopping at the page size.
  bool unindexed = false;
};

struct ListQuery {
  std::vector<Condition> conditions;
  std::string sort = "id";  // a sortable field, or "id"
  bool descending = false;
  int limit = 50;               // 1..1000
  std::optional<std::string> cursor;  // opaque, from the previous page
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next_cursor;  // absent on the last page
};

template <typename T>
class RecordRepository {
 public:
  explicit RecordRepository(const domain::EntitySpec<T>& spec);

  const domain::EntitySpec<T>& spec() const { return spec_; }

  // The record's meta (id, org_id, version, timestamps) is written as given.
  Result<void> Insert(Connection& c, const T& record) const;
  // Writes every field where id and version match `record.meta.version - 1`;
  // kConflict when another writer got there first (optimistic concurrency),
  // kNotFound when the record is gone.
  Result<void> Update(Connection& c, const T& record) const;
  Result<std::optional<T>> Find(Connection& c, const std::string& org_id,
                                const std::string& id) const;
  // kNotFound names the entity and the id.
  Result<T> Get(Connection& c, const std::string& org_id, const std::string& id) const;
  Result<std::optional<T>> FindBy(Connection& c, const std::string& org_id,
                                  const std::string& column, const SqlValue& value) const;
  // Every record matching all `conditions`, in no particular order: for the
  // small sets an index finds (a customer's contacts and invoices), where
  // List's id order would make the planner walk the primary key instead.
  Result<std::vector<T>> FindAll(Connection& c, const std::string& org_id,
                                 const std::vector<Condition>& conditions) const;
  Result<void> Delete(Connection& c, const std::string& org_id, const std::string& id) const;
  Result<Page<T>> List(Connection& c, const std::string& org_id, const ListQuery& q) const;
  Result<int64_t> Count(Connection& c, const std::string& org_id,
                        const std::vector<Condition>& conditions) const;

  // For bulk paths (BulkWriter): the table's columns in row order, and one
  // record as the values of those columns.
  const std::vector<std::string>& ColumnNames() const { return column_names_; }
  std::vector<SqlValue> ToValues(const T& record) const;
  // The same into `out`, reusing the text buffers it holds (bulk paths fill
  // the same rows batch after batch).
  void ToValuesInto(const T& record, std::vector<SqlValue>& out) const;
  // The same, moving the record's texts into `out` instead of copying them:
  // for a writer done with the record. `record` is left valid but unspecified.
  void MoveValuesInto(T&& record, std::vector<SqlValue>& out) const;

 private:
  T FromRow(const SqlRow& row) const;
  Result<std::string> Where(const std::vector<Condition>& conditions,
                            std::vector<SqlValue>& params) const;

  // Moves the table's change stamp (store/change_stamps.h) after a write.
  Result<void> Stamp(Connection& c, const std::string& org_id) const;

  const domain::EntitySpec<T>& spec_;
  bool stamped_ = false;
  std::vector<std::string> column_names_;
  std::string columns_;  // "id, org_id, version, created_at, updated_at, f1, f2, ..."
  std::string insert_sql_;
  std::string update_sql_;
  std::string select_sql_;  // "SELECT <columns> FROM <table> WHERE org_id = ?"
};

// The repository of T's spec, built once: repositories are stateless after
// construction, and building one composes its SQL.
template <typename T>
const RecordRepository<T>& RepositoryOf() {
  static const RecordRepository<T> repo(domain::SpecOf<T>());
  return repo;
}

// Buffers new records and writes them with Connection::BulkInsert (prepared
// statement reuse on SQLite, COPY on PostgreSQL) every `batch` records and
// on Flush(), inside the caller's transaction. Rows added but not flushed are
// not in the database yet: flush before reading them back. The buffered rows
// are kept from one batch to the next and filled again in place, so a long
// load allocates for its first batch only: memory is about `batch` rows.
template <typename T>
class BulkWriter {
 public:
  explicit BulkWriter(const RecordRepository<T>& repo, size_t batch = 10'000)
      : repo_(repo), batch_(batch) {}

  Result<void> Add(Connection& c, const T& record) {
    if (used_ == rows_.size()) rows_.emplace_back();
    repo_.ToValuesInto(record, rows_[used_++]);
    return used_ >= batch_ ? Flush(c) : Ok();
  }
  // The same for a record the caller is done with: its texts are moved.
  Result<void> Add(Connection& c, T&& record) {
    if (used_ == rows_.size()) rows_.emplace_back();
    repo_.MoveValuesInto(std::move(record), rows_[used_++]);
    return used_ >= batch_ ? Flush(c) : Ok();
  }
  Result<void> Flush(Connection& c) {
    if (used_ == 0) return Ok();
    auto r = c.BulkInsert(repo_.spec().table, repo_.ColumnNames(),
                          std::span<const std::vector<SqlValue>>(rows_.data(), used_));
    used_ = 0;
    return r;
  }
  size_t pending() const { return used_; }

 private:
  const RecordRepository<T>& repo_;
  size_t batch_;
  std::vector<std::vector<SqlValue>> rows_;  // the first used_ are pending
  size_t used_ = 0;
};

// Conversions between a field value and its column, shared with bulk paths.
SqlValue ToSql(domain::FieldType type, const domain::FieldValue& v);
Result<domain::FieldValue> FromSql(domain::FieldType type, const SqlValue& v);

}  // namespace relance::store
