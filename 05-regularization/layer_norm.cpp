#include "05-regularization/layer_norm.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace dlfs {

LayerNorm::LayerNorm(std::size_t features, float eps)
    : features_(features), eps_(eps), weight_("weight", Tensor({features}, 1.0f)), bias_("bias", Tensor({features})) {
  if (features == 0) throw std::invalid_argument("LayerNorm: needs at least one feature");
  if (!(eps > 0.0f)) throw std::invalid_argument("LayerNorm: eps must be positive");
}

std::string LayerNorm::name() const {
  std::string s = "LayerNorm(" + std::to_string(features_);
  if (eps_ != kDefaultEps) {
    char text[32];
    std::snprintf(text, sizeof text, ", eps=%g", double(eps_));
    s += text;
  }
  return s + ")";
}

Tensor LayerNorm::forward(const Tensor& input) {
  if (input.ndim() < 1 || input.shape().back() != features_)
    throw std::invalid_argument(name() + ": input of shape " + shape_to_string(input.shape()) + " does not end in " +
                                std::to_string(features_) + " features");
  const std::size_t D = features_, rows = input.size() / D;
  xhat_ = Tensor::uninitialized(input.shape());     // (..., D)
  rstd_ = Tensor({rows});                           // (rows)
  Tensor y = Tensor::uninitialized(input.shape());  // (..., D)
  for (std::size_t r = 0; r < rows; ++r) {
    const float* x = input.data() + r * D;
    double sum = 0.0;
    for (std::size_t j = 0; j < D; ++j) sum += x[j];
    const double mu = sum / double(D);
    double squares = 0.0;
    for (std::size_t j = 0; j < D; ++j) squares += (x[j] - mu) * (x[j] - mu);
    const float rstd = float(1.0 / std::sqrt(squares / double(D) + double(eps_)));  // 1 / sqrt(var + eps)
    rstd_[r] = rstd;
    float* xhat = xhat_.data() + r * D;
    float* out = y.data() + r * D;
    for (std::size_t j = 0; j < D; ++j) {
      xhat[j] = float(x[j] - mu) * rstd;                             // xhat = (x - mu) rstd
      out[j] = weight_.value[j] * xhat[j] + bias_.value[j];          // y = gamma xhat + beta
    }
  }
  return y;
}

Tensor LayerNorm::backward(const Tensor& doutput) {
  require_same_shape(doutput, xhat_, "LayerNorm::backward");
  const std::size_t D = features_, rows = xhat_.size() / D;
  Tensor dx = needs_input_grad_ ? Tensor::uninitialized(xhat_.shape()) : Tensor();  // (..., D)
  for (std::size_t r = 0; r < rows; ++r) {
    const float* dy = doutput.data() + r * D;
    const float* xhat = xhat_.data() + r * D;
    double sum_g = 0.0, sum_g_xhat = 0.0;  // g = dy gamma, the gradient reaching xhat
    for (std::size_t j = 0; j < D; ++j) {
      weight_.grad[j] += dy[j] * xhat[j];  // dgamma += dy xhat
      bias_.grad[j] += dy[j];              // dbeta  += dy
      const double g = double(dy[j]) * weight_.value[j];
      sum_g += g;
      sum_g_xhat += g * xhat[j];
    }
    if (!needs_input_grad_) continue;
    // dx = rstd / D (D g - sum g - xhat sum(g xhat))
    const float scale = rstd_[r] / float(D), sg = float(sum_g), sgx = float(sum_g_xhat);
    float* out = dx.data() + r * D;
    for (std::size_t j = 0; j < D; ++j) out[j] = scale * (float(D) * dy[j] * weight_.value[j] - sg - xhat[j] * sgx);
  }
  return dx;
}

}  // namespace dlfs
