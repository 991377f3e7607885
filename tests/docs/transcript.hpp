// Checked transcripts: the commands a README shows together with their output, run again and
// compared with what the README says they print.
//
// The convention (in Markdown, visible to every reader of the source):
//
//   <!-- transcript -->
//   ```
//   $ build/02-mlp/mlp --threads 1 --limit 5000 --epochs 3
//   ...
//   epoch 3: train_loss 0.3781 train_accuracy 0.8712 test_loss 0.5010 test_accuracy 0.8196 (0.23s)
//   ...
//   result: model=mlp hidden=256,128 ... test_accuracy=0.8196 ...
//   ```
//
// - A fenced block right after `<!-- transcript -->` is checked: every line starting with "$ "
//   is a command (a trailing "\" continues it on the next line), and the lines up to the next
//   command are its output, stdout and stderr together, as a terminal shows them.
// - A line that is just "..." stands for any number of output lines (none included); "..." as a
//   word inside a line stands for any text.
// - Timings, rates and sizes are never compared: a number directly followed by "s" (0.32s),
//   a number followed by a rate (105980 samples/s) or a size (162 MB), and the value of a key
//   that names seconds or megabytes (seconds=18.3, seconds_per_epoch=1.169, peak_rss_mb=161.9).
// - A run too long to check is marked `<!-- transcript: measured YYYY-MM-DD on <machine>, ... -->`:
//   counted and reported, never run. The date is required.
// - A fenced block whose first line starts with "$ " and has no marker is an error: every
//   transcript is either checked or says when and where it was measured.
//
// The commands of one README run in order in one scratch directory (later commands may use the
// files earlier ones wrote), which holds a link to the build directory named `build` and a link
// to every top-level entry of the repository, so a command reads exactly as a learner types it
// from the repository's root. A program that prints the repository's absolute path (chapter 01
// names its data file) is compared as if the repository were /work/main, where the READMEs were
// recorded.
#pragma once

#include <string>
#include <vector>

namespace dlfs::docs {

struct Command {
  std::string text;                    // the shell command, continuation lines joined
  std::vector<std::string> expected;   // the output lines the README shows
  std::size_t line = 0;                // 1-based line of the command in the README
};

struct Transcript {
  std::size_t line = 0;       // 1-based line of the marker
  bool measured = false;      // marked too long to check: reported, never run
  std::string note;           // the marker's text after "measured"
  std::vector<Command> commands;
};

// Every marked transcript of a Markdown text. Throws std::runtime_error naming `path` and the
// line for a marker without a code block after it, a measured marker without a date, a checked
// transcript without a command, and an unmarked block that starts with "$ ".
std::vector<Transcript> parse_transcripts(const std::string& markdown, const std::string& path);

// Replaces what varies from run to run (timings, rates, sizes; see above) by placeholders.
std::string mask_varying(const std::string& line);

// Whether the actual output lines match the expected ones ("..." lines and words as wildcards,
// varying fields masked on both sides, trailing spaces ignored).
bool output_matches(const std::vector<std::string>& expected, const std::vector<std::string>& actual);

}  // namespace dlfs::docs
