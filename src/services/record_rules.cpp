#include "services/record_rules.h"

#include "core/ids.h"
#include "domain/entity_spec.h"
#include "domain/rules/due_date.h"
#include "domain/rules/groups.h"
#include "domain/rules/validation.h"
#include "store/contact_queries.h"
#include "store/dunning_queries.h"
#include "store/record_repository.h"

namespace relance::services {
namespace {

using namespace domain;

// A reference to another record of the organization must exist; otherwise
// the error names the field, as a client would want to show it.
template <typename R>
Result<R> Referenced(store::Connection& c, const EntitySpec<R>& spec, const std::string& org_id,
                     const std::string& id, std::string_view field) {
  store::RecordRepository<R> repo(spec);
  ASSIGN_OR_RETURN(auto found, repo.Find(c, org_id, id));
  if (!found) {
    return FieldInvalid(std::string(field),
                        "no " + std::string(spec.entity) + " " + id + " in this organization");
  }
  return std::move(*found);
}

// The same for a customer, read through `refs`.
Result<const store::CustomerReference*> ReferencedCustomer(ReferenceReader& refs, const std::string& org_id,
                                           const std::string& id, std::string_view field) {
  ASSIGN_OR_RETURN(const store::CustomerReference* found, refs.FindCustomer(org_id, id));
  if (found == nullptr) {
    return FieldInvalid(std::string(field), "no customer " + id + " in this organization");
  }
  return found;
}

// `given`, or a database reader on `c` held by the caller.
ReferenceReader& ReaderOr(ReferenceReader* given, std::optional<DatabaseReferenceReader>& own,
                          store::Connection& c) {
  if (given != nullptr) return *given;
  return own.emplace(c);
}

}  // namespace

template <> WritePolicy PolicyFor<Organization>() { return {Access::kAdmin, false, false}; }
template <> WritePolicy PolicyFor<User>() { return {Access::kAdmin, false, true}; }
template <> WritePolicy PolicyFor<Customer>() { return {}; }
template <> WritePolicy PolicyFor<Contact>() { return {}; }
template <> WritePolicy PolicyFor<Invoice>() { return {}; }
template <> WritePolicy PolicyFor<Payment>() { return {Access::kWrite, false, false}; }
template <> WritePolicy PolicyFor<Allocation>() { return {Access::kWrite, false, false}; }
template <> WritePolicy PolicyFor<Product>() { return {}; }
template <> WritePolicy PolicyFor<DunningPlan>() { return {}; }
// Imports are created by upload and written by the import job only.
template <> WritePolicy PolicyFor<ImportJob>() { return {Access::kWrite, false, false}; }
template <> WritePolicy PolicyFor<DunningStep>() { return {}; }
// Actions are created by the planner and moved by the to-do list's verbs
// (dunning/todo_service.h), never written field by field.
template <> WritePolicy PolicyFor<Action>() { return {Access::kWrite, false, false}; }

template <typename T>
std::string_view NewIdPrefix(const T&) {
  return [] {
    if constexpr (std::is_same_v<T, Organization>) return kOrgPrefix;
    if constexpr (std::is_same_v<T, User>) return kUserPrefix;
    if constexpr (std::is_same_v<T, Customer>) return kCustomerPrefix;
    if constexpr (std::is_same_v<T, Contact>) return kContactPrefix;
    if constexpr (std::is_same_v<T, Payment>) return kPaymentPrefix;
    if constexpr (std::is_same_v<T, Allocation>) return kAllocationPrefix;
    if constexpr (std::is_same_v<T, Product>) return kProductPrefix;
    if constexpr (std::is_same_v<T, DunningPlan>) return kDunningPlanPrefix;
    if constexpr (std::is_same_v<T, ImportJob>) return kImportPrefix;
    if constexpr (std::is_same_v<T, DunningStep>) return kDunningStepPrefix;
    if constexpr (std::is_same_v<T, Action>) return kActionPrefix;
    return kInvoicePrefix;
  }();
}
template <> std::string_view NewIdPrefix(const Invoice& r) {
  return r.kind == "CREDIT_NOTE" ? kCreditNotePrefix : kInvoicePrefix;
}
template std::string_view NewIdPrefix(const Organization&);
template std::string_view NewIdPrefix(const User&);
template std::string_view NewIdPrefix(const Customer&);
template std::string_view NewIdPrefix(const Contact&);
template std::string_view NewIdPrefix(const Payment&);
template std::string_view NewIdPrefix(const Allocation&);
template std::string_view NewIdPrefix(const Product&);
template std::string_view NewIdPrefix(const DunningPlan&);
template std::string_view NewIdPrefix(const ImportJob&);
template std::string_view NewIdPrefix(const DunningStep&);
template std::string_view NewIdPrefix(const Action&);

Result<void> Prepare(store::Connection&, const Context&, const Organization&, Organization& r,
                     const Organization*) {
  return ValidateOrganization(r);
}

Result<void> Prepare(store::Connection&, const Context&, const Organization&, User& r,
                     const User*) {
  return ValidateUser(r);
}

Result<void> Prepare(store::Connection& c, const Context&, const Organization&, Customer& r,
                     const Customer* before, ReferenceReader* given) {
  RETURN_IF_ERROR(ValidateCustomer(r));
  std::optional<DatabaseReferenceReader> own;
  ReferenceReader& refs = ReaderOr(given, own, c);
  bool default_plan = false;  // just read, so known to exist
  if (before == nullptr && !r.dunning_plan_id) {
    // R-DUN-1: a new customer follows the organization's default plan.
    ASSIGN_OR_RETURN(r.dunning_plan_id, refs.DefaultPlanId(r.meta.org_id));
    default_plan = r.dunning_plan_id.has_value();
  }
  if (r.account_manager_id) {
    RETURN_IF_ERROR(
        Referenced(c, UserSpec(), r.meta.org_id, *r.account_manager_id, "account_manager_id"));
  }
  if (r.dunning_plan_id && !default_plan &&
      (before == nullptr || before->dunning_plan_id != r.dunning_plan_id)) {
    RETURN_IF_ERROR(
        Referenced(c, DunningPlanSpec(), r.meta.org_id, *r.dunning_plan_id, "dunning_plan_id"));
  }
  if (r.parent_id && (before == nullptr || before->parent_id != r.parent_id)) {
    RETURN_IF_ERROR(ReferencedCustomer(refs, r.meta.org_id, *r.parent_id, "parent_id"));
    // R-CORE-3: a customer may not become its own ancestor.
    RETURN_IF_ERROR(CheckParentAssignment(
        r.meta.id, *r.parent_id,
        [&](const std::string& id) -> Result<std::optional<std::string>> {
          ASSIGN_OR_RETURN(const store::CustomerReference* parent, refs.FindCustomer(r.meta.org_id, id));
          if (parent == nullptr) return NotFound("customer " + id);
          return parent->parent_id;
        }));
  }
  // R-CORE-2: without an external id, the name is the customer's key.
  if (!r.external_id && (before == nullptr || before->name != r.name || before->external_id)) {
    store::RecordRepository<Customer> repo(CustomerSpec());
    store::ListQuery q;
    q.conditions = {{"name", store::Condition::Op::kEq, r.name},
                    {"external_id", store::Condition::Op::kIsNull, {}},
                    {"id", store::Condition::Op::kNe, r.meta.id}};
    q.limit = 1;
    ASSIGN_OR_RETURN(auto same, repo.List(c, r.meta.org_id, q));
    if (!same.items.empty()) {
      return Error(ErrorCode::kAlreadyExists,
                   "another customer is named \"" + r.name +
                       "\" and neither has an external id; give one an external_id",
                   {{"name", "already used by " + same.items[0].meta.id}});
    }
  }
  return Ok();
}

Result<void> Prepare(store::Connection& c, const Context&, const Organization&, Contact& r,
                     const Contact*, ReferenceReader* given) {
  RETURN_IF_ERROR(ValidateContact(r));
  std::optional<DatabaseReferenceReader> own;
  RETURN_IF_ERROR(
      ReferencedCustomer(ReaderOr(given, own, c), r.meta.org_id, r.customer_id, "customer_id"));
  return Ok();
}

Result<void> AfterWrite(store::Connection& c, const Context&, const DunningPlan& r) {
  if (!r.is_default) return Ok();
  // One default plan: choosing a new one demotes the previous.
  return store::ClearOtherDefaultPlans(c, r.meta.org_id, r.meta.id, r.meta.updated_at);
}

Result<void> AfterWrite(store::Connection& c, const Context&, const Contact& r) {
  if (!r.is_main) return Ok();
  // R-CORE-4: setting a new main contact clears the previous one.
  RETURN_IF_ERROR(store::ClearOtherMainContacts(c, r.meta.org_id, r.customer_id, r.meta.id,
                                                r.meta.updated_at));
  return Ok();
}

Result<void> Prepare(store::Connection& c, const Context&, const Organization& org, Invoice& r,
                     const Invoice* before, ReferenceReader* given) {
  RETURN_IF_ERROR(ValidateInvoice(r));
  std::optional<DatabaseReferenceReader> own;
  ASSIGN_OR_RETURN(const store::CustomerReference* customer,
                   ReferencedCustomer(ReaderOr(given, own, c), r.meta.org_id, r.customer_id,
                                      "customer_id"));
  if (before == nullptr) {
    r.outstanding_amount = r.gross_amount;
    // R-SEND-1: while the organization sends invoices itself, every new
    // invoice waits to be sent, whatever its status in the source system.
    r.to_send = org.send_invoices && r.kind == "INVOICE";
  } else {
    int64_t allocated = before->gross_amount - before->outstanding_amount;
    if (allocated != 0 && r.currency != before->currency) {
      return FieldInvalid("currency", "cannot change once payments or credit notes are allocated");
    }
    if (r.gross_amount < allocated) {
      return FieldInvalid("gross_amount", "is below what is already allocated to this " +
                                              std::string(r.kind == "INVOICE" ? "invoice" : "credit note") +
                                              " (" + std::to_string(allocated) + ")");
    }
    r.outstanding_amount = r.gross_amount - allocated;
  }
  // R-CORE-8: printed date, else on receipt = issue date, else customer's
  // delay, else the organization's.
  r.due_date = EffectiveDueDate(r, customer->payment_delay_days, org.default_payment_delay_days);
  return Ok();
}

Result<void> Prepare(store::Connection& c, const Context&, const Organization&, Payment& r,
                     const Payment*, ReferenceReader* given) {
  RETURN_IF_ERROR(ValidatePayment(r));
  if (r.customer_id) {
    std::optional<DatabaseReferenceReader> own;
    RETURN_IF_ERROR(ReferencedCustomer(ReaderOr(given, own, c), r.meta.org_id, *r.customer_id,
                                       "customer_id"));
  }
  return Ok();
}

Result<void> Prepare(store::Connection&, const Context&, const Organization&, Allocation&,
                     const Allocation*) {
  return Error(ErrorCode::kFailedPrecondition,
               "allocations are created with POST /api/v1/allocations or with a payment");
}

Result<void> Prepare(store::Connection&, const Context&, const Organization&, Product& r,
                     const Product*) {
  return ValidateProduct(r);
}

Result<void> Prepare(store::Connection& c, const Context&, const Organization&, DunningPlan& r,
                     const DunningPlan* before) {
  RETURN_IF_ERROR(ValidateDunningPlan(r));
  if (before == nullptr || before->name != r.name) {
    store::RecordRepository<DunningPlan> repo(DunningPlanSpec());
    ASSIGN_OR_RETURN(auto same, repo.FindBy(c, r.meta.org_id, "name", r.name));
    if (same && same->meta.id != r.meta.id) {
      return Error(ErrorCode::kAlreadyExists, "a dunning plan is already named \"" + r.name + "\"",
                   {{"name", "already used by " + same->meta.id}});
    }
  }
  return Ok();
}

Result<void> Prepare(store::Connection& c, const Context&, const Organization&, DunningStep& r,
                     const DunningStep* before) {
  RETURN_IF_ERROR(ValidateDunningStep(r));
  ASSIGN_OR_RETURN(DunningPlan plan,
                   Referenced(c, DunningPlanSpec(), r.meta.org_id, r.plan_id, "plan_id"));
  // R-SEND-4: only customer-level plans carry invoicing templates.
  if (r.kind == "INVOICING" && plan.level != "CUSTOMER") {
    return FieldInvalid("kind", "invoicing steps belong to customer-level plans only; plan \"" +
                                    plan.name + "\" is invoice-level");
  }
  if (r.owner_id && (before == nullptr || before->owner_id != r.owner_id)) {
    RETURN_IF_ERROR(Referenced(c, UserSpec(), r.meta.org_id, *r.owner_id, "owner_id"));
  }
  return Ok();
}

Result<void> Prepare(store::Connection&, const Context&, const Organization&, Action&,
                     const Action*) {
  return Error(ErrorCode::kFailedPrecondition,
               "actions are created by the dunning planner; use the to-do list's verbs "
               "(done, ignore, reschedule, reassign) to change one");
}

Result<void> Prepare(store::Connection&, const Context&, const Organization&, ImportJob&,
                     const ImportJob*) {
  return Error(ErrorCode::kFailedPrecondition,
               "imports are created by uploading a file to POST /api/v1/imports");
}

Result<void> PreparePayment(store::Connection& c, const Context& ctx, const Organization& org,
                            Payment& r) {
  return Prepare(c, ctx, org, r, nullptr);
}

}  // namespace relance::services
