// RMSprop (Hinton, Srivastava & Swersky, Coursera lecture 6e, 2012): Adagrad with a memory.
// Instead of summing every squared gradient, keep an exponential moving average of them, so the
// per-parameter rate adapts to recent gradients and does not decay to zero. PyTorch's
// torch.optim.RMSprop, update for update:
//   g_t = dL/dtheta + lambda theta_{t-1}                   (L2 weight decay)
//   v_t = alpha v_{t-1} + (1 - alpha) g_t^2                (v_0 = 0)
//   centered:  a_t = alpha a_{t-1} + (1 - alpha) g_t;  d_t = sqrt(v_t - a_t^2) + eps
//   otherwise: d_t = sqrt(v_t) + eps
//   momentum mu > 0: b_t = mu b_{t-1} + g_t / d_t;  theta_t = theta_{t-1} - lr b_t
//   otherwise:       theta_t = theta_{t-1} - lr g_t / d_t
// Dividing by the root mean square of recent gradients makes every parameter's step about lr in
// size, whatever the scale of its gradient. "Centered" divides by an estimate of the gradient's
// standard deviation instead of its RMS. There is no bias correction (Adam adds one): with
// v_0 = 0, v_1 = (1 - alpha) g_1^2 is 100x too small for alpha = 0.99, so the first steps are up to
// 10x lr; a small lr keeps that start harmless.
//
// Defaults are PyTorch's: lr 1e-2, alpha 0.99, eps 1e-8 (added outside the root), weight_decay 0,
// momentum 0, centered off.
#pragma once

#include <string>
#include <vector>

#include "02-mlp/optimizer.hpp"
#include "07-optimizers/optimizer_state.hpp"

namespace dlfs {

struct RMSpropOptions {
  float alpha = 0.99f;        // smoothing constant in [0, 1)
  float eps = 1e-8f;          // > 0
  float weight_decay = 0.0f;  // lambda >= 0
  float momentum = 0.0f;      // mu in [0, 1)
  bool centered = false;
};

class RMSprop : public Optimizer {
 public:
  explicit RMSprop(std::vector<Parameter*> parameters, float learning_rate = 1e-2f, RMSpropOptions options = {});

  void update_part(std::size_t part, std::size_t parts) override;
  std::string name() const override { return "rmsprop"; }
  // "<param>.square_avg", then "<param>.grad_avg" if centered, "<param>.momentum_buffer" if momentum > 0.
  NamedState state() override;

 private:
  RMSpropOptions options_;
  std::vector<Tensor> square_avg_;  // v, one per parameter
  std::vector<Tensor> grad_avg_;    // a (centered only)
  std::vector<Tensor> velocity_;    // b (momentum only)
};

}  // namespace dlfs
