// A progress bar for the batch loop of one epoch.
//
// On a terminal it redraws one line in place (at most 10 times a second) with the batch count,
// the running loss, samples per second and the time left. When stdout is not a terminal (a CI
// log, a pipe, a file) it stays silent until the epoch ends and then prints one plain line, so
// logs hold one readable line per epoch.
#pragma once

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <string>

namespace dlfs {

class ProgressBar {
 public:
  // label: e.g. "epoch 3/10"; total_steps: batches in the epoch; samples_per_step: batch size.
  ProgressBar(std::string label, std::size_t total_steps, std::size_t samples_per_step);
  // For tests: write to `out`, treating it as a terminal or not.
  ProgressBar(std::string label, std::size_t total_steps, std::size_t samples_per_step,
              std::ostream& out, bool interactive);

  // Call after each step (1-based count of steps done) with the running mean loss.
  void update(std::size_t steps_done, double running_loss);
  // Ends the line: prints the final state followed by `summary` (e.g. test accuracy).
  void finish(const std::string& summary = "");

  double elapsed_seconds() const;

 private:
  std::string line(std::size_t steps_done) const;

  std::string label_;
  std::size_t total_, samples_per_step_;
  std::ostream& out_;
  bool interactive_;
  std::size_t steps_done_ = 0;
  double loss_ = 0.0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace dlfs
