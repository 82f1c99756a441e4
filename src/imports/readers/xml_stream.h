// XmlStream: a hardened, resumable expat parser over a zip part.
//
// Hardening: any document type declaration (DOCTYPE) stops the parse with an
// error, so no entity can be declared, expanded (billion laughs) or fetched
// (external entities); spreadsheet parts never carry one. Input size is
// bounded by the ZipEntryReader's limits.
//
// Names are namespace-resolved: handlers get the local name (namespace
// prefixes vary between writers: "x:c", "c", strict vs transitional).
// A handler may Suspend() the parse (e.g. at the end of a row) and Run()
// resumes it; Fail() stops it with an error. Not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "imports/readers/zip_archive.h"

namespace relance::imports {

// Attributes as given by expat: name/value pairs, namespace-qualified names
// are "uri\x01local".
struct XmlAttrs {
  const char** raw;
  // Value of the attribute with this local name (any namespace), or nullopt.
  std::optional<std::string_view> Get(std::string_view local) const;
  // Value of the attribute with this local name in a namespace whose URI
  // contains `uri_part` (e.g. "relationships" for r:id).
  std::optional<std::string_view> GetNs(std::string_view local, std::string_view uri_part) const;
};

class XmlStream {
 public:
  struct Handlers {
    std::function<void(std::string_view local, const XmlAttrs& attrs)> start;
    std::function<void(std::string_view local)> end;
    std::function<void(std::string_view text)> text;  // character data, in pieces
  };

  XmlStream(std::unique_ptr<ZipEntryReader> input, Handlers handlers);
  ~XmlStream();
  XmlStream(const XmlStream&) = delete;
  XmlStream& operator=(const XmlStream&) = delete;

  // Parses until a handler suspends (returns true) or the document ends
  // (returns false).
  Result<bool> Run();
  void Suspend();
  void Fail(Error error);

 private:
  static void OnStart(void* self, const char* name, const char** attrs);
  static void OnEnd(void* self, const char* name);
  static void OnText(void* self, const char* s, int len);
  static void OnDoctype(void* self, const char*, const char*, const char*, int);

  std::unique_ptr<ZipEntryReader> input_;
  Handlers handlers_;
  void* parser_;  // XML_Parser
  bool suspended_ = false;
  bool finished_ = false;
  std::optional<Error> error_;
};

// Parses a whole (small) part with the same hardening.
Result<void> ParseXmlPart(ZipArchive& zip, std::string_view part, XmlStream::Handlers handlers);

}  // namespace relance::imports
