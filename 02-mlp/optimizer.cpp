#include "02-mlp/optimizer.hpp"

#include <omp.h>

namespace dlfs {

bool parallel_update(std::size_t elements) { return elements >= (std::size_t(1) << 16) && !omp_in_parallel(); }

Optimizer::Optimizer(std::vector<Parameter*> parameters, float learning_rate) : lr_(learning_rate) {
  for (Parameter* p : parameters)
    if (p->trainable) params_.push_back(p);
}

void Optimizer::zero_grad() {
  for (Parameter* p : params_) p->grad.zero();
}

void SGD::step() {
  // A local copy: the loop writes through a float*, which might point at lr_ itself for all the
  // compiler knows, so with lr_ in the loop it reloads it every time and does not vectorize.
  const float lr = lr_;
  for (Parameter* p : params_) {
    float* theta = p->value.data();
    const float* dtheta = p->grad.data();
    const std::size_t n = p->value.size();
#pragma omp parallel for simd schedule(static) if (parallel : parallel_update(n))
    for (std::size_t i = 0; i < n; ++i) theta[i] -= lr * dtheta[i];  // theta -= lr * grad
  }
}

}  // namespace dlfs
