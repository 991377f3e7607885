#include "02-mlp/losses.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace dlfs {

LossAndGrad mse(const Tensor& prediction, const Targets& target) {
  if (target.kind != Targets::Kind::real_values)
    throw std::invalid_argument("mse: needs real-valued targets, not class labels");
  require_same_shape(prediction, target.values, "mse");
  LossAndGrad out{0.0, Tensor(prediction.shape())};
  const double n = double(std::max<std::size_t>(prediction.size(), 1));
  for (std::size_t i = 0; i < prediction.size(); ++i) {
    const double diff = double(prediction[i]) - target.values[i];
    out.loss += diff * diff;
    out.grad[i] = float(2.0 * diff / n);
  }
  out.loss /= n;
  return out;
}

LossAndGrad softmax_cross_entropy(const Tensor& logits, const Targets& labels) {
  const std::size_t C = logits.ndim() >= 2 ? logits.shape().back() : 0;
  const std::size_t rows = C ? logits.size() / C : 0;
  const bool per_position = labels.kind == Targets::Kind::class_per_position;
  if (!labels.is_classes() || logits.ndim() != (per_position ? 3u : 2u) || logits.dim(0) != labels.size() ||
      rows != labels.labels.size())
    throw std::invalid_argument("softmax_cross_entropy: logits of shape " + shape_to_string(logits.shape()) + " for " +
                                (labels.is_classes() ? std::to_string(labels.labels.size()) + " labels" : "real values") +
                                (per_position ? " (expected (B, T, classes) and labels (B, T))"
                                              : " (expected (B, classes) and labels (B))"));
  const double n = double(std::max<std::size_t>(labels.count(), 1));
  LossAndGrad out{0.0, Tensor(logits.shape())};  // grad: like the logits
  for (std::size_t r = 0; r < rows; ++r) {
    const int y = labels.labels[r];
    if (y == kIgnoreIndex) continue;  // no loss, zero gradient
    if (y < 0 || std::size_t(y) >= C)
      throw std::invalid_argument("softmax_cross_entropy: label " + std::to_string(y) + " is not a class 0.." +
                                  std::to_string(C - 1));
    const float* z = logits.data() + r * C;
    float* dz = out.grad.data() + r * C;
    const float m = *std::max_element(z, z + C);
    double total = 0.0;
    for (std::size_t j = 0; j < C; ++j) total += std::exp(double(z[j]) - m);
    const double logsumexp = m + std::log(total);
    out.loss += logsumexp - z[y];
    for (std::size_t j = 0; j < C; ++j) dz[j] = float(std::exp(double(z[j]) - logsumexp) / n);
    dz[y] -= float(1.0 / n);
  }
  out.loss /= n;
  return out;
}

}  // namespace dlfs
