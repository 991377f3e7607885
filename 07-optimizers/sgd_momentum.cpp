#include "07-optimizers/sgd_momentum.hpp"

#include <cmath>

namespace dlfs {

SGDMomentum::SGDMomentum(std::vector<Parameter*> parameters, float learning_rate, SGDOptions options)
    : Optimizer(std::move(parameters), learning_rate), options_(options) {
  check_hyperparameter(learning_rate >= 0.0f && std::isfinite(learning_rate), "sgd", "learning rate must be >= 0", learning_rate);
  check_hyperparameter(options_.momentum >= 0.0f && options_.momentum < 1.0f, "sgd", "momentum must be in [0, 1)", options_.momentum);
  check_hyperparameter(!options_.nesterov || options_.momentum > 0.0f, "sgd", "Nesterov momentum needs momentum > 0", options_.momentum);
  check_hyperparameter(options_.weight_decay >= 0.0f, "sgd", "weight decay must be >= 0", options_.weight_decay);
  if (options_.momentum > 0.0f) velocity_ = zeros_like(params_);
}

std::string SGDMomentum::name() const {
  if (options_.momentum == 0.0f) return "sgd";
  return options_.nesterov ? "sgd-nesterov" : "sgd-momentum";
}

NamedState SGDMomentum::state() {
  NamedState out;
  if (!velocity_.empty()) add_named_state(out, params_, velocity_, "momentum_buffer");
  return out;
}

void SGDMomentum::update_part(std::size_t part, std::size_t parts) {
  const float lr = lr_, mu = options_.momentum, lambda = options_.weight_decay;
  const bool nesterov = options_.nesterov;
  for (std::size_t k = 0; k < params_.size(); ++k) {
    float* theta = params_[k]->value.data();       // (same shape as the parameter)
    const float* dtheta = params_[k]->grad.data();  // dL/dtheta
    const auto [begin, end] = part_of(params_[k]->value.size(), part, parts);
    if (velocity_.empty()) {  // no momentum: chapter 02's SGD (plus weight decay)
#pragma omp simd
      for (std::size_t i = begin; i < end; ++i) theta[i] -= lr * (dtheta[i] + lambda * theta[i]);
      continue;
    }
    float* b = velocity_[k].data();  // (same shape as the parameter)
    for (std::size_t i = begin; i < end; ++i) {
      const float g = dtheta[i] + lambda * theta[i];  // g_t = dL/dtheta + lambda theta
      b[i] = mu * b[i] + g;                           // b_t = mu b_{t-1} + g_t
      theta[i] -= lr * (nesterov ? g + mu * b[i]      // Nesterov: look ahead along b_t
                                 : b[i]);
    }
  }
}

}  // namespace dlfs
