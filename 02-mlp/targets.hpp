// Targets: what a network should output for each of N examples. The training loop, the losses
// and the metrics of every chapter take this one type, which comes in three kinds:
//
//   kind                 holds           one example's target            e.g.
//   class_per_example    labels (N)      one class                       Fashion-MNIST's garment
//   class_per_position   labels (N, T)   a class at each of T positions  the next character (04, 06)
//   real_values          values (N, ...) real numbers                    tomorrow's temperature (04)
//
// A label may be kIgnoreIndex: that target counts for nothing (no loss, no gradient, no metric),
// which is how padding at the end of a short sequence is left out.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <vector>

#include "common/tensor.hpp"

namespace dlfs {

// PyTorch's default ignore_index for its cross-entropy.
inline constexpr int kIgnoreIndex = -100;

struct Targets {
  enum class Kind { class_per_example, class_per_position, real_values };

  Kind kind = Kind::class_per_example;
  std::vector<int> labels;    // (N) or (N, T), row-major; empty for real values
  std::size_t positions = 1;  // T: labels per example
  Tensor values;              // (N, ...) real values; empty for labels

  Targets() = default;
  // One class per example. Implicit, so a std::vector<int> of labels is a Targets wherever one is
  // expected (softmax_cross_entropy(logits, labels) reads as it always has).
  Targets(std::vector<int> class_labels);  // NOLINT(google-explicit-constructor)
  Targets(std::initializer_list<int> class_labels) : Targets(std::vector<int>(class_labels)) {}
  // Real values, one row (of any shape) per example. Implicit for the same reason.
  Targets(Tensor real_values);  // NOLINT(google-explicit-constructor)
  // T classes per example: labels (N, T), row-major.
  static Targets per_position(std::vector<int> labels, std::size_t positions);

  std::size_t size() const;  // N, the number of examples
  bool is_classes() const { return kind != Kind::real_values; }
  // The number of terms a loss averages over: labels that are not kIgnoreIndex, or values. A loss
  // on a slice of a batch weighs in with count(slice) / count(batch) of the batch's loss.
  std::size_t count() const;

  // The targets of the examples at `indices`, in that order (a batch drawn from a data set).
  Targets rows(const std::vector<std::size_t>& indices) const;
  // The targets of examples [begin, end) (a slice of a batch).
  Targets slice(std::size_t begin, std::size_t end) const;
};

}  // namespace dlfs
