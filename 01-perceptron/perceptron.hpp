// Rosenblatt's perceptron (1958): the first learning machine, and the neuron every later
// chapter stacks into layers.
//
// A perceptron is a hyperplane. With weights w (F) and bias b it predicts
//     y_hat = sign(w . x + b)                                                  (1)
// i.e. +1 on one side of the plane w . x + b = 0 and -1 on the other; w is the plane's normal
// and (w . x + b) / |w| is the signed distance of x from it.
//
// Learning rule: visit the training points one at a time; on a mistake, y (w . x + b) <= 0,
//     w <- w + lr y x,    b <- b + lr y                                         (2)
// which tilts the plane towards putting x on its correct side (the new y (w . x + b) is larger
// by lr (|x|^2 + 1) > 0). On a correct point nothing changes.
//
// Convergence (Novikoff, 1962): if some unit vector u in R^(F+1) separates the data with
// margin gamma, y_i u . (x_i, 1) >= gamma for all i, and R = max_i |(x_i, 1)|, then rule (2)
// started from zero makes at most (R / gamma)^2 mistakes, whatever the order of the points.
// If no such u exists (XOR; Iris versicolor vs. the rest) it never stops making mistakes,
// and the weights it ends with are simply the last ones, good or bad. Two fixes:
//   - pocket (Gallant, 1990): keep "in the pocket" the weights that made the fewest training
//     errors so far, and predict with those;
//   - averaged (Freund & Schapire, 1999): predict with the average of the weights after every
//     step, which damps the oscillation of the last few updates.
//
// Dimension letters: N rows, F features, K classes.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/tensor.hpp"

namespace dlfs {

enum class PerceptronVariant { kPlain, kPocket, kAveraged };

// "plain", "pocket", "averaged", and back; parse throws std::invalid_argument naming the choices.
const char* to_string(PerceptronVariant v);
PerceptronVariant parse_variant(const std::string& name);

// +1 where y[i] == positive, -1 elsewhere: the targets of one binary perceptron.
std::vector<int> binary_targets(const std::vector<std::size_t>& y, std::size_t positive);

// A binary perceptron. Labels are +1 and -1.
class Perceptron {
 public:
  explicit Perceptron(std::size_t features, PerceptronVariant variant = PerceptronVariant::kPlain);

  // One epoch of rule (2): x (N, F), y (N) in {+1, -1}, visiting rows in `order`. Returns the
  // number of mistakes made, which is the number of updates. For the pocket and averaged
  // variants it also keeps the pocket / the running sum (see the top of this file).
  std::size_t train_epoch(const Tensor& x, const std::vector<int>& y, const std::vector<std::size_t>& order,
                          float lr = 1.0f);

  // w . x_i + b for row i of x (N, F), with the weights this variant predicts with.
  float score(const Tensor& x, std::size_t i) const;
  // Eq. (1): +1 if score > 0, else -1.
  int predict(const Tensor& x, std::size_t i) const { return score(x, i) > 0.0f ? 1 : -1; }
  // Rows of x (N, F) whose prediction differs from y (N).
  std::size_t count_errors(const Tensor& x, const std::vector<int>& y) const;

  // The weights predictions use: the running ones (plain), the pocket's, or the average.
  const Tensor& weight() const;  // (F)
  float bias() const;
  // The weights rule (2) is updating, whatever the variant.
  const Tensor& running_weight() const { return w_; }  // (F)
  float running_bias() const { return b_; }
  PerceptronVariant variant() const { return variant_; }

 private:
  static float dot_row(const Tensor& w, float b, const Tensor& x, std::size_t i);
  static std::size_t errors_of(const Tensor& w, float b, const Tensor& x, const std::vector<int>& y);

  PerceptronVariant variant_;
  Tensor w_;     // (F) running weights
  float b_ = 0;  // running bias
  // Pocket: the best weights seen so far and their number of training errors.
  Tensor pocket_w_;  // (F)
  float pocket_b_ = 0;
  std::size_t pocket_errors_ = static_cast<std::size_t>(-1);
  // Averaged: the sum of the running weights after every visited row, and the count.
  Tensor sum_w_;  // (F)
  double sum_b_ = 0;
  std::size_t steps_ = 0;
  Tensor avg_w_;  // (F) sum_w_ / steps_, refreshed at the end of each epoch
  float avg_b_ = 0;
};

// K classes with K binary perceptrons, one per class ("class k" vs. "the rest"), predicting
// the class whose perceptron gives the highest score:
//     y_hat = argmax_k (w_k . x + b_k)                                          (3)
// Usually exactly one perceptron says "mine" (score > 0); (3) also settles the rows that none
// or several claim. The scores of different perceptrons are on different scales (|w_k| grows
// with every update), so one could compare distances (w_k . x + b_k) / |w_k| instead: the
// README's exercises measure that. With K = 2 one perceptron suffices (class 1 vs. class 0),
// and (3) reduces to its sign.
class OneVsRest {
 public:
  OneVsRest(std::size_t features, std::size_t classes, PerceptronVariant variant = PerceptronVariant::kPocket);

  // One epoch for every binary perceptron, all visiting the rows in the same order.
  // x: (N, F), y: (N) class codes. Returns the total number of mistakes (updates).
  std::size_t train_epoch(const Tensor& x, const std::vector<std::size_t>& y, const std::vector<std::size_t>& order,
                          float lr = 1.0f);
  std::vector<std::size_t> predict(const Tensor& x) const;  // x: (N, F) -> (N) class codes, eq. (3)
  const std::vector<Perceptron>& models() const { return models_; }
  std::size_t num_classes() const { return classes_; }

 private:
  std::size_t classes_;
  std::vector<Perceptron> models_;  // K of them, or 1 when K = 2
};

// The fraction of predictions equal to the labels (both (N)); 0 for N = 0.
double accuracy(const std::vector<std::size_t>& predicted, const std::vector<std::size_t>& y);

}  // namespace dlfs
