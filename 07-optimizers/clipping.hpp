// Gradient clipping by global norm (Pascanu, Mikolov & Bengio 2013), as PyTorch's
// torch.nn.utils.clip_grad_norm_ does it:
//   n = sqrt(sum over every parameter p, every element i of g_pi^2)     (one norm for all of them)
//   if n > max_norm:  g <- g * max_norm / (n + 1e-6)
// One rare huge gradient (a loss spike, an exploding recurrent net in chapter 04) would otherwise
// throw the parameters far from where training had brought them. Scaling all gradients by the
// same factor keeps the update's direction and only caps its length; clipping each element
// separately would change the direction.
#pragma once

#include <string>
#include <vector>

#include "02-mlp/layer.hpp"
#include "02-mlp/optimizer.hpp"
#include "07-optimizers/optimizer_state.hpp"

namespace dlfs {

// Clips the gradients of the trainable parameters in place and returns their global norm from
// BEFORE clipping (worth logging: it shows how often, and by how much, clipping acts). A
// non-finite norm (an inf or NaN gradient) is returned with the gradients left as they are, so
// the caller can see it and skip the step.
double clip_grad_norm(const std::vector<Parameter*>& params, float max_norm);

// An Optimizer that clips the gradients, then lets `inner` take the step. It slots into chapter
// 02's train_epoch unchanged:
//   Adam adam(model.parameters());
//   ClipGradNorm clipped(adam, model.parameters(), 1.0f);
//   train_epoch(model, clipped, ...);
// The learning rate train_epoch sets on it is passed on to `inner` before every step; state() is
// the inner optimizer's. `inner` must outlive this object.
class ClipGradNorm : public Optimizer {
 public:
  ClipGradNorm(Optimizer& inner, std::vector<Parameter*> parameters, float max_norm);

  void begin_step() override;  // clips (the norm needs every gradient), then inner's begin_step
  void update_part(std::size_t part, std::size_t parts) override { inner_.update_part(part, parts); }
  std::string name() const override { return inner_.name() + "+clip"; }
  NamedState state() override { return inner_.state(); }

  double last_norm() const { return last_norm_; }  // the pre-clip norm of the latest step
  std::size_t clipped_steps() const { return clipped_steps_; }  // steps where clipping acted

 private:
  Optimizer& inner_;
  float max_norm_;
  double last_norm_ = 0.0;
  std::size_t clipped_steps_ = 0;
};

}  // namespace dlfs
