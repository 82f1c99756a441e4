// /api/v1/payments (R-CORE-6). A payment is created together with its
// allocations to invoices ("allocations": [{"invoice_id", "amount"}]) in one
// transaction: an allocation above what an invoice still owes, or above the
// payment, refuses the whole request and writes nothing. GET answers the
// payment with its allocations; DELETE gives the money back to the invoices.
#include "http/crud.h"

namespace relance::http {
namespace {

constexpr size_t kMaxAllocations = 1000;

OrderedJson PaymentJson(const services::PaymentWithAllocations& p) {
  OrderedJson j = RecordToJson(p.payment);
  OrderedJson list = OrderedJson::array();
  for (const auto& a : p.allocations) list.push_back(RecordToJson(a));
  InsertBefore(j, "version", "allocations", std::move(list));
  return j;
}

// "allocations": [{"invoice_id": "inv_...", "amount": 1250}, ...]
std::vector<services::AllocationRequest> DecodeAllocations(const nlohmann::json& v,
                                                           std::vector<FieldError>& problems) {
  std::vector<services::AllocationRequest> out;
  if (!v.is_array()) {
    problems.push_back(
        {"allocations", "must be an array of {invoice_id, amount}, not " + JsonTypeName(v)});
    return out;
  }
  if (v.size() > kMaxAllocations) {
    problems.push_back(
        {"allocations", "has more than " + std::to_string(kMaxAllocations) + " items"});
    return out;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    std::string prefix = "allocations[" + std::to_string(i) + "]";
    const auto& item = v[i];
    if (!item.is_object()) {
      problems.push_back(
          {prefix, "must be an object {invoice_id, amount}, not " + JsonTypeName(item)});
      continue;
    }
    services::AllocationRequest req;
    bool ok = true;
    for (auto it = item.begin(); it != item.end(); ++it) {
      if (it.key() != "invoice_id" && it.key() != "amount") {
        problems.push_back({prefix + "." + it.key(), "is not a member of an allocation"});
        ok = false;
      }
    }
    if (!item.contains("invoice_id")) {
      problems.push_back({prefix + ".invoice_id", "is required"});
      ok = false;
    } else if (auto id = ReadString(item["invoice_id"], prefix + ".invoice_id", problems)) {
      req.invoice_id = *id;
    } else {
      ok = false;
    }
    if (!item.contains("amount")) {
      problems.push_back({prefix + ".amount", "is required"});
      ok = false;
    } else if (auto amount = ReadAmount(item["amount"], prefix + ".amount", problems)) {
      if (*amount == 0) {
        problems.push_back({prefix + ".amount", "must be greater than 0"});
        ok = false;
      }
      req.amount = *amount;
    } else {
      ok = false;
    }
    if (ok) out.push_back(std::move(req));
  }
  return out;
}

}  // namespace

void AddPaymentRoutes(Router& r, const Api& api) {
  Resource<domain::Payment> res;
  res.base = "/api/v1/payments";
  res.schema = "Payment";
  res.tag = "Payments";
  res.singular = "payment";
  res.create_schema = "PaymentCreate";
  res.create_response_schema = "PaymentWithAllocations";
  res.get_response_schema = "PaymentWithAllocations";
  res.create_handler = [&api](ApiRequest& req) -> Reply {
    auto body = BodyObject(req);
    if (!body.ok()) return ErrorReply(body.error());
    static constexpr std::string_view kHandled[] = {"allocations"};
    std::vector<services::FieldAssignment> fields;
    std::vector<FieldError> problems;
    DecodeFields(domain::PaymentSpec(), *body, DecodeMode::kCreate, kHandled, fields, problems);
    std::vector<services::AllocationRequest> allocations;
    if (auto it = body->find("allocations"); it != body->end() && !it->is_null()) {
      allocations = DecodeAllocations(*it, problems);
    }
    if (!problems.empty()) return ErrorReply(InvalidFields("payment", std::move(problems)));
    auto created = api.allocations.CreatePayment(req.who(), fields, allocations);
    if (!created.ok()) return ErrorReply(created.error());
    return RecordReply(201, PaymentJson(*created));
  };
  res.get_handler = [&api](ApiRequest& req) -> Reply {
    auto p = api.allocations.GetPayment(req.who(), req.PathParam("id"));
    if (!p.ok()) return ErrorReply(p.error());
    return RecordReply(200, PaymentJson(*p));
  };
  res.remove_handler = [&api](ApiRequest& req) -> Reply {
    auto done = api.allocations.DeletePayment(req.who(), req.PathParam("id"));
    if (!done.ok()) return ErrorReply(done.error());
    return NoContent();
  };
  AddResourceRoutes(r, api, api.payments, std::move(res));
}

}  // namespace relance::http
