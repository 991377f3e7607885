#include "02-mlp/losses.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace dlfs {

LossAndGrad mse(const Tensor& prediction, const Tensor& target) {
  require_same_shape(prediction, target, "mse");
  LossAndGrad out{0.0, Tensor(prediction.shape())};
  const double n = double(std::max<std::size_t>(prediction.size(), 1));
  for (std::size_t i = 0; i < prediction.size(); ++i) {
    const double diff = double(prediction[i]) - target[i];
    out.loss += diff * diff;
    out.grad[i] = float(2.0 * diff / n);
  }
  out.loss /= n;
  return out;
}

LossAndGrad softmax_cross_entropy(const Tensor& logits, const std::vector<int>& labels) {
  if (logits.ndim() != 2 || logits.dim(0) != labels.size())
    throw std::invalid_argument("softmax_cross_entropy: logits of shape " +
                                shape_to_string(logits.shape()) + " for " +
                                std::to_string(labels.size()) + " labels (expected (B, classes))");
  const std::size_t B = logits.dim(0), C = logits.dim(1);
  LossAndGrad out{0.0, Tensor({B, C})};  // grad: (B, C)
  for (std::size_t b = 0; b < B; ++b) {
    const int y = labels[b];
    if (y < 0 || std::size_t(y) >= C)
      throw std::invalid_argument("softmax_cross_entropy: label " + std::to_string(y) +
                                  " is not a class 0.." + std::to_string(C - 1));
    const float* z = logits.data() + b * C;
    float* dz = out.grad.data() + b * C;
    const float m = *std::max_element(z, z + C);
    double total = 0.0;
    for (std::size_t j = 0; j < C; ++j) total += std::exp(double(z[j]) - m);
    const double logsumexp = m + std::log(total);
    out.loss += logsumexp - z[y];
    for (std::size_t j = 0; j < C; ++j) dz[j] = float(std::exp(double(z[j]) - logsumexp) / double(B));
    dz[y] -= float(1.0 / double(B));
  }
  out.loss /= double(std::max<std::size_t>(B, 1));
  return out;
}

}  // namespace dlfs
