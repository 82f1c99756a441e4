#include "imports/readers/ooxml_package.h"

#include "imports/readers/xml_stream.h"

namespace relance::imports {

std::string RelsPartFor(std::string_view part) {
  std::string p = NormalizePartName(part);
  size_t slash = p.rfind('/');
  if (slash == std::string::npos) return "_rels/" + p + ".rels";
  return p.substr(0, slash) + "/_rels/" + p.substr(slash + 1) + ".rels";
}

std::string ResolvePartTarget(std::string_view source_part, std::string_view target) {
  std::string t = NormalizePartName(target);
  std::vector<std::string> segs;
  bool absolute = !target.empty() && (target[0] == '/' || target[0] == '\\');
  if (!absolute) {
    std::string src = NormalizePartName(source_part);
    size_t slash = src.rfind('/');
    std::string dir = slash == std::string::npos ? "" : src.substr(0, slash);
    size_t start = 0;
    while (start < dir.size()) {
      size_t e = dir.find('/', start);
      if (e == std::string::npos) e = dir.size();
      if (e > start) segs.push_back(dir.substr(start, e - start));
      start = e + 1;
    }
  }
  size_t start = 0;
  while (start <= t.size()) {
    size_t e = t.find('/', start);
    if (e == std::string::npos) e = t.size();
    std::string seg = t.substr(start, e - start);
    if (seg == "..") {
      if (!segs.empty()) segs.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segs.push_back(seg);
    }
    start = e + 1;
  }
  std::string out;
  for (const auto& s : segs) {
    if (!out.empty()) out += '/';
    out += s;
  }
  return out;
}

Result<std::vector<Relationship>> ReadRelationships(ZipArchive& zip, std::string_view source_part) {
  std::vector<Relationship> rels;
  std::string rels_part = source_part.empty() ? "_rels/.rels" : RelsPartFor(source_part);
  if (!zip.Has(rels_part)) return rels;
  XmlStream::Handlers h;
  h.start = [&](std::string_view local, const XmlAttrs& attrs) {
    if (local != "Relationship") return;
    Relationship r;
    r.id = std::string(attrs.Get("Id").value_or(""));
    std::string_view type = attrs.Get("Type").value_or("");
    size_t slash = type.rfind('/');
    r.type = std::string(slash == std::string_view::npos ? type : type.substr(slash + 1));
    if (attrs.Get("TargetMode").value_or("") != "External") {
      r.target = ResolvePartTarget(source_part, attrs.Get("Target").value_or(""));
    }
    if (rels.size() < 100000) rels.push_back(std::move(r));
  };
  RETURN_IF_ERROR(ParseXmlPart(zip, rels_part, std::move(h)));
  return rels;
}

Result<std::string> FindWorkbookPart(ZipArchive& zip) {
  ASSIGN_OR_RETURN(auto rels, ReadRelationships(zip, ""));
  for (const auto& r : rels) {
    if (r.type == "officeDocument" && zip.Has(r.target)) return r.target;
  }
  for (std::string_view name :
       {"xl/workbook.xml", "xl/workbook.bin", "workbook.xml", "workbook.bin"}) {
    if (zip.Has(name)) return std::string(name);
  }
  return std::string();
}

}  // namespace relance::imports
