#include "04-rnn/text_cleaning.hpp"

#include "04-rnn/utf8.hpp"

namespace dlfs {

CleaningCounts& CleaningCounts::operator+=(const CleaningCounts& other) {
  invalid_bytes += other.invalid_bytes;
  mojibake_repairs += other.mojibake_repairs;
  overstruck += other.overstruck;
  control_dropped += other.control_dropped;
  return *this;
}

namespace {

// One pass: inside each run of characters <= U+00FF that are not ASCII, every stretch that spells
// a valid multi-byte UTF-8 sequence (read as bytes) becomes the character it spells.
std::u32string repair_once(std::u32string_view text, std::size_t& repaired) {
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    // The run text[i, end) of characters in U+0080..U+00FF, as the bytes they would be in Latin-1.
    std::size_t end = i;
    std::basic_string<unsigned char> bytes;
    while (end < text.size() && text[end] >= 0x80 && text[end] <= 0xFF) bytes.push_back((unsigned char)(text[end++]));
    if (end == i) {
      out.push_back(text[i++]);
      continue;
    }
    for (std::size_t k = 0; k < bytes.size();) {
      char32_t c = 0;
      const std::size_t length = utf8_sequence(bytes.data() + k, bytes.size() - k, c);
      if (length >= 2) {  // (a byte >= 0x80 never spells a 1-byte sequence)
        out.push_back(c);
        ++repaired;
        k += length;
      } else {
        out.push_back(char32_t(bytes[k++]));  // not part of a sequence: the character stays
      }
    }
    i = end;
  }
  return out;
}

}  // namespace

std::u32string repair_mojibake(std::u32string_view text, std::size_t* repaired) {
  std::size_t count = 0, before = 0;
  std::u32string out(text);
  do {  // twice-encoded text needs two passes; each pass shortens the text, so this ends
    before = count;
    out = repair_once(out, count);
  } while (count != before);
  if (repaired) *repaired += count;
  return out;
}

std::u32string apply_backspaces(std::u32string_view text, std::size_t* overstruck) {
  std::u32string out, line;  // line: the current line's columns
  std::size_t column = 0, count = 0;
  auto flush = [&] {
    out += line;
    line.clear();
    column = 0;
  };
  for (char32_t c : text) {
    if (c == U'\b') {
      if (column > 0) --column;
    } else if (c == U'\n') {
      flush();
      out.push_back(c);
    } else {
      if (column < line.size()) {
        line[column] = c;  // printed over: the later character is the one that shows
        ++count;
      } else {
        line.push_back(c);
      }
      ++column;
    }
  }
  flush();
  if (overstruck) *overstruck += count;
  return out;
}

std::u32string drop_control_characters(std::u32string_view text, std::size_t* dropped) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t count = 0;
  for (char32_t c : text) {
    const bool control = (c < 0x20 && c != U'\n' && c != U'\t') || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0xFEFF;
    if (control) ++count;
    else out.push_back(c);
  }
  if (dropped) *dropped += count;
  return out;
}

std::u32string strip_trailing_blanks(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t line_start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != U'\n') continue;
    std::size_t end = i;
    while (end > line_start && (text[end - 1] == U' ' || text[end - 1] == U'\t')) --end;
    out.append(text.substr(line_start, end - line_start));
    if (i < text.size()) out.push_back(U'\n');
    line_start = i + 1;
  }
  return out;
}

std::u32string clean_text(std::string_view raw, CleaningCounts* counts) {
  CleaningCounts c;
  Utf8Text decoded = decode_utf8(raw);
  c.invalid_bytes = decoded.invalid_bytes;
  std::u32string text = repair_mojibake(decoded.text, &c.mojibake_repairs);
  text = apply_backspaces(text, &c.overstruck);
  text = drop_control_characters(text, &c.control_dropped);
  text = strip_trailing_blanks(text);
  if (counts) *counts += c;
  return text;
}

}  // namespace dlfs
