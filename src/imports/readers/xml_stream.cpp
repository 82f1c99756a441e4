#include "imports/readers/xml_stream.h"

#include <expat.h>

#include <cstring>

namespace relance::imports {
namespace {

constexpr char kNsSep = '\x01';
constexpr int kChunk = 256 * 1024;

std::string_view Local(const char* name) {
  const char* sep = std::strrchr(name, kNsSep);
  return sep ? std::string_view(sep + 1) : std::string_view(name);
}

}  // namespace

std::optional<std::string_view> XmlAttrs::Get(std::string_view local) const {
  for (const char** a = raw; a && *a; a += 2) {
    if (Local(a[0]) == local) return std::string_view(a[1]);
  }
  return std::nullopt;
}

std::optional<std::string_view> XmlAttrs::GetNs(std::string_view local,
                                                std::string_view uri_part) const {
  for (const char** a = raw; a && *a; a += 2) {
    const char* sep = std::strrchr(a[0], kNsSep);
    if (sep == nullptr || std::string_view(sep + 1) != local) continue;
    std::string_view uri(a[0], static_cast<size_t>(sep - a[0]));
    if (uri.find(uri_part) != std::string_view::npos) return std::string_view(a[1]);
  }
  return std::nullopt;
}

XmlStream::XmlStream(std::unique_ptr<ZipEntryReader> input, Handlers handlers)
    : input_(std::move(input)), handlers_(std::move(handlers)) {
  XML_Parser p = XML_ParserCreateNS(nullptr, kNsSep);
  parser_ = p;
  XML_SetUserData(p, this);
  XML_SetElementHandler(p, &XmlStream::OnStart, &XmlStream::OnEnd);
  if (handlers_.text) XML_SetCharacterDataHandler(p, &XmlStream::OnText);
  XML_SetStartDoctypeDeclHandler(p, &XmlStream::OnDoctype);
  // No external entity is ever loaded: no handler, and no parameter entities.
  XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
}

XmlStream::~XmlStream() { XML_ParserFree(static_cast<XML_Parser>(parser_)); }

void XmlStream::OnStart(void* self, const char* name, const char** attrs) {
  auto* s = static_cast<XmlStream*>(self);
  if (s->handlers_.start) s->handlers_.start(Local(name), XmlAttrs{attrs});
}

void XmlStream::OnEnd(void* self, const char* name) {
  auto* s = static_cast<XmlStream*>(self);
  if (s->handlers_.end) s->handlers_.end(Local(name));
}

void XmlStream::OnText(void* self, const char* text, int len) {
  auto* s = static_cast<XmlStream*>(self);
  s->handlers_.text(std::string_view(text, static_cast<size_t>(len)));
}

void XmlStream::OnDoctype(void* self, const char*, const char*, const char*, int) {
  auto* s = static_cast<XmlStream*>(self);
  s->Fail(InvalidArgument("part " + s->input_->name() +
                          " contains a document type declaration (DTD), which a spreadsheet "
                          "never needs (it can hide an entity-expansion attack); the file was "
                          "refused"));
}

void XmlStream::Suspend() {
  if (error_) return;
  suspended_ = true;
  XML_StopParser(static_cast<XML_Parser>(parser_), XML_TRUE);
}

void XmlStream::Fail(Error error) {
  if (error_) return;
  error_ = std::move(error);
  XML_StopParser(static_cast<XML_Parser>(parser_), XML_FALSE);
}

Result<bool> XmlStream::Run() {
  auto p = static_cast<XML_Parser>(parser_);
  if (error_) return *error_;
  if (finished_) return false;
  while (true) {
    XML_Status status;
    if (suspended_) {
      suspended_ = false;
      status = XML_ResumeParser(p);
    } else {
      void* buf = XML_GetBuffer(p, kChunk);
      if (buf == nullptr) return Error(ErrorCode::kResourceExhausted, "out of memory parsing XML");
      ASSIGN_OR_RETURN(size_t n, input_->Read(static_cast<char*>(buf), kChunk));
      status = XML_ParseBuffer(p, static_cast<int>(n), n == 0);
      if (n == 0 && status == XML_STATUS_OK) {
        finished_ = true;
        return false;
      }
    }
    if (error_) return *error_;
    if (status == XML_STATUS_SUSPENDED) return true;
    if (status == XML_STATUS_ERROR) {
      return InvalidArgument("the file is damaged: part " + input_->name() +
                             " is not well-formed XML (" + XML_ErrorString(XML_GetErrorCode(p)) +
                             " at line " + std::to_string(XML_GetCurrentLineNumber(p)) +
                             "); open it in Excel, save it again, and import the new file");
    }
    // XML_STATUS_OK: the buffer is consumed (or a resumed parse finished it).
    if (suspended_) return true;
    XML_ParsingStatus ps;
    XML_GetParsingStatus(p, &ps);
    if (ps.parsing == XML_FINISHED) {
      finished_ = true;
      return false;
    }
  }
}

Result<void> ParseXmlPart(ZipArchive& zip, std::string_view part, XmlStream::Handlers handlers) {
  ASSIGN_OR_RETURN(auto input, zip.OpenPart(part));
  XmlStream xml(std::move(input), std::move(handlers));
  while (true) {
    ASSIGN_OR_RETURN(bool suspended, xml.Run());
    if (!suspended) return Ok();
  }
}

}  // namespace relance::imports
