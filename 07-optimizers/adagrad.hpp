// Adagrad (Duchi, Hazan & Singer 2011): a learning rate per parameter, shrinking with the total
// squared gradient that parameter has seen. PyTorch's torch.optim.Adagrad, update for update:
//   g_t = dL/dtheta + lambda theta_{t-1}                  (L2 weight decay)
//   lr_t = lr / (1 + (t - 1) eta)                         (optional lr decay eta, default 0)
//   s_t = s_{t-1} + g_t^2                                 (s_0 = initial_accumulator_value)
//   theta_t = theta_{t-1} - lr_t g_t / (sqrt(s_t) + eps)
// Parameters with rare but large gradients (the weights of rare features) keep large steps;
// often-updated ones get small steps. Since s only grows, the effective rate only falls: good for
// convex problems, too early a stop for long non-convex training (what RMSprop fixes).
// eps is added to sqrt(s), outside the root, as PyTorch does; it only guards the division.
//
// Defaults are PyTorch's: lr 1e-2, lr_decay 0, weight_decay 0, initial_accumulator_value 0, eps 1e-10.
#pragma once

#include <string>
#include <vector>

#include "02-mlp/optimizer.hpp"
#include "07-optimizers/optimizer_state.hpp"

namespace dlfs {

struct AdagradOptions {
  float lr_decay = 0.0f;                   // eta >= 0
  float weight_decay = 0.0f;               // lambda >= 0
  float initial_accumulator_value = 0.0f;  // s_0 >= 0
  float eps = 1e-10f;                      // > 0
};

class Adagrad : public Optimizer {
 public:
  explicit Adagrad(std::vector<Parameter*> parameters, float learning_rate = 1e-2f, AdagradOptions options = {});

  void begin_step() override;
  void update_part(std::size_t part, std::size_t parts) override;
  std::string name() const override { return "adagrad"; }
  // "<param>.sum" for each parameter, then "step".
  NamedState state() override;

 private:
  AdagradOptions options_;
  std::vector<Tensor> sum_;  // s, one per parameter
  StepCounter step_;
  float lr_t_ = 0.0f;  // this step's decayed rate
};

}  // namespace dlfs
