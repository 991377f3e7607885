#include "common/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace dlfs {

ProgressBar::ProgressBar(std::string label, std::size_t total_steps, std::size_t samples_per_step)
    : ProgressBar(std::move(label), total_steps, samples_per_step, std::cout, isatty(STDOUT_FILENO)) {}

ProgressBar::ProgressBar(std::string label, std::size_t total_steps, std::size_t samples_per_step,
                         std::ostream& out, bool interactive)
    : label_(std::move(label)),
      total_(total_steps),
      samples_per_step_(samples_per_step),
      out_(out),
      interactive_(interactive),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string ProgressBar::line(std::size_t steps_done) const {
  constexpr int kWidth = 24;
  const double fraction = total_ ? double(steps_done) / double(total_) : 1.0;
  const double elapsed = elapsed_seconds();
  const double rate = elapsed > 0 ? double(steps_done * samples_per_step_) / elapsed : 0.0;
  const double eta = steps_done ? elapsed * double(total_ - steps_done) / double(steps_done) : 0.0;
  std::string bar(kWidth, ' ');
  for (int i = 0; i < int(fraction * kWidth + 0.5); ++i) bar[i] = '#';
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s [%s] %zu/%zu loss %.4f  %.0f samples/s  %s %.1fs",
                label_.c_str(), bar.c_str(), steps_done, total_, loss_, rate,
                steps_done < total_ ? "eta" : "took", steps_done < total_ ? eta : elapsed);
  return buf;
}

void ProgressBar::update(std::size_t steps_done, double running_loss) {
  steps_done_ = steps_done;
  loss_ = running_loss;
  if (!interactive_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && steps_done < total_) return;
  last_draw_ = now;
  out_ << '\r' << line(steps_done) << "\x1b[K" << std::flush;
}

void ProgressBar::finish(const std::string& summary) {
  if (interactive_) out_ << '\r';
  out_ << line(steps_done_);
  if (!summary.empty()) out_ << "  " << summary;
  if (interactive_) out_ << "\x1b[K";
  out_ << '\n' << std::flush;
}

}  // namespace dlfs
