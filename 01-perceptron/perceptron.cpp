#include "01-perceptron/perceptron.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace dlfs {

const char* to_string(PerceptronVariant v) {
  switch (v) {
    case PerceptronVariant::kPlain: return "plain";
    case PerceptronVariant::kPocket: return "pocket";
    case PerceptronVariant::kAveraged: return "averaged";
  }
  return "?";
}

PerceptronVariant parse_variant(const std::string& name) {
  if (name == "plain") return PerceptronVariant::kPlain;
  if (name == "pocket") return PerceptronVariant::kPocket;
  if (name == "averaged") return PerceptronVariant::kAveraged;
  throw std::invalid_argument("unknown perceptron variant '" + name + "'; choose plain, pocket or averaged");
}

std::vector<int> binary_targets(const std::vector<std::size_t>& y, std::size_t positive) {
  std::vector<int> t(y.size());  // (N)
  for (std::size_t i = 0; i < y.size(); ++i) t[i] = y[i] == positive ? 1 : -1;
  return t;
}

// ---- the binary perceptron ----

Perceptron::Perceptron(std::size_t features, PerceptronVariant variant)
    : variant_(variant), w_({features}), pocket_w_({features}), sum_w_({features}), avg_w_({features}) {}

float Perceptron::dot_row(const Tensor& w, float b, const Tensor& x, std::size_t i) {
  const std::size_t f = w.size();
  const float* row = x.data() + i * f;
  float s = b;
  for (std::size_t j = 0; j < f; ++j) s += w[j] * row[j];
  return s;
}

std::size_t Perceptron::errors_of(const Tensor& w, float b, const Tensor& x, const std::vector<int>& y) {
  std::size_t errors = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const int predicted = dot_row(w, b, x, i) > 0.0f ? 1 : -1;
    errors += predicted != y[i];
  }
  return errors;
}

std::size_t Perceptron::train_epoch(const Tensor& x, const std::vector<int>& y, const std::vector<std::size_t>& order,
                                    float lr) {
  const std::size_t f = w_.size();
  if (x.ndim() != 2 || x.dim(1) != f || x.dim(0) != y.size())
    throw std::invalid_argument("Perceptron::train_epoch: x " + shape_to_string(x.shape()) + " and " +
                                std::to_string(y.size()) + " labels do not fit " + std::to_string(f) + " features");
  if (variant_ == PerceptronVariant::kPocket && pocket_errors_ == static_cast<std::size_t>(-1))
    pocket_errors_ = errors_of(pocket_w_, pocket_b_, x, y);  // the starting weights (zero) are the first pocket

  // Weights or features that have left the float range (a huge lr, features too large to scale)
  // give margins of NaN, which no comparison finds <= 0: every row would pass for a row without a
  // mistake, and the run for one that converged. Stopped instead, with what went wrong.
  auto not_finite = [&](const std::string& what, std::size_t row) {
    return std::runtime_error("perceptron: " + what + " at training row " + std::to_string(row) +
                              ": the weights or the features are no longer finite numbers (a smaller learning rate, "
                              "or features scaled to a smaller range)");
  };
  std::size_t mistakes = 0;
  for (std::size_t i : order) {
    const float* row = x.data() + i * f;
    const float margin = float(y[i]) * dot_row(w_, b_, x, i);
    if (std::isnan(margin)) throw not_finite("the margin y (w . x + b) is NaN", i);
    // A mistake is y (w . x + b) <= 0: wrong side of the plane, or on it (w = 0 at the start).
    if (margin <= 0.0f) {
      ++mistakes;
      // Eq. (2): w <- w + lr y x,  b <- b + lr y.
      const float step = lr * float(y[i]);
      for (std::size_t j = 0; j < f; ++j) w_[j] += step * row[j];
      b_ += step;
      bool finite = std::isfinite(b_);
      for (std::size_t j = 0; j < f; ++j) finite = finite && std::isfinite(w_[j]);
      if (!finite) throw not_finite("an update overflowed the weights", i);
      if (variant_ == PerceptronVariant::kPocket) {
        // Pocket with ratchet: the new weights replace the pocket only if they make fewer
        // errors on the whole training set. O(N F) per update, cheap at this size.
        const std::size_t errors = errors_of(w_, b_, x, y);
        if (errors < pocket_errors_) {
          pocket_errors_ = errors;
          pocket_w_.copy_from(w_);
          pocket_b_ = b_;
        }
      }
    }
    if (variant_ == PerceptronVariant::kAveraged) {
      // Sum the weights after every visited row, updated or not: a weight vector that
      // survives many rows without a mistake counts many times in the average.
      for (std::size_t j = 0; j < f; ++j) sum_w_[j] += w_[j];
      sum_b_ += b_;
      ++steps_;
    }
  }
  if (variant_ == PerceptronVariant::kAveraged && steps_ > 0) {
    for (std::size_t j = 0; j < f; ++j) avg_w_[j] = float(sum_w_[j] / double(steps_));
    avg_b_ = float(sum_b_ / double(steps_));
  }
  return mistakes;
}

