// Cleaning raw text by hand, character by character, before a model sees it.
//
// Old text files carry typewriter and terminal habits that are not text. Debian's fortunes (the
// chapter's corpus, text.hpp) has all of these:
//
//   overstrikes   "_\bN" (underscore, backspace, N) printed an underlined N on a teletype, and
//                 "____\b\b\b\bonly" underlines a word; "e'\be" put an accent on an e. A backspace
//                 moves the print head one column left and the next character prints over the
//                 one there: we keep what is left on the paper's top layer, the LAST character
//                 written in each column ("N", "only", "e").
//   bells         ^G (BEL) beeped. Like every other control character it is dropped, except the
//                 newline and the tab, which are layout. A carriage return goes too, so a file
//                 with Windows line ends (\r\n) reads like one with \n.
//   mojibake      "donâ\u0080\u0099t": the UTF-8 bytes of ’ (E2 80 99) were once read as Latin-1,
//                 one character per byte, and written out again as UTF-8. Characters U+0080..U+009F
//                 are invisible C1 controls that no real text contains, so such a run is a sure
//                 sign; we take the run's characters back as the bytes they were and decode those
//                 (one fortune was encoded twice over: we repeat until nothing changes).
//   bad UTF-8     bytes that are not valid UTF-8 at all are dropped by decode_utf8 (utf8.hpp).
//
// Every function takes and returns Unicode characters (code points); clean_text runs the whole
// pipeline on raw bytes and counts what each rule did.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dlfs {

// What cleaning did, for the loader's report.
struct CleaningCounts {
  std::size_t invalid_bytes = 0;      // bytes that were not UTF-8, dropped
  std::size_t mojibake_repairs = 0;   // characters rebuilt from a Latin-1-read UTF-8 sequence
  std::size_t overstruck = 0;         // characters printed over by a later one (backspaces applied)
  std::size_t control_dropped = 0;    // control characters dropped (bells, stray backspaces, \r, ...)

  CleaningCounts& operator+=(const CleaningCounts& other);
};

// Runs of characters in U+0080..U+00FF that spell valid multi-byte UTF-8 when taken as bytes are
// replaced by the character they spell, until none is left ("Â£" -> "£", "â\u0080\u0099" -> "’").
// A lone Latin-1 letter ("é" in "café", "ü") never spells a sequence on its own and stays.
std::u32string repair_mojibake(std::u32string_view text, std::size_t* repaired = nullptr);

// Plays each line back as a printer would: a backspace moves one column left (never before the
// line's start), and a character written into a column replaces the one there. Every other
// character takes one column, a tab too (the rule needs columns only to line up overstrikes).
std::u32string apply_backspaces(std::u32string_view text, std::size_t* overstruck = nullptr);

// Drops every control character but '\n' and '\t': C0 (U+0000..U+001F), DEL (U+007F), C1
// (U+0080..U+009F), and the byte-order mark U+FEFF (an encoding marker, not text).
std::u32string drop_control_characters(std::u32string_view text, std::size_t* dropped = nullptr);

// Removes spaces and tabs at the end of every line (invisible, and only noise for a model).
std::u32string strip_trailing_blanks(std::u32string_view text);

// The whole pipeline on raw bytes: decode_utf8 (invalid bytes dropped), repair_mojibake,
// apply_backspaces, drop_control_characters, strip_trailing_blanks.
std::u32string clean_text(std::string_view raw, CleaningCounts* counts = nullptr);

}  // namespace dlfs
