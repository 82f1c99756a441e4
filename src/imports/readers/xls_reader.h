// XLS reader: BIFF8 (Excel 97-2003) and BIFF5/7 (Excel 5/95) workbooks in
// a compound file. The globals substream gives the sheets, the 1904 flag,
// the formats of cell styles and the shared-string table (SST, split over
// CONTINUE records); the chosen sheet's substream is then read record by
// record, one row at a time (LABELSST, LABEL, RSTRING, RK, MULRK, NUMBER,
// BOOLERR, FORMULA with its cached result and STRING).
//
// Written here rather than on FreeXL: FreeXL 1.0.6 does not return booleans
// nor formula results, cannot open BIFF5 files nor a "WORKBOOK" stream, and
// shows [h]:mm:ss durations as times of day (all in the third-party corpus).
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "imports/readers/byte_source.h"
#include "imports/readers/compound_file.h"
#include "imports/readers/row_reader.h"

namespace relance::imports {

Result<std::unique_ptr<RowReader>> OpenXlsReader(std::unique_ptr<ByteSource> source,
                                                 std::unique_ptr<CompoundFile> cfb,
                                                 size_t workbook_entry,
                                                 const ReaderOptions& options, std::string note);

}  // namespace relance::imports
