// XLSB reader: the binary (BIFF12) parts of an Excel Binary Workbook inside
// its ZIP package: workbook.bin (sheets, 1904 flag), styles.bin (number
// formats of cell styles), sharedStrings.bin, and the chosen sheet's records
// streamed one row at a time (BrtRowHdr, BrtCell*, BrtFmla* cached results).
// Record layouts from [MS-XLSB].
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "imports/readers/byte_source.h"
#include "imports/readers/row_reader.h"
#include "imports/readers/zip_archive.h"

namespace relance::imports {

Result<std::unique_ptr<RowReader>> OpenXlsbReader(std::unique_ptr<ByteSource> source,
                                                  std::unique_ptr<ZipArchive> zip,
                                                  const std::string& workbook_part,
                                                  const ReaderOptions& options, std::string note);

}  // namespace relance::imports
