// gen_invoices: seeds a database for bench/run.sh with one organization
// ("Bench SAS", admin bench@relance.test), N customers and M invoices of
// mixed statuses (about 30 % OVERDUE, 30 % NOT_DUE, 32 % PAID, 5 % VOID,
// 3 % TO_SEND). Each PAID invoice has a payment and an allocation, so
// balances agree with allocations as they would through the services.
//
//   gen_invoices --db LOCATION [--customers 100000] [--invoices 1000000] [--seed 1]
//
// LOCATION is a SQLite file or a postgresql:// URL. Migrations are applied
// first; rows go in through Connection::BulkInsert (prepared-statement reuse
// on SQLite, COPY on PostgreSQL), a transaction per batch of invoices.
// Contents are deterministic for a seed; ids are not (they embed the time of
// the run, like every id), which changes nothing that is measured.
//
// Idempotent: when the bench admin already exists it writes nothing. Prints
// "org_id=... user_id=..." on stdout either way (run.sh reads it), progress
// and timing on stderr. Exit 0 on success, 1 on failure.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/clock.h"
#include "core/prng.h"
#include "core/ids.h"
#include "domain/entity_spec.h"
#include "services/auth_service.h"
#include "store/credentials.h"
#include "store/db.h"
#include "store/migrations/migrations.h"
#include "store/record_repository.h"

