// UTF-8 by hand: bytes <-> Unicode code points (characters).
//
// A character model needs to know where one character ends and the next begins, and a text file
// is bytes. UTF-8 (RFC 3629) spells a code point in 1 to 4 bytes, and the first byte says how many:
//
//   code points          bytes     bit pattern
//   U+0000..U+007F       1         0xxxxxxx                                   (ASCII, unchanged)
//   U+0080..U+07FF       2         110xxxxx 10xxxxxx
//   U+0800..U+FFFF       3         1110xxxx 10xxxxxx 10xxxxxx                 (not U+D800..U+DFFF)
//   U+10000..U+10FFFF    4         11110xxx 10xxxxxx 10xxxxxx 10xxxxxx
//
// Each code point has exactly one spelling: the shortest. A longer one ("overlong", e.g. C0 AF
// for '/'), a surrogate (U+D800..U+DFFF, which only UTF-16 uses), a value past U+10FFFF, a stray
// continuation byte (10xxxxxx with no lead) or a sequence cut short are all invalid.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dlfs {

// The decoding of a byte string: its characters, and how many bytes were invalid.
struct Utf8Text {
  std::u32string text;
  std::size_t invalid_bytes = 0;
};

// Decodes UTF-8. An invalid byte is DROPPED (not replaced by U+FFFD): the replacement character
// would become a vocabulary entry of its own that stands for nothing in the text. Decoding then
// resumes at the next byte, so a broken sequence costs only the bytes that cannot start a valid
// one. invalid_bytes counts what was dropped, so a caller can report it.
Utf8Text decode_utf8(std::string_view bytes);

// Appends the UTF-8 spelling of c (a code point up to U+10FFFF, not a surrogate).
void append_utf8(std::string& out, char32_t c);
std::string encode_utf8(std::u32string_view text);

// The length (1-4) of the valid UTF-8 sequence at the start of bytes[0, size) and its code point,
// or 0 when those bytes do not start one.
std::size_t utf8_sequence(const unsigned char* bytes, std::size_t size, char32_t& code_point);

}  // namespace dlfs
