#include "05-regularization/dropout.hpp"

#include <cstdio>
#include <stdexcept>

namespace dlfs {

Dropout::Dropout(float p, Rng& rng) : p_(p), rng_(rng.next_u64()) {
  if (!(p >= 0.0f && p < 1.0f))
    throw std::invalid_argument("Dropout: p must be in [0, 1), got " + std::to_string(p));
}

std::string Dropout::name() const {
  char text[32];
  std::snprintf(text, sizeof text, "Dropout(p=%g)", double(p_));
  return text;
}

Tensor Dropout::forward(const Tensor& input) {
  masked_ = training_ && p_ > 0.0f;
  if (!masked_) return input;  // evaluation (or p = 0): the identity
  const float keep_scale = 1.0f / (1.0f - p_);
  mask_ = Tensor::uninitialized(input.shape());  // (B, ...)
  Tensor y = Tensor::uninitialized(input.shape());  // (B, ...)
  for (std::size_t i = 0; i < input.size(); ++i) {
    // m_i = 1 / (1 - p) with probability 1 - p (uniform() is in [0, 1): below p means "drop")
    mask_[i] = rng_.uniform() < p_ ? 0.0f : keep_scale;
    y[i] = mask_[i] * input[i];
  }
  return y;
}

Tensor Dropout::backward(const Tensor& doutput) {
  if (!masked_) return doutput;
  require_same_shape(doutput, mask_, "Dropout::backward");
  Tensor dx = Tensor::uninitialized(doutput.shape());  // (B, ...)
  for (std::size_t i = 0; i < doutput.size(); ++i) dx[i] = mask_[i] * doutput[i];  // dx = m dy
  return dx;
}

}  // namespace dlfs