namespace relance::bench {
namespace {

using store::SqlValue;

constexpr std::string_view kAdminEmail = "bench@relance.test";
constexpr std::string_view kTimeZone = "Europe/Paris";
constexpr size_t kBatch = 50'000;  // invoices per transaction


template <typename T>
void Stamp(T& r, const std::string& id, const std::string& org_id, const std::string& now) {
  r.meta = {id, org_id, 1, now, now};
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Options {
  std::string db;
  int64_t customers = 100'000;
  int64_t invoices = 1'000'000;
  uint64_t seed = 1;
};

Result<void> InBulkTransaction(store::Connection& c,
                               const std::function<Result<void>(store::Connection&)>& fn) {
  RETURN_IF_ERROR(c.Begin());
  Result<void> r = fn(c);
  if (r.ok()) return c.Commit();
  (void)c.Rollback();
  return r;
}

Result<void> Generate(const Options& o) {
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(auto db, store::OpenDatabase(o.db, 2));
  ASSIGN_OR_RETURN(auto applied, store::ApplyMigrations(*db));
  (void)applied;

  SystemClock clock;
  services::Context ctx{*db, clock};
  {
    ASSIGN_OR_RETURN(auto conn, db->Acquire());
    ASSIGN_OR_RETURN(auto existing, store::FindLoginByEmail(*conn, std::string(kAdminEmail)));
    if (existing) {
      std::cerr << "gen_invoices: " << db->Describe() << " is already seeded; nothing written\n";
      std::cout << "org_id=" << existing->org_id << " user_id=" << existing->user_id << "\n";
      return Ok();
    }
  }

  // The organization and its admin through the services, like any operator.
  services::AuthService auth(ctx, services::PasswordCost::kMinimum);
  ASSIGN_OR_RETURN(auto org, auth.CreateOrganization({"Bench SAS", std::string(kTimeZone)}));
  ASSIGN_OR_RETURN(auto admin, auth.CreateUser(org.meta.id, {std::string(kAdminEmail), "Bench",
                                                             "ADMIN", "bench-password", std::nullopt}));
  const std::string& org_id = org.meta.id;
  const Timestamp now_ts = clock.Now();
  const std::string now = FormatTimestamp(now_ts);
  ASSIGN_OR_RETURN(const Date today, TodayIn(kTimeZone, now_ts));
  Prng rng(o.seed);

  ASSIGN_OR_RETURN(auto conn, db->Acquire());

  std::vector<std::string> customer_ids;
  customer_ids.reserve(o.customers);
  RETURN_IF_ERROR(InBulkTransaction(*conn, [&](store::Connection& c) -> Result<void> {
    store::RecordRepository<domain::Customer> repo(domain::CustomerSpec());
    store::BulkWriter<domain::Customer> rows(repo, kBatch);
    for (int64_t i = 0; i < o.customers; ++i) {
      domain::Customer cu;
      Stamp(cu, NewId(kCustomerPrefix, now_ts), org_id, now);
      cu.external_id = "C" + std::to_string(1'000'000 + i);
      cu.name = "Client " + std::to_string(i + 1);
      cu.city = "Ville " + std::to_string(rng.Between(1, 500));
      cu.country = "FR";
      if (rng.Between(0, 9) == 0) cu.payment_delay_days = 45;
      customer_ids.push_back(cu.meta.id);
      RETURN_IF_ERROR(rows.Add(c, cu));
    }
    return rows.Flush(c);
  }));
  std::cerr << "gen_invoices: " << o.customers << " customers in " << SecondsSince(start) << " s\n";

  int64_t counts[5] = {};  // OVERDUE, NOT_DUE, PAID, VOID, TO_SEND
  for (int64_t done = 0; done < o.invoices;) {
    const int64_t batch_end = std::min<int64_t>(o.invoices, done + kBatch);
    RETURN_IF_ERROR(InBulkTransaction(*conn, [&](store::Connection& c) -> Result<void> {
      // One flush each at the end of the batch, in reference order.
      constexpr size_t kNoAutoFlush = SIZE_MAX;
      store::RecordRepository<domain::Invoice> invoice_repo(domain::InvoiceSpec());
      store::RecordRepository<domain::Payment> payment_repo(domain::PaymentSpec());
      store::RecordRepository<domain::Allocation> allocation_repo(domain::AllocationSpec());
      store::BulkWriter<domain::Invoice> invoices(invoice_repo, kNoAutoFlush);
      store::BulkWriter<domain::Payment> payments(payment_repo, kNoAutoFlush);
      store::BulkWriter<domain::Allocation> allocations(allocation_repo, kNoAutoFlush);
      for (int64_t i = done; i < batch_end; ++i) {
        domain::Invoice inv;
        Stamp(inv, NewId(kInvoicePrefix, now_ts), org_id, now);
        inv.number = "F" + std::to_string(10'000'000 + i);
        inv.customer_id = customer_ids[rng.Next() % customer_ids.size()];
        inv.net_amount = rng.Between(50, 500'000) * 10;
        inv.tax_amount = inv.net_amount / 5;
        inv.gross_amount = inv.net_amount + inv.tax_amount;
        inv.outstanding_amount = inv.gross_amount;
        inv.origin = "import";
        // Printed due date 30 days after issue (R-CORE-8); the issue date
        // decides where the due date falls against today.
        const int64_t pick = rng.Between(0, 99);
        int kind;
        if (pick < 30) {
          kind = 0;
          inv.issue_date = today.AddDays(-rng.Between(31, 365));
        } else if (pick < 60) {
          kind = 1;
          inv.issue_date = today.AddDays(-rng.Between(0, 30));
        } else if (pick < 92) {
          kind = 2;
          inv.issue_date = today.AddDays(-rng.Between(0, 365));
        } else if (pick < 97) {
          kind = 3;
          inv.issue_date = today.AddDays(-rng.Between(0, 365));
          inv.is_void = true;
        } else {
          kind = 4;
          inv.issue_date = today.AddDays(-rng.Between(0, 3));
          inv.to_send = true;
        }
        inv.printed_due_date = inv.issue_date.AddDays(30);
        inv.due_date = *inv.printed_due_date;
        ++counts[kind];
        if (kind == 2) {
          domain::Payment pay;
          Stamp(pay, NewId(kPaymentPrefix, now_ts), org_id, now);
          pay.customer_id = inv.customer_id;
          pay.amount = inv.gross_amount;
          pay.date = std::min(today, inv.issue_date.AddDays(rng.Between(0, 40)));
          pay.unallocated_amount = 0;
          domain::Allocation alloc;
          Stamp(alloc, NewId(kAllocationPrefix, now_ts), org_id, now);
          alloc.source_type = "PAYMENT";
          alloc.source_id = pay.meta.id;
          alloc.invoice_id = inv.meta.id;
          alloc.amount = inv.gross_amount;
          inv.outstanding_amount = 0;
          RETURN_IF_ERROR(payments.Add(c, pay));
          RETURN_IF_ERROR(allocations.Add(c, alloc));
        }
        RETURN_IF_ERROR(invoices.Add(c, inv));
      }
      // Allocations reference invoices: invoices first.
      RETURN_IF_ERROR(invoices.Flush(c));
      RETURN_IF_ERROR(payments.Flush(c));
      return allocations.Flush(c);
    }));
    done = batch_end;
    std::cerr << "gen_invoices: " << done << " invoices in " << SecondsSince(start) << " s\n";
  }
  std::cerr << "gen_invoices: seeded " << db->Describe() << " with " << o.customers
            << " customers and " << o.invoices << " invoices (" << counts[0] << " overdue, "
            << counts[1] << " not due, " << counts[2] << " paid, " << counts[3] << " void, "
            << counts[4] << " to send) in " << SecondsSince(start) << " s\n";
  std::cout << "org_id=" << org_id << " user_id=" << admin.meta.id << "\n";
  return Ok();
}

}  // namespace
}  // namespace relance::bench

int main(int argc, char** argv) {
  relance::bench::Options o;
  CLI::App app("Seeds a database for bench/run.sh", "gen_invoices");
  app.add_option("--db", o.db, "SQLite file or postgresql:// URL")->required();
  app.add_option("--customers", o.customers, "number of customers")->capture_default_str();
  app.add_option("--invoices", o.invoices, "number of invoices")->capture_default_str();
  app.add_option("--seed", o.seed, "generator seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (o.customers < 1 || o.invoices < 0) {
    std::cerr << "gen_invoices: --customers must be at least 1 and --invoices not negative\n";
    return 64;
  }
  try {
    auto r = relance::bench::Generate(o);
    if (!r.ok()) {
      std::cerr << "gen_invoices: " << r.error().ToString() << "\n";
      return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "gen_invoices: unexpected error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
