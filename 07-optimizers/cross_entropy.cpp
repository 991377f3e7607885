#include "07-optimizers/cross_entropy.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace dlfs {

LossAndGrad binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& targets) {
  require_same_shape(logits, targets, "binary_cross_entropy_with_logits");
  LossAndGrad out{0.0, Tensor(logits.shape())};  // grad: same shape as the logits
  const double n = double(std::max<std::size_t>(logits.size(), 1));
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const double z = logits[i], t = targets[i];
    if (!(t >= 0.0 && t <= 1.0))
      throw std::invalid_argument("binary_cross_entropy_with_logits: target " + std::to_string(t) +
                                  " at index " + std::to_string(i) + " is not in [0, 1]");
    const double e = std::exp(-std::abs(z));                  // in (0, 1]: never overflows
    out.loss += std::max(z, 0.0) - z * t + std::log1p(e);     // max(z, 0) - z t + log(1 + e^-|z|)
    const double sigma = z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);  // sigma(z) from the same e
    out.grad[i] = float((sigma - t) / n);                     // (sigma(z) - t) / N
  }
  out.loss /= n;
  return out;
}

LossAndGrad categorical_cross_entropy(const Tensor& probabilities, const Tensor& targets) {
  require_same_shape(probabilities, targets, "categorical_cross_entropy");
  if (probabilities.ndim() != 2)
    throw std::invalid_argument("categorical_cross_entropy: expected (B, classes) probabilities, got " +
                                shape_to_string(probabilities.shape()));
  const std::size_t B = probabilities.dim(0);
  LossAndGrad out{0.0, Tensor(probabilities.shape())};  // grad: (B, C)
  for (std::size_t i = 0; i < probabilities.size(); ++i) {
    const double t = targets[i];
    if (t == 0.0) continue;  // 0 log p = 0, even for p = 0
    const double p = std::max(double(probabilities[i]), double(kProbabilityFloor));
    out.loss -= t * std::log(p);                // -t log p
    out.grad[i] = float(-t / (p * double(B)));  // -t / (B p)
  }
  out.loss /= double(std::max<std::size_t>(B, 1));
  return out;
}

}  // namespace dlfs
