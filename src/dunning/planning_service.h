// Runs the planner (planner.h) over an organization: loads its plans, then
// walks its customers in id order, a batch at a time (their open invoices
// and past actions with them, so memory does not grow with the database;
// the next batch is read on a second thread while this one is planned, its
// invoices in two halves at once on two connections),
// and stores each decided action at most once (its dedupe key is unique).
//
// Thread-safe; overlapping runs, in one process or several, decide each
// action once: the store refuses a second insert of a dedupe key.
#pragma once

#include <string>
#include <vector>

#include "core/date.h"
#include "domain/entities.h"
#include "services/context.h"

namespace relance::dunning {

struct PlanningReport {
  int64_t customers = 0;     // customers with a plan, examined
  int64_t invoices = 0;      // open invoices examined
  int64_t decided = 0;       // actions due at that moment
  int64_t stored = 0;        // of those, newly stored (0 on a dry run)
  std::vector<domain::Action> actions;  // the decided actions, when asked for
};

struct PlanningOptions {
  bool dry_run = false;       // decide, store nothing
  bool keep_actions = false;  // fill PlanningReport::actions
  int batch_customers = 5000;
  // Read each batch's invoices in two halves at once, on a second
  // connection of the pool, when the pool has room for it (a run that
  // stores then holds three: the reads' two and the one storing).
  bool split_reads = true;
};

class PlanningService {
 public:
  explicit PlanningService(services::Context ctx) : ctx_(ctx) {}

  // Every action due at `at` for the organization.
  Result<PlanningReport> Plan(const std::string& org_id, Timestamp at,
                              const PlanningOptions& options = {}) const;

 private:
  services::Context ctx_;
};

}  // namespace relance::dunning
