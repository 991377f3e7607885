// Running an example program as a learner runs it, for the tests that check what it prints and
// writes: its exit status and output, its `result:` line, a run killed with SIGKILL (kill -9) in
// the middle, and its files compared byte for byte.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>

namespace dlfs::test {

struct Run {
  int status = -1;  // the exit status, or -1 when a signal ended the program
  std::string out, err;
};

// The whole file as bytes ("" when it cannot be read).
std::string slurp(const std::string& path);

// Runs `command` (shell syntax, e.g. "'/path/mlp' --epochs 1") with stdout and stderr captured in
// dir/out and dir/err, and returns its status and both texts.
Run run_program(const std::string& command, const std::string& dir);

// The key=value pairs of the last line of out, which must read "result: key=value ...\n".
std::map<std::string, std::string> result_line(const std::string& out);

// Starts `command` (shell syntax; its output goes where the command redirects it), waits until
// the file `until` exists, then kills the program with SIGKILL, the way a crash or an out-of-memory
// kill ends a run: no handler, no flush, no clean-up. Fails the test when the program ends by
// itself first, or after `timeout_seconds` without the file.
void kill_when_file_exists(const std::string& command, const std::string& until, double timeout_seconds = 120);

// "" when the two files hold the same bytes; else what differs ("a (N bytes) and b (M bytes)
// differ from byte K on"), for a failure message that stays readable for binary files:
// CHECK(file_difference(a, b) == "").
std::string file_difference(const std::string& a, const std::string& b);

// "" when two figures (SVG) are the same text with the same numbers, each within `tolerance`;
// else where they first differ.
std::string figure_difference(const std::string& a, const std::string& b, double tolerance);

// A metrics.csv without its columns of wall-clock time (those named "seconds"): what two runs with
// the same seed and the same thread count must write byte for byte.
std::string metrics_without_timings(const std::string& csv_path);

// The kill -9 test of an example that writes a checkpoint after every epoch. `command` is the
// example with its flags (shell syntax, ending in a space); it runs three times in `dir`: whole
// (--out dir/whole --save dir/whole.safetensors); with --checkpoint dir/c.safetensors, killed with
// SIGKILL once that file exists, which must be before the last of its `epochs`; given a file that
// is not a checkpoint to resume from, which it must refuse (exit status 1, naming the file) without
// touching the killed run's metrics.csv; and resumed from the checkpoint. Checks that the resumed run saves the whole run's model byte for byte and that
// its metrics.csv (timings aside) is the whole run's, row for row, and its curves.svg, if it draws
// one, the whole run's (figure_difference, to a hundredth of a pixel). Returns the whole and the resumed
// runs, for the example's own checks of its result line.
struct ResumeRuns {
  Run whole, resumed;
};
ResumeRuns check_kill_and_resume(const std::string& command, const std::string& dir, int epochs);

// The repeat test of an example that takes --threads and --seed: `command(threads)` (shell syntax,
// ending in a space) runs with one thread, with two, and with two again, each with --out dir/<run>
// and --save dir/<run>.safetensors. All three must write the same metrics.csv (timings aside),
// `rows` rows after its header, and the same model file, byte for byte.
void check_same_bits_on_one_thread_or_two(const std::function<std::string(int threads)>& command,
                                          const std::string& dir, std::size_t rows);

}  // namespace dlfs::test
