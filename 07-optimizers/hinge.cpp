#include "07-optimizers/hinge.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace dlfs {

LossAndGrad binary_hinge(const Tensor& scores, const Tensor& targets) {
  require_same_shape(scores, targets, "binary_hinge");
  LossAndGrad out{0.0, Tensor(scores.shape())};  // grad: same shape as the scores
  const double n = double(std::max<std::size_t>(scores.size(), 1));
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const double t = targets[i];
    if (t != 1.0 && t != -1.0)
      throw std::invalid_argument("binary_hinge: target " + std::to_string(t) + " at index " +
                                  std::to_string(i) + " is not -1 or +1");
    const double shortfall = 1.0 - t * double(scores[i]);  // 1 - t z
    if (shortfall > 0) {
      out.loss += shortfall;
      out.grad[i] = float(-t / n);  // d(1 - t z)/dz = -t
    }
  }
  out.loss /= n;
  return out;
}

LossAndGrad multiclass_hinge(const Tensor& logits, const std::vector<int>& labels, float margin) {
  if (logits.ndim() != 2 || logits.dim(0) != labels.size())
    throw std::invalid_argument("multiclass_hinge: logits of shape " + shape_to_string(logits.shape()) + " for " +
                                std::to_string(labels.size()) + " labels (expected (B, classes))");
  if (!(margin >= 0.0f)) throw std::invalid_argument("multiclass_hinge: margin must be >= 0, got " + std::to_string(margin));
  const std::size_t B = logits.dim(0), C = logits.dim(1);
  LossAndGrad out{0.0, Tensor({B, C})};  // grad: (B, C)
  const double scale = 1.0 / (double(std::max<std::size_t>(B, 1)) * double(C));  // 1 / (B C)
  for (std::size_t b = 0; b < B; ++b) {
    const int y = labels[b];
    if (y < 0 || std::size_t(y) >= C)
      throw std::invalid_argument("multiclass_hinge: label " + std::to_string(y) + " is not a class 0.." +
                                  std::to_string(C - 1));
    const float* z = logits.data() + b * C;  // (C)
    float* dz = out.grad.data() + b * C;     // (C)
    std::size_t violations = 0;
    for (std::size_t j = 0; j < C; ++j) {
      if (j == std::size_t(y)) continue;
      const double shortfall = double(margin) - double(z[y]) + double(z[j]);  // margin - z_y + z_j
      if (shortfall > 0) {
        out.loss += shortfall * scale;
        dz[j] = float(scale);  // pushes the impostor down
        ++violations;
      }
    }
    dz[y] = float(-double(violations) * scale);  // and the true class up, once per impostor
  }
  return out;
}

}  // namespace dlfs
