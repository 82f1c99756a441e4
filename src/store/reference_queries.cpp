#include "store/reference_queries.h"

#include "store/id_lookup.h"

namespace relance::store {

Result<std::vector<CustomerReference>> FindCustomerReferences(Connection& c,
                                                              const std::string& org_id,
                                                              const std::vector<std::string>& ids) {
  std::vector<CustomerReference> out;
  out.reserve(ids.size());
  RETURN_IF_ERROR(QueryByIds(
      c, {org_id}, ids,
      "SELECT id, parent_id, payment_delay_days FROM customers WHERE org_id = ? AND id", "",
      [&](SqlRow& row) {
        CustomerReference r;
        r.id = row.TakeText(0);
        if (!row.IsNull(1)) r.parent_id = row.TakeText(1);
        if (!row.IsNull(2)) r.payment_delay_days = row.Int(2);
        out.push_back(std::move(r));
      }));
  return out;
}

Result<std::vector<InvoiceBalance>> FindInvoiceBalances(Connection& c, const std::string& org_id,
                                                        const std::vector<std::string>& ids) {
  std::vector<InvoiceBalance> out;
  out.reserve(ids.size());
  // The sum by the allocations_invoice index, one probe per invoice.
  RETURN_IF_ERROR(QueryByIds(
      c, {org_id}, ids,
      "SELECT i.id, i.version, i.gross_amount, (SELECT COALESCE(SUM(a.amount), 0) FROM "
      "allocations a WHERE a.org_id = i.org_id AND a.invoice_id = i.id) FROM invoices i "
      "WHERE i.org_id = ? AND i.id",
      "", [&](SqlRow& row) {
        out.push_back({row.TakeText(0), row.Int(1), row.Int(2), row.Int(3)});
      }));
  return out;
}

}  // namespace relance::store
