#include "02-mlp/optimizer.hpp"

#include "common/ops.hpp"

namespace dlfs {

Optimizer::Optimizer(std::vector<Parameter*> parameters, float learning_rate) : lr_(learning_rate) {
  for (Parameter* p : parameters)
    if (p->trainable) params_.push_back(p);
}

void Optimizer::zero_grad() {
  for (Parameter* p : params_) p->grad.zero();
}

void SGD::step() {
  for (Parameter* p : params_) axpy(-lr_, p->grad, p->value);  // theta -= lr * grad
}

}  // namespace dlfs
