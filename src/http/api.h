// What the resource handlers share: the services they call and the server's
// settings. One per Server, built before the routes are registered, read-only
// afterwards (every member is thread-safe to use). Internal to src/http.
#pragma once

#include <optional>
#include <string>

#include "domain/entities.h"
#include "dunning/bounce_service.h"
#include "dunning/planning_service.h"
#include "dunning/todo_service.h"
#include "http/idempotency.h"
#include "http/list_page_cache.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "imports/import_service.h"
#include "services/allocation_service.h"
#include "services/auth_service.h"
#include "services/record_service.h"
#include "sync/connection_service.h"

namespace relance::http {

struct Api {
  Api(services::Context c, const services::AuthService& a, const ServerOptions& o,
      const sync::ConnectorRegistry& registry, const sync::SecretBox& box)
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
        dunning_plans(c),
        dunning_steps(c),
        actions(c),
        import_jobs(c),
        allocations(c),
        idempotency(c),
        imports(c, o.uploads_dir),
        todo(c),
        planning(c),
        bounces(c),
        connector_types(registry),
        connections(c, registry, box),
        public_url(o.public_url),
        max_body_bytes(o.max_body_bytes),
        docs_dir(o.docs_dir),
        list_pages(o.list_cache_bytes) {}

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
  services::RecordService<domain::DunningPlan> dunning_plans;
  services::RecordService<domain::DunningStep> dunning_steps;
  services::RecordService<domain::Action> actions;  // read-only through the API
  services::RecordService<domain::ImportJob> import_jobs;
  services::AllocationService allocations;
  Idempotency idempotency;
  imports::ImportService imports;
  // The to-do list and the planner (R-DUN, R-SEND). The worker that sends is
  // not here: `relance serve` runs it beside the server (cli/serve.cpp).
  dunning::TodoService todo;
  dunning::PlanningService planning;
  dunning::BounceService bounces;  // POST /api/v1/bounces
  // Connections to external systems (src/sync). The runner that applies
  // what they deliver is not here: `relance serve` runs it (cli/serve.cpp).
  const sync::ConnectorRegistry& connector_types;
  sync::ConnectionService connections;
  // Base of the webhook URLs shown and registered; set before serving
  // (Server::Start fills in the bound port when it was not configured).
  std::string public_url;
  size_t max_body_bytes;
  std::optional<std::string> docs_dir;  // swagger-ui-dist's files
  // List pages of cached resources (Resource::cached_table); mutable: the
  // handlers get a const Api, and the cache is thread-safe.
  mutable ListPageCache list_pages;
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
void AddDunningPlanRoutes(Router& r, const Api& api);
void AddDunningStepRoutes(Router& r, const Api& api);
void AddActionRoutes(Router& r, const Api& api);
void AddImportRoutes(Router& r, const Api& api);
// /api/v1/connectors, /api/v1/connections..., /api/v1/sync-changes.
void AddConnectionRoutes(Router& r, const Api& api);
// Public: /webhooks/{connector}/{token}.
void AddWebhookRoutes(Router& r, const Api& api);
// POST /api/v1/bounces: a delivery status notification, raw.
void AddBounceRoutes(Router& r, const Api& api);
// "/", "/healthz", "/metrics", "/api/v1/openapi.json" (needs the finished table).
void AddSystemRoutes(Router& r, const Api& api, const std::string* openapi_json);
void AddDocsRoutes(Router& r, const Api& api);

}  // namespace relance::http
