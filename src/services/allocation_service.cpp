#include "services/allocation_service.h"

#include "core/ids.h"
#include "domain/rules/allocation.h"
#include "services/apply_fields.h"
#include "services/record_rules.h"

namespace relance::services {
namespace {

using domain::Allocation;
using domain::Invoice;
using domain::Payment;
using store::Connection;

struct Repos {
  store::RecordRepository<Invoice> invoices{domain::InvoiceSpec()};
  store::RecordRepository<Payment> payments{domain::PaymentSpec()};
  store::RecordRepository<Allocation> allocations{domain::AllocationSpec()};
};

void Touch(domain::RecordMeta& meta, const std::string& now) {
  ++meta.version;
  meta.updated_at = now;
}

// The money a source can still give: a payment's unallocated amount or a
// credit note's outstanding amount. Loaded, checked and written back by
// AllocateWithin, so both sides change in the same transaction.
struct Source {
  std::optional<Payment> payment;
  std::optional<Invoice> credit_note;
};

Result<Source> LoadSource(Connection& c, const Repos& r, const std::string& org_id,
                          const std::string& type, const std::string& id) {
  Source s;
  if (type == "PAYMENT") {
    ASSIGN_OR_RETURN(auto found, r.payments.Find(c, org_id, id));
    if (!found) return FieldInvalid("source_id", "no payment " + id + " in this organization");
    s.payment = std::move(*found);
  } else if (type == "CREDIT_NOTE") {
    ASSIGN_OR_RETURN(auto found, r.invoices.Find(c, org_id, id));
    if (!found || found->kind != "CREDIT_NOTE") {
      return FieldInvalid("source_id", "no credit note " + id + " in this organization");
    }
    s.credit_note = std::move(*found);
  } else {
    return FieldInvalid("source_type", "must be PAYMENT or CREDIT_NOTE");
  }
  return s;
}

// Checks one allocation against the current balances, applies it to the
// in-memory records and inserts the allocation row. The caller writes the
// invoice and source back.
Result<Allocation> AllocateWithin(Connection& c, const Repos& r, const Principal& p,
                                  Source& source, const AllocationRequest& req,
                                  std::string_view field_prefix, const std::string& now_text,
                                  Timestamp now) {
  auto invoice = r.invoices.Find(c, p.org_id, req.invoice_id);
  if (!invoice.ok()) return std::move(invoice).take_error();
  if (!*invoice) {
    return FieldInvalid(std::string(field_prefix) + "invoice_id",
                        "no invoice " + req.invoice_id + " in this organization");
  }
  Invoice& target = **invoice;
  domain::AllocationSource src =
      source.payment ? domain::AllocationSource::FromPayment(*source.payment)
                     : domain::AllocationSource::FromCreditNote(*source.credit_note);
  RETURN_IF_ERROR(domain::CheckAllocation(src, target, req.amount, field_prefix));
  RETURN_IF_ERROR(domain::ApplyAllocation(src, target, req.amount));
  if (source.payment) source.payment->unallocated_amount = src.available;
  if (source.credit_note) source.credit_note->outstanding_amount = src.available;
  Touch(target.meta, now_text);
  RETURN_IF_ERROR(r.invoices.Update(c, target));

  Allocation a;
  a.meta.id = NewId(kAllocationPrefix, now);
  a.meta.org_id = p.org_id;
  a.meta.version = 1;
  a.meta.created_at = a.meta.updated_at = now_text;
  a.source_type = source.payment ? "PAYMENT" : "CREDIT_NOTE";
  a.source_id = source.payment ? source.payment->meta.id : source.credit_note->meta.id;
  a.invoice_id = target.meta.id;
  a.amount = req.amount;
  RETURN_IF_ERROR(r.allocations.Insert(c, a));
  return a;
}

Result<void> SaveSource(Connection& c, const Repos& r, Source& s, const std::string& now) {
  if (s.payment) {
    Touch(s.payment->meta, now);
    return r.payments.Update(c, *s.payment);
  }
  Touch(s.credit_note->meta, now);
  return r.invoices.Update(c, *s.credit_note);
}

Result<std::vector<Allocation>> AllocationsOf(Connection& c, const Repos& r,
                                              const std::string& org_id,
                                              const std::string& source_id) {
  std::vector<Allocation> out;
  store::ListQuery q;
  q.conditions = {{"source_id", store::Condition::Op::kEq, source_id}};
  q.limit = 1000;
  for (;;) {
    ASSIGN_OR_RETURN(auto page, r.allocations.List(c, org_id, q));
    for (auto& a : page.items) out.push_back(std::move(a));
    if (!page.next_cursor) return out;
    q.cursor = page.next_cursor;
  }
}

// Gives an allocation's money back to its invoice and source, and removes it.
Result<void> Reverse(Connection& c, const Repos& r, const std::string& org_id,
                     const Allocation& a, const std::string& now) {
  ASSIGN_OR_RETURN(Invoice invoice, r.invoices.Get(c, org_id, a.invoice_id));
  invoice.outstanding_amount += a.amount;
  Touch(invoice.meta, now);
  RETURN_IF_ERROR(r.invoices.Update(c, invoice));
  if (a.source_type == "PAYMENT") {
    auto payment = r.payments.Find(c, org_id, a.source_id);
    if (!payment.ok()) return std::move(payment).take_error();
    if (*payment) {
      (*payment)->unallocated_amount += a.amount;
      Touch((*payment)->meta, now);
      RETURN_IF_ERROR(r.payments.Update(c, **payment));
    }
  } else {
    ASSIGN_OR_RETURN(Invoice credit, r.invoices.Get(c, org_id, a.source_id));
    credit.outstanding_amount += a.amount;
    Touch(credit.meta, now);
    RETURN_IF_ERROR(r.invoices.Update(c, credit));
  }
  return r.allocations.Delete(c, org_id, a.meta.id);
}

}  // namespace

Result<PaymentWithAllocations> AllocationService::CreatePayment(
    const Principal& p, const std::vector<FieldAssignment>& fields,
    const std::vector<AllocationRequest>& requests) const {
  RETURN_IF_ERROR(Authorize(p, Access::kWrite));
  Payment payment;
  RETURN_IF_ERROR(ApplyFields(domain::PaymentSpec(), payment, fields, /*creating=*/true));
  Timestamp now = ctx_.clock.Now();
  std::string now_text = FormatTimestamp(now);
  payment.meta.id = NewId(kPaymentPrefix, now);
  payment.meta.org_id = p.org_id;
  payment.meta.version = 1;
  payment.meta.created_at = payment.meta.updated_at = now_text;
  payment.unallocated_amount = payment.amount;

  PaymentWithAllocations out;
  Repos r;
  RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](Connection& c) -> Result<void> {
    out.allocations.clear();
    store::RecordRepository<domain::Organization> orgs(domain::OrganizationSpec());
    ASSIGN_OR_RETURN(auto org, orgs.Get(c, p.org_id, p.org_id));
    Source source{payment, std::nullopt};
    RETURN_IF_ERROR(PreparePayment(c, ctx_, org, *source.payment));
    for (size_t i = 0; i < requests.size(); ++i) {
      std::string prefix = "allocations[" + std::to_string(i) + "].";
      ASSIGN_OR_RETURN(Allocation a, AllocateWithin(c, r, p, source, requests[i], prefix,
                                                    now_text, now));
      out.allocations.push_back(std::move(a));
    }
    // Inserted last, with its final unallocated amount, as version 1.
    RETURN_IF_ERROR(r.payments.Insert(c, *source.payment));
    out.payment = *source.payment;
    return Ok();
  }));
  return out;
}

