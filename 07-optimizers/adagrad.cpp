#include "07-optimizers/adagrad.hpp"

#include <cmath>

namespace dlfs {

Adagrad::Adagrad(std::vector<Parameter*> parameters, float learning_rate, AdagradOptions options)
    : Optimizer(std::move(parameters), learning_rate), options_(options) {
  check_hyperparameter(learning_rate >= 0.0f && std::isfinite(learning_rate), "adagrad", "learning rate must be >= 0", learning_rate);
  check_hyperparameter(options_.lr_decay >= 0.0f, "adagrad", "lr_decay must be >= 0", options_.lr_decay);
  check_hyperparameter(options_.weight_decay >= 0.0f, "adagrad", "weight decay must be >= 0", options_.weight_decay);
  check_hyperparameter(options_.initial_accumulator_value >= 0.0f, "adagrad", "initial_accumulator_value must be >= 0",
                       options_.initial_accumulator_value);
  check_hyperparameter(options_.eps > 0.0f, "adagrad", "eps must be > 0", options_.eps);
  sum_ = zeros_like(params_, options_.initial_accumulator_value);
}

NamedState Adagrad::state() {
  NamedState out;
  add_named_state(out, params_, sum_, "sum");
  out.emplace_back("step", step_.tensor());
  return out;
}

void Adagrad::begin_step() {
  const std::size_t t = step_.advance();
  // lr_t = lr / (1 + (t - 1) eta)
  lr_t_ = float(double(lr_) / (1.0 + double(t - 1) * options_.lr_decay));
}

void Adagrad::update_part(std::size_t part, std::size_t parts) {
  const float lr_t = lr_t_, lambda = options_.weight_decay, eps = options_.eps;
  for (std::size_t k = 0; k < params_.size(); ++k) {
    float* theta = params_[k]->value.data();
    const float* dtheta = params_[k]->grad.data();
    float* s = sum_[k].data();  // (same shape as the parameter)
    const auto [begin, end] = part_of(params_[k]->value.size(), part, parts);
    for (std::size_t i = begin; i < end; ++i) {
      const float g = dtheta[i] + lambda * theta[i];
      s[i] += g * g;                                       // s_t = s_{t-1} + g_t^2
      theta[i] -= lr_t * (g / (std::sqrt(s[i]) + eps));    // theta -= lr_t g / (sqrt(s_t) + eps)
    }
  }
}

}  // namespace dlfs
