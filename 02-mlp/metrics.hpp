// Metrics: how well a network's outputs match their targets over a pass through data. What is
// measured follows the kind of target (targets.hpp); every kind has the mean loss per target:
//   class per example    accuracy                      (evaluate adds the confusion matrix)
//   class per position   accuracy over the labelled positions, and bits per token: the mean
//                        cross-entropy in bits, log2 of how many equally likely choices the model
//                        is left with on average (for a character model, bits per character)
//   real values          MAE and RMSE, in the targets' own units
#pragma once

#include <array>
#include <cstddef>
#include <limits>
#include <string>

#include "02-mlp/targets.hpp"
#include "common/tensor.hpp"

namespace dlfs {

struct Metrics {
  static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();  // not measured for this kind
  double loss = kNone;            // mean loss per target (example, labelled position, or value)
  double accuracy = kNone;        // class targets: the fraction where the largest output is the label
  double bits_per_token = kNone;  // class per position: loss / ln 2, when the loss is cross-entropy in nats
  double mae = kNone;             // real values: mean |prediction - target|
  double rmse = kNone;            // real values: sqrt(mean (prediction - target)^2)
};

// The measured fields as text, each name prefixed: "val_loss 0.3120 val_accuracy 0.8910".
std::string describe(const Metrics& metrics, const std::string& prefix);

// Running sums, added to slice by slice and batch by batch, turned into Metrics at the end.
class MetricSums {
 public:
  // The sums as plain numbers (targets, loss, correct predictions, absolute and squared errors), and
  // sums made of such numbers: processes that measured parts of one batch add theirs up element by
  // element (chapter 09).
  static constexpr std::size_t kTotals = 5;
  std::array<double, kTotals> totals() const;
  MetricSums() = default;
  MetricSums(Targets::Kind kind, const std::array<double, kTotals>& totals);

  // One slice: the network's output, its targets and the loss function's mean over them.
  //   output (n, classes) or (n, T, classes) for labels, the targets' shape for real values
  void add(const Tensor& output, const Targets& targets, double mean_loss);
  void add(const MetricSums& other);
  Metrics metrics() const;
  std::size_t targets() const { return count_; }  // targets seen so far (Targets::count)

 private:
  Targets::Kind kind_ = Targets::Kind::class_per_example;
  double loss_sum_ = 0.0;  // sum over slices of mean loss x count
  std::size_t count_ = 0;
  std::size_t correct_ = 0;                          // class targets
  double absolute_error_ = 0.0, squared_error_ = 0.0;  // real values
};

}  // namespace dlfs
