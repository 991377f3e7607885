#include "04-rnn/text.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <unordered_set>

#include "04-rnn/utf8.hpp"
#include "common/atomic_file.hpp"

namespace dlfs {

namespace {

namespace fs = std::filesystem;

// The lines of text without their '\n' (a final line without one counts too).
std::vector<std::u32string_view> lines_of(std::u32string_view text) {
  std::vector<std::u32string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find(U'\n', start), text.size());
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Lines [first, last) as one entry, without empty lines at either end; "" if nothing is left.
std::u32string join_trimmed(const std::vector<std::u32string_view>& lines, std::size_t first, std::size_t last) {
  while (first < last && lines[first].empty()) ++first;
  while (last > first && lines[last - 1].empty()) --last;
  std::u32string entry;
  for (std::size_t i = first; i < last; ++i) (entry += lines[i]) += U'\n';
  return entry;
}

}  // namespace

std::vector<std::u32string> split_fortune_entries(std::u32string_view text) {
  const std::vector<std::u32string_view> lines = lines_of(text);
  std::vector<std::u32string> entries;
  std::size_t first = 0;
  for (std::size_t i = 0; i <= lines.size(); ++i) {
    if (i < lines.size() && lines[i] != U"%") continue;
    std::u32string entry = join_trimmed(lines, first, i);
    if (!entry.empty()) entries.push_back(std::move(entry));
    first = i + 1;
  }
  return entries;
}

std::vector<std::u32string> split_paragraphs(std::u32string_view text) {
  const std::vector<std::u32string_view> lines = lines_of(text);
  std::vector<std::u32string> paragraphs;
  std::size_t first = 0;
  for (std::size_t i = 0; i <= lines.size(); ++i) {
    if (i < lines.size() && !lines[i].empty()) continue;
    std::u32string paragraph = join_trimmed(lines, first, i);
    if (!paragraph.empty()) paragraphs.push_back(std::move(paragraph));
    first = i + 1;
  }
  return paragraphs;
}

std::vector<std::u32string> split_lines(std::u32string_view text) {
  std::vector<std::u32string> out;
  for (std::u32string_view line : lines_of(text))
    if (!line.empty()) out.push_back(std::u32string(line) + U'\n');
  return out;
}

TextSplit split_every_tenth(const std::vector<std::u32string>& entries, std::u32string_view separator) {
  TextSplit split;
  std::unordered_set<std::u32string> seen;
  std::size_t kept = 0;
  for (const std::u32string& entry : entries) {
    if (entry.empty()) continue;
    if (!seen.insert(entry).second) {
      ++split.duplicates;
      continue;
    }
    const bool to_validation = kept++ % 10 == 9;
    std::u32string& side = to_validation ? split.validation : split.train;
    (side += entry) += separator;
    ++(to_validation ? split.validation_entries : split.train_entries);
  }
  return split;
}

TextCorpus load_fortunes(const std::string& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error))
    throw std::runtime_error(dir + ": no such directory: install Debian's fortunes package (./dlfs setup, or "
                             "apt-get install fortunes), or train on a file of your own with --text FILE");
  // Regular files only (the .u8 names are symlinks), in name order so the split never changes.
  std::set<fs::path> paths;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    const std::string extension = e.path().extension().string();
    if (e.is_symlink() || !e.is_regular_file() || extension == ".dat" || extension == ".u8") continue;
    paths.insert(e.path());
  }
  TextCorpus corpus;
  std::set<std::string> contents;  // the bytes of every file read, to skip one that repeats another
  std::vector<std::u32string> entries;
  for (const fs::path& path : paths) {
    const std::string raw = read_text_file(path.string());
    if (!contents.insert(raw).second) continue;
    ++corpus.files;
    const std::vector<std::u32string> file_entries = split_fortune_entries(clean_text(raw, &corpus.cleaning));
    entries.insert(entries.end(), file_entries.begin(), file_entries.end());
  }
  if (entries.empty())
    throw std::runtime_error(dir + ": holds no fortune files (plain files of entries separated by '%' lines)");
  static_cast<TextSplit&>(corpus) = split_every_tenth(entries, U"%\n");
  corpus.source = std::to_string(corpus.files) + " files in " + dir;
  corpus.start = U"%\n";
  return corpus;
}

std::string read_text_file(const std::string& path) {
  std::error_code error;
  if (fs::is_directory(path, error)) throw std::runtime_error(path + ": is a directory, not a text file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read it (" + std::strerror(errno) + ")");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(path + ": reading failed (" + std::strerror(errno) + ")");
  if (bytes.empty()) throw std::runtime_error(path + ": is empty");
  const std::size_t nul = bytes.find('\0');
  if (nul != std::string::npos)
    throw std::runtime_error(path + ": looks binary (a NUL byte at offset " + std::to_string(nul) +
                             "), not plain text");
  return bytes;
}

TextCorpus load_text_file(const std::string& path) {
  const std::string raw = read_text_file(path);
  TextCorpus corpus;
  const std::u32string text = clean_text(raw, &corpus.cleaning);
  // A few bytes of another encoding are dropped and reported; a file that is mostly not UTF-8 is
  // another encoding (Latin-1, UTF-16) or binary data, and training on what is left would mislead.
  if (corpus.cleaning.invalid_bytes * 20 > raw.size())
    throw std::runtime_error(path + ": " + std::to_string(corpus.cleaning.invalid_bytes) + " of its " +
                             std::to_string(raw.size()) +
                             " bytes are not UTF-8: binary data, or text in another encoding (convert it, e.g. "
                             "iconv -f latin1 -t utf-8)");
  std::vector<std::u32string> entries = split_paragraphs(text);
  const bool by_lines = entries.size() < 10;
  if (by_lines) entries = split_lines(text);
  // Paragraphs are kept apart by one blank line (each already ends with '\n'); lines by nothing more.
  const std::u32string separator = by_lines ? U"" : U"\n";
  const std::u32string start = by_lines ? U"\n" : U"\n\n";
  const std::string unit = by_lines ? "lines" : "paragraphs";
  if (entries.empty()) throw std::runtime_error(path + ": holds no text after cleaning");
  static_cast<TextSplit&>(corpus) = split_every_tenth(entries, separator);
  if (corpus.validation_entries == 0)
    throw std::runtime_error(path + ": too short to split: " + std::to_string(corpus.train_entries) +
                             " distinct " + unit + ", and every tenth goes to validation, so it needs at least 10");
  corpus.files = 1;
  corpus.source = path;
  corpus.start = start;
  return corpus;
}

void write_split(const std::string& dir, const TextSplit& split) {
  for (const auto& [name, text] : {std::pair{"train.txt", &split.train}, std::pair{"validation.txt", &split.validation}})
    write_file_atomically(dir + "/" + name, {encode_utf8(*text)});
}

}  // namespace dlfs
