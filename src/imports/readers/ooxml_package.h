// Open Packaging Conventions pieces shared by XLSX and XLSB: relationships,
// part-name resolution, and finding the workbook part. Works with
// transitional and strict (purl.oclc.org) namespaces and any prefix.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "imports/readers/zip_archive.h"

namespace relance::imports {

struct Relationship {
  std::string id;
  std::string type;    // last segment of the type URI: "worksheet", "sharedStrings", ...
  std::string target;  // resolved, normalized part name (empty for external targets)
};

// "xl/workbook.xml" -> "xl/_rels/workbook.xml.rels".
std::string RelsPartFor(std::string_view part);
// Resolves `target` (relative to the folder of `source_part`, or absolute).
std::string ResolvePartTarget(std::string_view source_part, std::string_view target);

// The relationships of `source_part` ("" for the package root); empty when
// the .rels part is absent.
Result<std::vector<Relationship>> ReadRelationships(ZipArchive& zip, std::string_view source_part);

// The workbook part: the package's officeDocument relationship, else a
// well-known name. Empty when the package holds no workbook.
Result<std::string> FindWorkbookPart(ZipArchive& zip);

}  // namespace relance::imports
