#include "04-rnn/evaluate_every.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace dlfs {

namespace {

std::vector<std::string> csv_columns(bool learning_rate) {
  if (learning_rate)
    return {"step", "tokens", "seconds", "learning_rate", "train_loss", "val_loss", "val_bits_per_char"};
  return {"step", "tokens", "seconds", "train_loss", "val_loss", "val_bits_per_char"};
}

}  // namespace

EvaluateEvery::EvaluateEvery(const Examples& validation, const ClipGradNorm& clip, EvaluateEveryOptions options)
    : validation_(validation), clip_(clip), options_(std::move(options)),
      csv_(options_.out_dir + "/metrics.csv", csv_columns(options_.learning_rate)) {
  if (options_.every == 0) throw std::invalid_argument("EvaluateEvery: every must be at least 1 step");
}

void EvaluateEvery::on_fit_begin(Trainer& t) {
  if (t.step() == 0) return;
  // Resumed: the interrupted run's rows (keyed by step) and its curves; the last three columns are
  // train_loss, val_loss, val_bits_per_char.
  for (const std::vector<double>& row : csv_.resume(t.step())) {
    const std::size_t n = row.size();
    train_.y.push_back(row[n - 3]), val_.y.push_back(row[n - 2]), bits_.y.push_back(row[n - 1]);
  }
}

void EvaluateEvery::on_batch_end(Trainer& t, double batch_loss) {
  loss_sum_ += batch_loss, ++losses_;
  largest_norm_ = std::max(largest_norm_, clip_.last_norm());
  norm_sum_ += clip_.last_norm(), ++norm_steps_;
  if (t.step() % options_.every == 0) report(t);
}

void EvaluateEvery::report(Trainer& t) {
  if (losses_ == 0) return;
  Stopwatch eval_clock;
  const Evaluation ev = t.evaluate(validation_);
  eval_seconds_ += eval_clock.seconds();
  const double train_loss = loss_sum_ / double(losses_);
  loss_sum_ = 0, losses_ = 0;
  const double seconds = clock_.seconds(), tokens = double(t.step() * options_.tokens_per_step);
  const double lr = t.optimizer().learning_rate();
  char rate[32] = "";
  if (options_.learning_rate) std::snprintf(rate, sizeof rate, "  lr %.2e", lr);
  std::printf("step %5zu  %5.0fs%s  train_loss %.4f  val_loss %.4f  val_bits_per_char %.3f  (%.0f tokens/s)\n",
              t.step(), seconds, rate, train_loss, ev.loss, ev.bits_per_token, tokens / training_seconds());
  std::fflush(stdout);
  if (options_.learning_rate)
    csv_.write_row({double(t.step()), tokens, seconds, lr, train_loss, ev.loss, ev.bits_per_token});
  else
    csv_.write_row({double(t.step()), tokens, seconds, train_loss, ev.loss, ev.bits_per_token});
  train_.y.push_back(train_loss), val_.y.push_back(ev.loss), bits_.y.push_back(ev.bits_per_token);
  write_line_charts(options_.out_dir + "/curves.svg",
                    {{"Loss (" + options_.title + ")", "cross-entropy, nats per character", {train_, val_}},
                     {"Validation", "bits per character", {bits_}}},
                    "evaluation (every " + std::to_string(options_.every) + " steps)");
}

void EvaluateEvery::save_state(Trainer&, NamedTensors&, Metadata& metadata) {
  char sum[40];
  std::snprintf(sum, sizeof sum, "%.17g", loss_sum_);  // reads back to the same double
  metadata["evaluate_every.loss_sum"] = sum;
  metadata["evaluate_every.losses"] = std::to_string(losses_);
}

void EvaluateEvery::load_state(Trainer&, const std::string& path, const Metadata& metadata) {
  const auto sum = metadata.find("evaluate_every.loss_sum"), count = metadata.find("evaluate_every.losses");
  char *sum_end = nullptr, *count_end = nullptr;
  const double loss_sum = sum == metadata.end() ? 0.0 : std::strtod(sum->second.c_str(), &sum_end);
  const unsigned long long losses = count == metadata.end() ? 0 : std::strtoull(count->second.c_str(), &count_end, 10);
  if (!sum_end || *sum_end != '\0' || !count_end || *count_end != '\0' || !std::isfinite(loss_sum))
    throw std::runtime_error(path + ": checkpoint metadata has no readable \"evaluate_every.loss_sum\" and "
                             "\"evaluate_every.losses\" (written by a run without --minutes?)");
  loss_sum_ = loss_sum, losses_ = std::size_t(losses);
}

std::vector<std::size_t> spread(std::size_t n, std::size_t count) {
  std::vector<std::size_t> out;
  if (count >= n) count = n;
  for (std::size_t k = 0; k < count; ++k) out.push_back(k * n / count);
  return out;
}

}  // namespace dlfs
