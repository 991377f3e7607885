// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019): momentum and RMSprop in one,
// with the bias of their zero start corrected. PyTorch's torch.optim.Adam and AdamW, update for
// update:
//   g_t = dL/dtheta  (+ lambda theta_{t-1} for Adam's coupled L2 weight decay)
//   AdamW only: theta_{t-1} <- theta_{t-1} (1 - lr lambda)    (decoupled weight decay)
//   m_t = beta1 m_{t-1} + (1 - beta1) g_t                       (first moment: a momentum)
//   v_t = beta2 v_{t-1} + (1 - beta2) g_t^2                     (second moment: RMSprop's average)
//   m^_t = m_t / (1 - beta1^t),  v^_t = v_t / (1 - beta2^t)       (bias correction)
//   theta_t = theta_{t-1} - lr m^_t / (sqrt(v^_t) + eps)
//
// Bias correction: m_0 = v_0 = 0, so m_t is a weighted average whose weights sum to 1 - beta1^t,
// not 1: early on m and v are too small (by 10x and 1000x at t = 1). Dividing by that sum makes
// them unbiased averages from the first step; at t = 1, m^_1 = g_1 and v^_1 = g_1^2, so the first
// step is lr g_1 / |g_1| = lr sign(g_1) for every parameter, whatever its gradient's scale.
// (eps is added after the correction, outside the root, as PyTorch does.)
//
// Why AdamW: with Adam, an L2 penalty lambda theta enters g_t and is then divided by sqrt(v^_t),
// so a parameter with large gradients is barely decayed and one with small gradients strongly:
// the regularization is uneven and tied to the gradient scale. AdamW takes the decay out of the
// gradient and shrinks every weight by the same factor (1 - lr lambda) per step, as SGD's L2 would.
//
// Defaults are PyTorch's: lr 1e-3, betas (0.9, 0.999), eps 1e-8; weight_decay 0 for Adam and
// 0.01 for AdamW. (PyTorch's amsgrad option is left as an exercise.)
#pragma once

#include <string>
#include <vector>

#include "02-mlp/optimizer.hpp"
#include "07-optimizers/optimizer_state.hpp"

namespace dlfs {

struct AdamOptions {
  float beta1 = 0.9f;         // in [0, 1)
  float beta2 = 0.999f;       // in [0, 1)
  float eps = 1e-8f;          // > 0
  float weight_decay = 0.0f;  // lambda >= 0; Adam: L2 in the gradient; AdamW: decoupled
};

class Adam : public Optimizer {
 public:
  explicit Adam(std::vector<Parameter*> parameters, float learning_rate = 1e-3f, AdamOptions options = {});

  void begin_step() override;
  void update_part(std::size_t part, std::size_t parts) override;
  std::string name() const override { return decoupled_ ? "adamw" : "adam"; }
  // "<param>.exp_avg" for each parameter, then "<param>.exp_avg_sq", then "step".
  NamedState state() override;

  const AdamOptions& options() const { return options_; }

 protected:
  Adam(std::vector<Parameter*> parameters, float learning_rate, AdamOptions options, bool decoupled);

 private:
  AdamOptions options_;
  bool decoupled_;               // true for AdamW
  std::vector<Tensor> exp_avg_;     // m, one per parameter
  std::vector<Tensor> exp_avg_sq_;  // v, one per parameter
  StepCounter step_;
  float step_size_ = 0.0f, sqrt_correction2_ = 1.0f;  // this step's lr / (1 - beta1^t), sqrt(1 - beta2^t)
};

// PyTorch's AdamW default weight decay.
struct AdamWOptions : AdamOptions {
  AdamWOptions() { weight_decay = 0.01f; }
};

class AdamW : public Adam {
 public:
  explicit AdamW(std::vector<Parameter*> parameters, float learning_rate = 1e-3f, AdamWOptions options = {})
      : Adam(std::move(parameters), learning_rate, options, /*decoupled=*/true) {}
};

}  // namespace dlfs
