// R-IMP-14: the template files a user downloads to prepare an import: one
// column per field, headed by its French label (which the importer maps by
// itself), and a few example rows showing a group and its subsidiary, a
// customer with several contacts and the main-contact flag.
#pragma once

#include <string>

#include "core/result.h"

namespace relance::imports {

// UTF-8 with BOM, ';' separators, CRLF: what French spreadsheet software
// opens as it is.
std::string CustomerTemplateCsv();
// A workbook with the same sheet ("Clients") and a second sheet explaining
// each column ("Aide").
Result<std::string> CustomerTemplateXlsx();

}  // namespace relance::imports
