#include "07-optimizers/regression_losses.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace dlfs {

LossAndGrad mae(const Tensor& prediction, const Tensor& target) {
  require_same_shape(prediction, target, "mae");
  LossAndGrad out{0.0, Tensor(prediction.shape())};  // grad: same shape as the prediction
  const double n = double(std::max<std::size_t>(prediction.size(), 1));
  for (std::size_t i = 0; i < prediction.size(); ++i) {
    const double d = double(prediction[i]) - double(target[i]);
    out.loss += std::abs(d);
    out.grad[i] = float(double((d > 0) - (d < 0)) / n);  // sign(d) / N
  }
  out.loss /= n;
  return out;
}

LossAndGrad huber(const Tensor& prediction, const Tensor& target, float delta) {
  require_same_shape(prediction, target, "huber");
  if (!(delta > 0.0f)) throw std::invalid_argument("huber: delta must be > 0, got " + std::to_string(delta));
  LossAndGrad out{0.0, Tensor(prediction.shape())};
  const double n = double(std::max<std::size_t>(prediction.size(), 1)), c = delta;
  for (std::size_t i = 0; i < prediction.size(); ++i) {
    const double d = double(prediction[i]) - double(target[i]);
    if (std::abs(d) <= c) {
      out.loss += 0.5 * d * d;        // d^2 / 2
      out.grad[i] = float(d / n);     // d / N
    } else {
      out.loss += c * (std::abs(d) - 0.5 * c);           // delta (|d| - delta / 2)
      out.grad[i] = float(c * double((d > 0) - (d < 0)) / n);  // delta sign(d) / N: bounded however far the outlier
    }
  }
  out.loss /= n;
  return out;
}

}  // namespace dlfs