const Tensor& Perceptron::weight() const {
  switch (variant_) {
    case PerceptronVariant::kPocket: return pocket_w_;
    case PerceptronVariant::kAveraged: return avg_w_;
    case PerceptronVariant::kPlain: break;
  }
  return w_;
}

float Perceptron::bias() const {
  switch (variant_) {
    case PerceptronVariant::kPocket: return pocket_b_;
    case PerceptronVariant::kAveraged: return avg_b_;
    case PerceptronVariant::kPlain: break;
  }
  return b_;
}

float Perceptron::score(const Tensor& x, std::size_t i) const { return dot_row(weight(), bias(), x, i); }

std::size_t Perceptron::count_errors(const Tensor& x, const std::vector<int>& y) const {
  return errors_of(weight(), bias(), x, y);
}

// ---- one-vs-rest ----

OneVsRest::OneVsRest(std::size_t features, std::size_t classes, PerceptronVariant variant) : classes_(classes) {
  if (classes < 2) throw std::invalid_argument("OneVsRest: needs at least 2 classes, got " + std::to_string(classes));
  const std::size_t models = classes == 2 ? 1 : classes;
  models_.reserve(models);
  for (std::size_t k = 0; k < models; ++k) models_.emplace_back(features, variant);
}

std::size_t OneVsRest::train_epoch(const Tensor& x, const std::vector<std::size_t>& y,
                                   const std::vector<std::size_t>& order, float lr) {
  if (classes_ == 2) return models_[0].train_epoch(x, binary_targets(y, 1), order, lr);
  std::size_t mistakes = 0;
  for (std::size_t k = 0; k < classes_; ++k) mistakes += models_[k].train_epoch(x, binary_targets(y, k), order, lr);
  return mistakes;
}

std::vector<std::size_t> OneVsRest::predict(const Tensor& x) const {
  const std::size_t n = x.dim(0);
  std::vector<std::size_t> predicted(n);  // (N)
  if (classes_ == 2) {
    for (std::size_t i = 0; i < n; ++i) predicted[i] = models_[0].predict(x, i) > 0 ? 1 : 0;
    return predicted;
  }
  for (std::size_t i = 0; i < n; ++i) {
    // Eq. (3): the class whose perceptron scores the row highest (the first one on ties).
    std::size_t best = 0;
    float best_score = models_[0].score(x, i);
    for (std::size_t k = 1; k < classes_; ++k) {
      const float s = models_[k].score(x, i);
      if (s > best_score) {
        best = k;
        best_score = s;
      }
    }
    predicted[i] = best;
  }
  return predicted;
}

double accuracy(const std::vector<std::size_t>& predicted, const std::vector<std::size_t>& y) {
  if (predicted.size() != y.size())
    throw std::invalid_argument("accuracy: " + std::to_string(predicted.size()) + " predictions for " +
                                std::to_string(y.size()) + " labels");
  if (y.empty()) return 0.0;
  std::size_t correct = 0;
  for (std::size_t i = 0; i < y.size(); ++i) correct += predicted[i] == y[i];
  return double(correct) / double(y.size());
}

}  // namespace dlfs