Result<Allocation> AllocationService::Allocate(const Principal& p, const std::string& source_type,
                                               const std::string& source_id,
                                               const AllocationRequest& request) const {
  RETURN_IF_ERROR(Authorize(p, Access::kWrite));
  Timestamp now = ctx_.clock.Now();
  std::string now_text = FormatTimestamp(now);
  Repos r;
  Allocation out;
  RETURN_IF_ERROR(store::InTransaction(ctx_.db, [&](Connection& c) -> Result<void> {
    ASSIGN_OR_RETURN(Source source, LoadSource(c, r, p.org_id, source_type, source_id));
    ASSIGN_OR_RETURN(out, AllocateWithin(c, r, p, source, request, "", now_text, now));
    return SaveSource(c, r, source, now_text);
  }));
  return out;
}

Result<void> AllocationService::Deallocate(const Principal& p,
                                           const std::string& allocation_id) const {
  RETURN_IF_ERROR(Authorize(p, Access::kWrite));
  std::string now = FormatTimestamp(ctx_.clock.Now());
  Repos r;
  return store::InTransaction(ctx_.db, [&](Connection& c) -> Result<void> {
    ASSIGN_OR_RETURN(Allocation a, r.allocations.Get(c, p.org_id, allocation_id));
    return Reverse(c, r, p.org_id, a, now);
  });
}

Result<PaymentWithAllocations> AllocationService::GetPayment(const Principal& p,
                                                             const std::string& id) const {
  RETURN_IF_ERROR(Authorize(p, Access::kRead));
  Repos r;
  ASSIGN_OR_RETURN(auto conn, ctx_.db.Acquire());
  PaymentWithAllocations out;
  ASSIGN_OR_RETURN(out.payment, r.payments.Get(*conn, p.org_id, id));
  ASSIGN_OR_RETURN(out.allocations, AllocationsOf(*conn, r, p.org_id, id));
  return out;
}

Result<void> AllocationService::DeletePayment(const Principal& p, const std::string& id) const {
  RETURN_IF_ERROR(Authorize(p, Access::kWrite));
  std::string now = FormatTimestamp(ctx_.clock.Now());
  Repos r;
  return store::InTransaction(ctx_.db, [&](Connection& c) -> Result<void> {
    RETURN_IF_ERROR(r.payments.Get(c, p.org_id, id));
    ASSIGN_OR_RETURN(auto allocations, AllocationsOf(c, r, p.org_id, id));
    for (const auto& a : allocations) RETURN_IF_ERROR(Reverse(c, r, p.org_id, a, now));
    return r.payments.Delete(c, p.org_id, id);
  });
}

}  // namespace relance::services
