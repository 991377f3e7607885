#include "04-rnn/utf8.hpp"

#include <cstdint>
#include <stdexcept>

namespace dlfs {

std::size_t utf8_sequence(const unsigned char* b, std::size_t size, char32_t& code_point) {
  if (size == 0) return 0;
  const unsigned char lead = b[0];
  if (lead < 0x80) {
    code_point = lead;
    return 1;
  }
  // The length from the lead byte, and the range the second byte must fall in. The ranges rule out
  // overlong spellings (E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and values past U+10FFFF
  // (F4 90..BF); C0, C1 and F5..FF never lead (RFC 3629, table 3-7 of the Unicode standard).
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;  // a continuation byte with no lead, or a byte that never appears in UTF-8
  }
  if (size < length || b[1] < low || b[1] > high) return 0;
  char32_t c = lead & (0xFF >> (length + 1));  // the lead's payload bits
  c = (c << 6) | (b[1] & 0x3F);
  for (std::size_t k = 2; k < length; ++k) {
    if ((b[k] & 0xC0) != 0x80) return 0;
    c = (c << 6) | (b[k] & 0x3F);
  }
  code_point = c;
  return length;
}

Utf8Text decode_utf8(std::string_view bytes) {
  Utf8Text out;
  out.text.reserve(bytes.size());
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  for (std::size_t i = 0; i < bytes.size();) {
    char32_t c = 0;
    const std::size_t length = utf8_sequence(b + i, bytes.size() - i, c);
    if (length == 0) {
      ++out.invalid_bytes;  // dropped
      ++i;
    } else {
      out.text.push_back(c);
      i += length;
    }
  }
  return out;
}

void append_utf8(std::string& out, char32_t c) {
  if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    throw std::invalid_argument("append_utf8: " + std::to_string(std::uint32_t(c)) + " is not a Unicode scalar value");
  if (c < 0x80) {
    out.push_back(char(c));
  } else if (c < 0x800) {
    out.push_back(char(0xC0 | (c >> 6)));
    out.push_back(char(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(char(0xE0 | (c >> 12)));
    out.push_back(char(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(char(0x80 | (c & 0x3F)));
  } else {
    out.push_back(char(0xF0 | (c >> 18)));
    out.push_back(char(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(char(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(char(0x80 | (c & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) append_utf8(out, c);
  return out;
}

}  // namespace dlfs
