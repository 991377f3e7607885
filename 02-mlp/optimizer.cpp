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

void Optimizer::step() {
  begin_step();
  std::size_t elements = 0;
  for (const Parameter* p : params_) elements += p->value.size();
  if (!parallel_update(elements)) return update_part(0, 1);
#pragma omp parallel
  update_part(std::size_t(omp_get_thread_num()), std::size_t(omp_get_num_threads()));
}

void SGD::update_part(std::size_t part, std::size_t parts) {
  // A local copy: the loop writes through a float*, which might point at lr_ itself for all the
  // compiler knows, so with lr_ in the loop it reloads it every time and does not vectorize.
  const float lr = lr_;
  for (Parameter* p : params_) {
    float* theta = p->value.data();
    const float* dtheta = p->grad.data();
    const auto [begin, end] = part_of(p->value.size(), part, parts);
#pragma omp simd
    for (std::size_t i = begin; i < end; ++i) theta[i] -= lr * dtheta[i];  // theta -= lr * grad
  }
}

}  // namespace dlfs
