#include "07-optimizers/rmsprop.hpp"

#include <algorithm>
#include <cmath>

namespace dlfs {

RMSprop::RMSprop(std::vector<Parameter*> parameters, float learning_rate, RMSpropOptions options)
    : Optimizer(std::move(parameters), learning_rate), options_(options) {
  check_hyperparameter(learning_rate >= 0.0f && std::isfinite(learning_rate), "rmsprop", "learning rate must be >= 0", learning_rate);
  check_hyperparameter(options_.alpha >= 0.0f && options_.alpha < 1.0f, "rmsprop", "alpha must be in [0, 1)", options_.alpha);
  check_hyperparameter(options_.eps > 0.0f, "rmsprop", "eps must be > 0", options_.eps);
  check_hyperparameter(options_.weight_decay >= 0.0f, "rmsprop", "weight decay must be >= 0", options_.weight_decay);
  check_hyperparameter(options_.momentum >= 0.0f && options_.momentum < 1.0f, "rmsprop", "momentum must be in [0, 1)", options_.momentum);
  square_avg_ = zeros_like(params_);
  if (options_.centered) grad_avg_ = zeros_like(params_);
  if (options_.momentum > 0.0f) velocity_ = zeros_like(params_);
}

NamedState RMSprop::state() {
  NamedState out;
  add_named_state(out, params_, square_avg_, "square_avg");
  if (!grad_avg_.empty()) add_named_state(out, params_, grad_avg_, "grad_avg");
  if (!velocity_.empty()) add_named_state(out, params_, velocity_, "momentum_buffer");
  return out;
}

namespace {

// One parameter's update. The two switches are template arguments so that each of the four
// variants compiles to a loop without branches, which the compiler vectorizes.
template <bool Centered, bool Momentum>
void rmsprop_update(float* theta, const float* dtheta, float* v, float* a, float* b, Range range, float lr,
                    const RMSpropOptions& o) {
  const float alpha = o.alpha, eps = o.eps, lambda = o.weight_decay, mu = o.momentum;
  for (std::size_t i = range.begin; i < range.end; ++i) {
    const float g = dtheta[i] + lambda * theta[i];
    v[i] = alpha * v[i] + (1.0f - alpha) * g * g;  // v_t = alpha v_{t-1} + (1 - alpha) g_t^2
    float mean_square = v[i];
    if constexpr (Centered) {
      a[i] = alpha * a[i] + (1.0f - alpha) * g;    // a_t = alpha a_{t-1} + (1 - alpha) g_t
      // v_t - a_t^2 is a variance, >= 0 in exact arithmetic; the max keeps float rounding from
      // taking the root of a tiny negative number.
      mean_square = std::max(v[i] - a[i] * a[i], 0.0f);
    }
    const float d = std::sqrt(mean_square) + eps;  // d_t: the RMS (or standard deviation) of recent g, plus eps
    if constexpr (Momentum) {
      b[i] = mu * b[i] + g / d;                    // b_t = mu b_{t-1} + g_t / d_t
      theta[i] -= lr * b[i];
    } else {
      theta[i] -= lr * (g / d);                    // theta -= lr g_t / d_t
    }
  }
}

}  // namespace

void RMSprop::update_part(std::size_t part, std::size_t parts) {
  const bool centered = options_.centered, momentum = options_.momentum > 0.0f;
  for (std::size_t k = 0; k < params_.size(); ++k) {
    float* theta = params_[k]->value.data();
    const float* dtheta = params_[k]->grad.data();
    float* v = square_avg_[k].data();                        // (same shape as the parameter)
    float* a = centered ? grad_avg_[k].data() : nullptr;     // (same shape, centered only)
    float* b = momentum ? velocity_[k].data() : nullptr;     // (same shape, momentum only)
    const Range range = part_of(params_[k]->value.size(), part, parts);
    if (centered && momentum) rmsprop_update<true, true>(theta, dtheta, v, a, b, range, lr_, options_);
    else if (centered) rmsprop_update<true, false>(theta, dtheta, v, a, b, range, lr_, options_);
    else if (momentum) rmsprop_update<false, true>(theta, dtheta, v, a, b, range, lr_, options_);
    else rmsprop_update<false, false>(theta, dtheta, v, a, b, range, lr_, options_);
  }
}

}  // namespace dlfs
