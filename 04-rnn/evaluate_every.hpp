// EvaluateEvery: a language model's progress, measured while it trains (a chapter 08 Trainer callback).
//
// Every `every` steps it takes the mean training loss since its last report, measures the loss on a
// fixed sample of validation windows, prints one line, writes one row of metrics.csv and redraws
// curves.svg (so a run cut short still leaves them). On every step it also reads the gradient's
// global norm before clipping (chapter 07's ClipGradNorm): how large it gets, how often the clip acts.
// The time spent evaluating is counted apart, so the speed it reports is training's alone.
//
// In a checkpoint it keeps the losses summed since its last report: the first report after a resume
// then averages the same steps as the uninterrupted run's, and metrics.csv keeps the interrupted
// run's rows up to the checkpoint and goes on from there.
// charlm (this chapter) and chapter 06's gpt train with it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "07-optimizers/clipping.hpp"
#include "08-utilities/data_loader.hpp"
#include "08-utilities/trainer.hpp"
#include "common/metrics_csv.hpp"
#include "common/plot_svg.hpp"
#include "common/system.hpp"

namespace dlfs {

struct EvaluateEveryOptions {
  std::size_t every = 100;            // steps between reports
  std::size_t tokens_per_step = 0;    // characters a step trains on (B x T), for the speed
  std::string out_dir;                // where metrics.csv and curves.svg go
  std::string title;                  // the model, for the loss chart's title ("lstm, H=256")
  bool learning_rate = false;         // print and record the learning rate too (it changes when scheduled)
};

class EvaluateEvery : public Callback {
 public:
  // `validation` and `clip` must outlive the callback.
  EvaluateEvery(const Examples& validation, const ClipGradNorm& clip, EvaluateEveryOptions options);

  void on_batch_end(Trainer& t, double batch_loss) override;
  // The report: also called once after training, for the steps since the last one.
  void report(Trainer& t);

  double training_seconds() const { return clock_.seconds() - eval_seconds_; }  // since construction
  double largest_norm() const { return largest_norm_; }  // since construction
  double mean_norm() const { return norm_steps_ ? norm_sum_ / double(norm_steps_) : 0.0; }

  void save_state(Trainer&, NamedTensors&, Metadata& metadata) override;
  void load_state(Trainer&, const std::string& path, const Metadata& metadata) override;
  void on_fit_begin(Trainer& t) override;  // after a resume, keeps the interrupted run's rows

 private:
  const Examples& validation_;
  const ClipGradNorm& clip_;
  EvaluateEveryOptions options_;
  MetricsCsv csv_;
  Stopwatch clock_;
  double eval_seconds_ = 0.0, loss_sum_ = 0.0, largest_norm_ = 0.0, norm_sum_ = 0.0;
  std::size_t losses_ = 0, norm_steps_ = 0;
  Series train_{"train (running)", {}}, val_{"validation sample", {}}, bits_{"validation sample", {}};
};

// `count` evenly spaced indices of [0, n) (all of them when count >= n): the windows of a fixed
// validation sample that spans the whole validation text.
std::vector<std::size_t> spread(std::size_t n, std::size_t count);

}  // namespace dlfs
