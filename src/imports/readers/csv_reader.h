// CSV reading (R-IMP-2): encoding and separator detection, then a streaming
// RFC 4180 parser.
//
// Dialect: fields separated by one of ';' ',' '|' or tab (detected), records
// ended by LF, CRLF or a lone CR (mixed in one file is fine), fields
// optionally quoted with '"' (separators and line breaks inside quotes are
// data, "" is a quote). A quote inside an unquoted field is an ordinary
// character. A quoted field followed by other text ("pedro "pdet" holanda")
// is read leniently (outer quotes dropped) and the row is flagged.
//
// Row-level problems (reported with the record's first line, reading goes on):
// a record whose number of fields differs from the header's; an invalid byte
// sequence. Fatal errors: a quote never closed, a record longer than
// limits.max_record_bytes, more than limits.max_columns fields.
#pragma once

#include <memory>
#include <string_view>

#include "core/result.h"
#include "imports/readers/byte_source.h"
#include "imports/readers/row_reader.h"
#include "imports/readers/text_decoder.h"

namespace relance::imports {

struct CsvDialect {
  EncodingGuess encoding;
  char separator = ',';
};

// Looks at the first 64 KiB of `source`. Refuses content that is not text.
Result<CsvDialect> SniffCsv(ByteSource* source);

// The separator among ';' ',' '|' '\t' that splits the most records of
// `sample` (UTF-8) into the same number of fields (quotes respected). `whole`:
// the sample is the entire file (its last record is complete). ',' when no
// candidate gives two fields or more.
char DetectSeparator(std::string_view sample, bool whole);

Result<std::unique_ptr<RowReader>> OpenCsvReader(std::unique_ptr<ByteSource> source,
                                                 const ReaderOptions& options,
                                                 std::string note = {});

}  // namespace relance::imports
