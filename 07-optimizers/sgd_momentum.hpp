// SGD with momentum (Polyak 1964), Nesterov's variant (Nesterov 1983, in the form of Sutskever et
// al. 2013) and L2 weight decay: PyTorch's torch.optim.SGD, update for update.
//
// Plain SGD (chapter 02) steps straight down the current gradient. In a long narrow valley that
// gradient points mostly across the valley, so SGD zig-zags from wall to wall and crawls along
// the floor. Momentum keeps a running sum of past gradients, a velocity b:
//   g_t = dL/dtheta + lambda theta_{t-1}          (L2 weight decay, folded into the gradient)
//   b_t = mu b_{t-1} + g_t                        (b_0 = 0, so b_1 = g_1)
//   theta_t = theta_{t-1} - lr b_t
// Across the valley successive gradients alternate in sign and cancel in b; along it they agree
// and add up, to lr / (1 - mu) per unit gradient at steady state (10x plain SGD's for mu = 0.9).
// The price: b carries the parameters past a minimum before the gradient can turn it back
// (overshoot), which shows as ringing in the loss.
//
// Nesterov looks ahead: it uses the gradient at the point momentum is about to carry us to.
// PyTorch (and we) write it without a second gradient evaluation:
//   b_t = mu b_{t-1} + g_t
//   theta_t = theta_{t-1} - lr (g_t + mu b_t)
// which brakes earlier than plain momentum when the gradient turns, and overshoots less.
//
// Defaults are PyTorch's: lr 1e-3, momentum 0, nesterov off, weight_decay 0. (PyTorch's
// `dampening`, default 0, scales g_t by 1 - dampening in b_t; we leave it out.)
#pragma once

#include <string>
#include <vector>

#include "02-mlp/optimizer.hpp"
#include "07-optimizers/optimizer_state.hpp"

namespace dlfs {

struct SGDOptions {
  float momentum = 0.0f;      // mu in [0, 1); 0 is chapter 02's plain SGD
  bool nesterov = false;      // needs momentum > 0
  float weight_decay = 0.0f;  // lambda >= 0: adds lambda theta to the gradient (L2 regularization)
};

class SGDMomentum : public Optimizer {
 public:
  explicit SGDMomentum(std::vector<Parameter*> parameters, float learning_rate = 1e-3f, SGDOptions options = {});

  void update_part(std::size_t part, std::size_t parts) override;
  // "sgd", "sgd-momentum" or "sgd-nesterov".
  std::string name() const override;
  // "<param>.momentum_buffer" for each parameter (none when momentum is 0).
  NamedState state() override;

  const SGDOptions& options() const { return options_; }

 private:
  SGDOptions options_;
  std::vector<Tensor> velocity_;  // b, one per parameter, shaped like it
};

}  // namespace dlfs
