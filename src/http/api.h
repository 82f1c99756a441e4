// What the resource handlers share: the services they call and the server's
// settings. One per Server, built before the routes are registered, read-only
// afterwards (every member is thread-safe to use). Internal to src/http.
#pragma once

#include <optional>
#include <string>

#include "domain/entities.h"
#include "http/idempotency.h"
#include "http/metrics.h"
#include "http/router.h"
#include "services/allocation_service.h"
#include "services/auth_service.h"
#include "services/record_service.h"

namespace relance::http {

struct Api {
  Api(services::Context c, const services::AuthService& a, size_t max_body,
      std::optional<std::string> docs)
      : ctx(c),
        auth(a),
        organizations(c),
        users(c),
        customers(c),
        contacts(c),
        invoices(c),
        payments(c),
        allocation_records(c),
        products(c),
        allocations(c),
        idempotency(c),
        max_body_bytes(max_body),
        docs_dir(std::move(docs)) {}

  services::Context ctx;
  const services::AuthService& auth;
  services::RecordService<domain::Organization> organizations;
  services::RecordService<domain::User> users;
  services::RecordService<domain::Customer> customers;
  services::RecordService<domain::Contact> contacts;
  services::RecordService<domain::Invoice> invoices;
  services::RecordService<domain::Payment> payments;
  services::RecordService<domain::Allocation> allocation_records;
  services::RecordService<domain::Product> products;
  services::AllocationService allocations;
  Idempotency idempotency;
  size_t max_body_bytes;
  std::optional<std::string> docs_dir;  // swagger-ui-dist's files
  Metrics metrics;
};

// One function per handler file; each adds its routes to the table.
void AddOrganizationRoutes(Router& r, const Api& api);
void AddUserRoutes(Router& r, const Api& api);
void AddTokenRoutes(Router& r, const Api& api);
void AddSessionRoutes(Router& r, const Api& api);
void AddCustomerRoutes(Router& r, const Api& api);
void AddContactRoutes(Router& r, const Api& api);
void AddInvoiceRoutes(Router& r, const Api& api);
void AddPaymentRoutes(Router& r, const Api& api);
void AddAllocationRoutes(Router& r, const Api& api);
void AddProductRoutes(Router& r, const Api& api);
// "/", "/healthz", "/metrics", "/api/v1/openapi.json" (needs the finished table).
void AddSystemRoutes(Router& r, const Api& api, const std::string* openapi_json);
void AddDocsRoutes(Router& r, const Api& api);

}  // namespace relance::http
