#include "07-optimizers/adam.hpp"

#include <cmath>

namespace dlfs {

Adam::Adam(std::vector<Parameter*> parameters, float learning_rate, AdamOptions options)
    : Adam(std::move(parameters), learning_rate, options, /*decoupled=*/false) {}

Adam::Adam(std::vector<Parameter*> parameters, float learning_rate, AdamOptions options, bool decoupled)
    : Optimizer(std::move(parameters), learning_rate), options_(options), decoupled_(decoupled) {
  const std::string who = decoupled ? "adamw" : "adam";
  check_hyperparameter(learning_rate >= 0.0f && std::isfinite(learning_rate), who, "learning rate must be >= 0", learning_rate);
  check_hyperparameter(options_.beta1 >= 0.0f && options_.beta1 < 1.0f, who, "beta1 must be in [0, 1)", options_.beta1);
  check_hyperparameter(options_.beta2 >= 0.0f && options_.beta2 < 1.0f, who, "beta2 must be in [0, 1)", options_.beta2);
  check_hyperparameter(options_.eps > 0.0f, who, "eps must be > 0", options_.eps);
  check_hyperparameter(options_.weight_decay >= 0.0f, who, "weight decay must be >= 0", options_.weight_decay);
  exp_avg_ = zeros_like(params_);
  exp_avg_sq_ = zeros_like(params_);
}

NamedState Adam::state() {
  NamedState out;
  add_named_state(out, params_, exp_avg_, "exp_avg");
  add_named_state(out, params_, exp_avg_sq_, "exp_avg_sq");
  out.emplace_back("step", step_.tensor());
  return out;
}

void Adam::begin_step() {
  const std::size_t t = step_.advance();
  // The bias corrections, in double as PyTorch computes them (beta2^t creeps toward 1 slowly).
  const double correction1 = 1.0 - std::pow(double(options_.beta1), double(t));  // 1 - beta1^t
  const double correction2 = 1.0 - std::pow(double(options_.beta2), double(t));  // 1 - beta2^t
  // lr m^ / (sqrt(v^) + eps) = (lr / c1) m / (sqrt(v) / sqrt(c2) + eps)
  step_size_ = float(double(lr_) / correction1);
  sqrt_correction2_ = float(std::sqrt(correction2));
}

void Adam::update_part(std::size_t part, std::size_t parts) {
  const float beta1 = options_.beta1, beta2 = options_.beta2, eps = options_.eps;
  const float step_size = step_size_, sqrt_correction2 = sqrt_correction2_;
  // Adam folds lambda theta into the gradient; AdamW shrinks theta by (1 - lr lambda) instead.
  const float l2 = decoupled_ ? 0.0f : options_.weight_decay;
  const float shrink = decoupled_ ? 1.0f - lr_ * options_.weight_decay : 1.0f;
  for (std::size_t k = 0; k < params_.size(); ++k) {
    float* theta = params_[k]->value.data();
    const float* dtheta = params_[k]->grad.data();
    float* m = exp_avg_[k].data();     // (same shape as the parameter)
    float* v = exp_avg_sq_[k].data();  // (same shape as the parameter)
    const auto [begin, end] = part_of(params_[k]->value.size(), part, parts);
    for (std::size_t i = begin; i < end; ++i) {
      const float g = dtheta[i] + l2 * theta[i];
      theta[i] *= shrink;                             // AdamW: theta <- theta (1 - lr lambda)
      m[i] = beta1 * m[i] + (1.0f - beta1) * g;       // m_t = beta1 m_{t-1} + (1 - beta1) g_t
      v[i] = beta2 * v[i] + (1.0f - beta2) * g * g;   // v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
      const float denom = std::sqrt(v[i]) / sqrt_correction2 + eps;  // sqrt(v^_t) + eps
      theta[i] -= step_size * (m[i] / denom);         // theta -= lr m^_t / (sqrt(v^_t) + eps)
    }
  }
}

}  // namespace dlfs
