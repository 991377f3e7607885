// Chapter 04's text loaders, as charlm and gpt call them: load_text_file(FILE) for --text FILE (read,
// cleaned, cut into paragraphs or lines, split), and load_fortunes(DIR), here on a directory that
// holds the input as its one fortune file (entries between lines holding only "%").
#include <filesystem>

#include "04-rnn/text.hpp"
#include "tests/fuzz/targets.hpp"

namespace dlfs::fuzz {

bool fuzz_text(Bytes bytes) {
  const std::string path = write_file("input.txt", bytes);
  const bool as_text = loads(path, [&] { load_text_file(path); });

  const std::string dir = scratch_dir() + "/fortunes";
  std::filesystem::create_directories(dir);
  write_file("fortunes/input", bytes);
  const bool as_fortunes = loads(dir, [&] { load_fortunes(dir); });
  return as_text || as_fortunes;
}

void seed_text(const std::string& dir) {
  // A fortune file: entries between "%" lines, one with a poem's blank line, UTF-8 beyond ASCII,
  // Windows line ends, a backspace overstrike (how old files underline), a repeated entry.
  write_bytes(dir + "/fortunes",
              "A journey of a thousand miles begins with a single step.\n\t\t-- Lao Tzu\n%\n"
              "Roses are red,\n\nviolets are blue.\n%\n"
              "Caf\xC3\xA9 au lait, s'il vous pla\xC3\xAEt. \xE2\x80\x94 \xE2\x9C\x93\r\n%\r\n"
              "_\bu_\bn_\bd_\be_\br_\bl_\bi_\bn_\be_\bd\n%\n"
              "A journey of a thousand miles begins with a single step.\n\t\t-- Lao Tzu\n%\n");
  // A plain text of twelve paragraphs (at least ten: every tenth goes to validation).
  std::string paragraphs;
  for (int i = 1; i <= 12; ++i) paragraphs += "Paragraph " + std::to_string(i) + " has a line,\nand another.\n\n";
  write_bytes(dir + "/paragraphs.txt", paragraphs);
  // Latin-1 bytes where UTF-8 was expected, and mojibake (UTF-8 read as Latin-1 and encoded again).
  write_bytes(dir + "/latin1.txt", "caf\xE9\nna\xEFve\nd\xE9j\xE0 vu\n1\n2\n3\n4\n5\n6\n7\n8\n");
  write_bytes(dir + "/mojibake.txt", "caf\xC3\x83\xC2\xA9 1\ncaf\xC3\x83\xC2\xA9 2\nx\ny\nz\nw\nv\nu\nt\ns\nr\n");
}

}  // namespace dlfs::fuzz
