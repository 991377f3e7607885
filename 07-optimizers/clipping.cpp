#include "07-optimizers/clipping.hpp"

#include <cmath>

#include "common/ops.hpp"

namespace dlfs {

double clip_grad_norm(const std::vector<Parameter*>& params, float max_norm) {
  check_hyperparameter(max_norm > 0.0f, "clip_grad_norm", "max_norm must be > 0", max_norm);
  // n^2 = sum_p sum_i g_pi^2, accumulated in double: a few million squares lose nothing.
  double squares = 0.0;
  for (const Parameter* p : params)
    if (p->trainable)
      for (float g : p->grad) squares += double(g) * double(g);
  const double norm = std::sqrt(squares);
  if (!std::isfinite(norm)) return norm;
  const double scale = double(max_norm) / (norm + 1e-6);  // PyTorch's 1e-6 guards n = 0
  if (scale < 1.0)
    for (Parameter* p : params)
      if (p->trainable) p->grad *= float(scale);  // g <- g max_norm / (n + 1e-6)
  return norm;
}

ClipGradNorm::ClipGradNorm(Optimizer& inner, std::vector<Parameter*> parameters, float max_norm)
    : Optimizer(std::move(parameters), inner.learning_rate()), inner_(inner), max_norm_(max_norm) {
  check_hyperparameter(max_norm > 0.0f, "clip_grad_norm", "max_norm must be > 0", max_norm);
}

void ClipGradNorm::begin_step() {
  last_norm_ = clip_grad_norm(params_, max_norm_);
  if (last_norm_ > max_norm_) ++clipped_steps_;
  inner_.set_learning_rate(lr_);  // train_epoch set the schedule's rate on us, not on inner
  inner_.begin_step();
}

}  // namespace dlfs
