// The transfer encodings an e-mail needs (RFC 2045, RFC 2047, RFC 2231),
// as pure functions over bytes. Output lines end in CRLF.
#pragma once

#include <string>
#include <string_view>

namespace relance::delivery {

// Base64 in lines of at most 76 characters, each ending in CRLF.
std::string Base64Lines(std::string_view bytes);
// Base64 on one line, no line breaks.
std::string Base64(std::string_view bytes);

// Quoted-printable (RFC 2045 §6.7) of UTF-8 text. Line breaks of the input
// (LF, CRLF or CR) become hard CRLF breaks; longer lines get soft breaks so
// no encoded line exceeds 76 characters; trailing spaces are encoded; a
// leading "." stays as is (libcurl dot-stuffs the SMTP DATA stream).
std::string QuotedPrintable(std::string_view text);

bool IsAscii(std::string_view text);

// A header value of free text (Subject): unchanged when it is printable
// ASCII, else RFC 2047 "=?utf-8?B?...?=" words that never split a UTF-8
// character, folded with CRLF + space so each header line stays under 78
// characters. `header_name_length` is the length of "Subject: ".
// CR and LF in the input become spaces (no header injection).
std::string EncodeHeaderText(std::string_view text, size_t header_name_length);

// A display name for From/To: as is when it is ASCII "atext" and spaces,
// a quoted-string when it is ASCII with specials, else encoded words.
std::string EncodeDisplayName(std::string_view name);

// RFC 2231 parameter value "utf-8''%C3%A9t%C3%A9.pdf" for a non-ASCII
// file name; callers put it after "filename*=".
std::string Rfc2231Value(std::string_view value);

}  // namespace relance::delivery
