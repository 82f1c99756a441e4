// The bulk import of customers and contacts (SPEC §2, R-IMP-1..13): reads a
// file through a column mapping and upserts its customers, groups and
// contacts into one organization.
//
// Two passes over the file, so memory holds keys, never the file:
//  1. validate: every row on its own (import_row.h), then across rows —
//     which customer a row names (external id, else name; R-IMP-5, R-IMP-11),
//     groups in any row order (R-IMP-7), the last main contact of each
//     customer (R-IMP-10), users and dunning plans named by the file;
//  2. write, in one transaction: customers and contacts created in bulk or
//     updated only when a value changes (a re-run of the same file changes
//     nothing), then the group links and main-contact flags.
// By default nothing is written unless every row is valid; with keep_valid
// the valid rows are written and the others reported (R-IMP-13). A rejected
// customer never leaves a half-written record: none of its rows are written.
//
// Thread-safe: each call is independent. The progress callback is called on
// the calling thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "imports/column_mapping.h"
#include "imports/readers/row_reader.h"
#include "services/context.h"
#include "store/import_queries.h"

namespace relance::imports {

struct ImportSettings {
  ColumnMapping mapping;  // built on the file's header (ProposeMapping / ApplyUserMapping)
  bool keep_valid = false;
  bool dry_run = false;  // run both passes, then roll back
  std::string sheet;     // spreadsheets: empty = first visible worksheet
  // When set and true, the import stops at the next batch of rows, writes
  // nothing and returns an error whose message is kImportStopped.
  const std::atomic<bool>* stop = nullptr;
};

enum class ImportPhase { kValidating, kWriting };
struct ImportProgress {
  ImportPhase phase = ImportPhase::kValidating;
  int64_t rows_done = 0;
  int64_t rows_total = 0;  // 0 while validating (not known yet)
};
using ProgressFn = std::function<void(const ImportProgress&)>;

struct ImportCounts {
  int64_t rows_total = 0;  // data rows (the header excluded)
  int64_t rows_rejected = 0;
  int64_t customers_created = 0;
  int64_t customers_updated = 0;
  int64_t contacts_created = 0;
  int64_t contacts_updated = 0;
  int64_t groups_linked = 0;
};

struct ImportOutcome {
  // False when rows were rejected and keep_valid was not set: nothing was
  // written. A dry run succeeds or fails the same way and writes nothing.
  bool succeeded = false;
  ImportCounts counts;
  // Every problem found (a row may have several), in line order; at most
  // kMaxRejectionsKept, `rejections_total` counts them all.
  std::vector<store::ImportRejection> rejections;
  int64_t rejections_total = 0;
  DetectedFormat format;
};
inline constexpr size_t kMaxRejectionsKept = 100'000;
// The message of the error an import stopped on request returns.
inline constexpr std::string_view kImportStopped = "the import was stopped before the end";

// Errors (the whole file is refused, nothing written): the file cannot be
// read or is not a table with a header (R-IMP-1..3, InvalidArgument with a
// message saying what to do), the header differs from the mapping's, the
// mapping is unusable, the principal may not write, the database fails.
Result<ImportOutcome> RunCustomerImport(services::Context ctx, const services::Principal& who,
                                        const std::string& path, const ImportSettings& settings,
                                        const ProgressFn& progress = {});

// What the user sees before confirming (R-IMP-4): the detected format, the
// header, the first rows and the proposed mapping.
struct ImportPreview {
  DetectedFormat format;
  std::vector<std::string> header;
  std::vector<OwnedRow> rows;  // data rows after the header
  ColumnMapping proposed;
};
Result<ImportPreview> PreviewImportFile(const std::string& path, const std::string& sheet,
                                        size_t max_rows = 10);

}  // namespace relance::imports
