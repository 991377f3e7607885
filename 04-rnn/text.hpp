// The text a character model learns from: read, cleaned (text_cleaning.hpp), cut into entries,
// and split into training and validation text.
//
// Two sources:
//   load_fortunes(dir)    Debian's `fortunes` package: every plain file in /usr/share/games/fortunes
//                         holds entries (quotations, jokes, poems) separated by lines holding only
//                         "%". The .dat files are indexes for the `fortune` program and the .u8 names
//                         are symlinks to the plain files; both are skipped, as is any file whose
//                         bytes repeat an earlier one's.
//   load_text_file(path)  any plain UTF-8 text (`charlm --text FILE`): its entries are paragraphs
//                         (blocks between blank lines), or its lines when it has fewer than ten
//                         paragraphs.
//
// The split is by entry: duplicates are dropped (the first copy is kept, wherever it was), and
// then every tenth entry (the 10th, 20th, ...) goes to validation. A whole entry lands on one side,
// so validation never holds the second half of a quotation whose first half was trained on, and
// no quotation that appears twice can be trained on and validated against at the same time.
// Entries are joined back into one string per side, each followed by a separator ("%\n" for
// fortunes, as in the files, so a model learns where an entry ends).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "04-rnn/text_cleaning.hpp"

namespace dlfs {

inline constexpr const char* kDefaultFortunesDir = "/usr/share/games/fortunes";

// Entries split into training and validation text.
struct TextSplit {
  std::u32string train;       // the training entries, each followed by the separator
  std::u32string validation;  // every tenth entry, likewise
  std::size_t train_entries = 0, validation_entries = 0;
  std::size_t duplicates = 0;  // entries dropped as exact repeats of an earlier one
};

// A loaded corpus: the split, where it came from, what cleaning did.
struct TextCorpus : TextSplit {
  std::string source;          // "48 files in /usr/share/games/fortunes", or the file's path
  std::size_t files = 0;       // files read
  CleaningCounts cleaning;     // summed over the files
  std::u32string start;        // what the text holds just before an entry starts ("%\n" for
                               // fortunes): the default prompt for sampling a new entry
};

// Entries of a fortune file: the text between lines that hold only "%", with blank lines at an
// entry's start and end removed. Each entry ends with '\n'; empty entries are left out.
std::vector<std::u32string> split_fortune_entries(std::u32string_view text);
// Paragraphs: maximal runs of non-empty lines, each ending with '\n'.
std::vector<std::u32string> split_paragraphs(std::u32string_view text);
// Non-empty lines, each ending with '\n'.
std::vector<std::u32string> split_lines(std::u32string_view text);

// Drops exact duplicates (keeping the first), then sends entry k (0-based) to validation when
// k % 10 == 9 and the rest to training, each entry followed by `separator`.
TextSplit split_every_tenth(const std::vector<std::u32string>& entries, std::u32string_view separator);

// Every entry of every fortune file in dir, cleaned and split. Throws std::runtime_error naming dir
// when it is missing or holds no fortune files.
TextCorpus load_fortunes(const std::string& dir = kDefaultFortunesDir);

// A plain-text file's bytes. Throws std::runtime_error starting with the path when the file cannot
// be read, is a directory, is empty, or holds a NUL byte (binary data, not text).
std::string read_text_file(const std::string& path);

// read_text_file, cleaned and split by paragraphs (or lines). Also throws, naming the file, when
// more than 5% of its bytes are not UTF-8 (another encoding, or binary data), when nothing is left
// after cleaning, or when it has fewer than ten entries (so no tenth for validation).
TextCorpus load_text_file(const std::string& path);

// The cleaned split as two UTF-8 files, dir/train.txt and dir/validation.txt (dir is created): what
// bench/run hands to the PyTorch peers, so both sides learn from the same characters. Throws
// std::runtime_error naming a file that cannot be written.
void write_split(const std::string& dir, const TextSplit& split);

}  // namespace dlfs
