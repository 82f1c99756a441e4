// RecordRepository's rows for the bulk paths (store/record_repository.h):
// moving a record's texts into its row gives the row copying them gives,
// for every kind of field, set and unset, and rows filled again in place
// carry nothing over from the previous record.
#include <gtest/gtest.h>

#include <vector>

#include "domain/entity_spec.h"
#include "store/record_repository.h"

namespace relance::store {
namespace {

domain::Invoice FullInvoice() {
  domain::Invoice inv;
  inv.meta = {"inv_1", "org_1", 4, "2026-12-05T00:00:00Z", "2026-12-05T01:00:00Z"};
  inv.kind = "CREDIT_NOTE";
  inv.number = "AV-2026-0001, a number long enough to live outside the string";
  inv.customer_id = "cus_1";
  inv.external_id = "credit/9";
  inv.issue_date = *Date::FromYmd(2026, 2, 28);
  inv.printed_due_date = *Date::FromYmd(2026, 3, 31);
  inv.payable_on_receipt = true;
  inv.gross_amount = 12345;
  inv.pdf_url = "https://example.invalid/a.pdf";
  return inv;
}

domain::Customer FullCustomer() {
  domain::Customer c;
  c.meta = {"cus_1", "org_1", 1, "2026-12-05T00:00:00Z", "2026-12-05T00:00:00Z"};
  c.name = "Épicerie Chez Paul";
  c.payment_delay_days = 45;
  c.smart_tags = {{"tag", "vip"}};
  return c;
}

template <typename T>
void ExpectMovedRowIsCopiedRow(const T& record) {
  const auto& repo = RepositoryOf<T>();
  std::vector<SqlValue> copied, moved;
  repo.ToValuesInto(record, copied);
  T given = record;
  repo.MoveValuesInto(std::move(given), moved);
  EXPECT_EQ(moved, copied);
  EXPECT_EQ(moved, repo.ToValues(record));
  ASSERT_EQ(moved.size(), repo.ColumnNames().size());
}

TEST(RecordValues, MovingTheTextsGivesTheRowCopyingGives) {
  ExpectMovedRowIsCopiedRow(FullInvoice());
  ExpectMovedRowIsCopiedRow(domain::Invoice{});
  ExpectMovedRowIsCopiedRow(FullCustomer());
  ExpectMovedRowIsCopiedRow(domain::Customer{});
}

TEST(RecordValues, ARowFilledAgainKeepsNothingOfThePreviousRecord) {
  const auto& repo = RepositoryOf<domain::Invoice>();
  std::vector<SqlValue> row;
  repo.MoveValuesInto(FullInvoice(), row);
  repo.MoveValuesInto(domain::Invoice{}, row);
  EXPECT_EQ(row, repo.ToValues(domain::Invoice{}));
  repo.ToValuesInto(FullInvoice(), row);
  EXPECT_EQ(row, repo.ToValues(FullInvoice()));
}

}  // namespace
}  // namespace relance::store
