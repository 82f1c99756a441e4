// XmlPullParser: a small, fast, pull-style XML tokenizer for the large parts
// of an XLSX package (worksheets, shared strings), where expat's callbacks
// and namespace processing cost most of the reading time.
//
// It reads the XML subset those parts use: elements with attributes,
// character data with the five predefined entities and character
// references, CDATA sections, comments and processing instructions (both
// skipped). It never builds a tree.
// Safety: any DOCTYPE stops the parse with an error (so no entity can be
// declared or expanded), an unknown entity is an error, and one tag or one
// piece of text is bounded by `max_token_bytes`. Tags must nest (a
// mismatched or missing end tag is an error).
//
// Names are local names ("x:c" -> "c"). Views returned by name(), text() and
// Attr() are valid until the next call to Next(). Not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "imports/readers/zip_archive.h"

namespace relance::imports {

class XmlPullParser {
 public:
  enum class Event { kStart, kEnd, kText, kDone, kError };

  XmlPullParser(std::unique_ptr<ZipEntryReader> input, size_t max_token_bytes);

  // The next event. A self-closing element gives kStart then kEnd. Text may
  // come in several kText pieces. kError: error() says what (events are the
  // hot path of the reader, hence no Result here).
  Event Next();
  const Error& error() const { return *error_; }

  std::string_view name() const { return name_; }
  // After kStart: the element was "<name ... />" (its kEnd comes next).
  bool self_closing() const { return pending_end_; }

  // Fast paths for the hot loop of the worksheet reader. Each consumes input
  // only when the whole construct is already buffered, unprefixed and needs
  // no decoding; otherwise it returns false and changes nothing, and the
  // caller goes on with Next().
  bool TryText(std::string_view name, std::string_view* text);  // <name>text</name>
  bool TryStart(std::string_view name);                         // <name>
  bool TryEnd(std::string_view name);  // </name>, closing the innermost element
  std::string_view text() const { return text_; }
  // The entity-decoded value of the start tag's attribute with this local
  // name.
  std::optional<std::string_view> Attr(std::string_view local);
  // The start tag's attributes in order: local name, and decoded value
  // (nullopt when the value holds an unknown entity).
  size_t attr_count() const { return attrs_.size(); }
  std::string_view attr_name(size_t i) const { return attrs_[i].name; }
  std::optional<std::string_view> attr_value(size_t i);

 private:
  struct RawAttr {
    std::string_view name;
    std::string_view value;
  };
  Event NextToken();
  int Fill();         // 1: read more, 0: nothing more to read, -1: error
  int Fail(Error e);  // records the error, returns -1
  Event FailEvent(Error e);
  Error Malformed(std::string_view what) const;
  int ParseTag(Event* event);  // 1: complete, 0: incomplete, -1: error
  bool Decode(std::string_view raw, std::string* out, bool attribute) const;

  std::unique_ptr<ZipEntryReader> input_;
  size_t max_token_;
  std::string buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool started_ = false;
  bool pending_end_ = false;
  std::string_view name_;
  std::string_view text_;
  std::string text_scratch_;
  std::vector<RawAttr> attrs_;
  std::vector<uint64_t> open_;  // hashes of the open elements' names
  std::optional<Error> error_;

  std::vector<std::string> attr_scratch_;
};

}  // namespace relance::imports
