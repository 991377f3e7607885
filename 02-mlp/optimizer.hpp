// Optimizer: turns gradients into parameter updates. Chapter 02 needs only plain SGD,
//   theta <- theta - lr * dL/dtheta,
// but the interface is the one chapter 07 fills with momentum, RMSprop, Adam and friends: an
// optimizer owns per-parameter state (velocities, moment estimates), exposed by name so that
// chapter 08 can checkpoint it and resume exactly.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "02-mlp/layer.hpp"

namespace dlfs {

// Elementwise work over large tensors splits over threads with nothing to merge: the activations
// and chapter 05's residual sum use parallel_elementwise below, and an optimizer's step is split
// the same way (Optimizer::step). Below this size waking the other core costs more than it saves;
// inside a parallel region (a caller already using the cores) the work stays on the calling thread.
bool parallel_update(std::size_t elements);

// body(i) for i = 0 .. n-1, split between the threads when parallel_update(n). An `omp parallel if`
// would not do inside a replica's thread: a region that does not go parallel still opens a team of
// one, every time (LeNet-5's epoch at two threads went from 1.2-1.5 s to 1.6-2.0 s that way).
template <class Body>
void parallel_elementwise(std::size_t n, const Body& body) {
  if (!parallel_update(n)) {
    for (std::size_t i = 0; i < n; ++i) body(i);
    return;
  }
#pragma omp parallel for simd schedule(static)
  for (std::size_t i = 0; i < n; ++i) body(i);
}

class Optimizer {
 public:
  Optimizer(std::vector<Parameter*> parameters, float learning_rate);
  virtual ~Optimizer() = default;

  // One update of every trainable parameter from its current gradient: begin_step, then
  // update_part over every element, on both cores when there are enough elements to share.
  void step();

  // A step is two parts, so that threads already running (train_on_batch's, right after they have
  // summed the gradients) can share it: one thread calls begin_step (the per-step numbers: Adam's
  // step count, a clipping norm), then every thread t of T calls update_part(t, T), which updates
  // part_of(n, t, T) of every parameter's n elements. An update is elementwise, so how it is
  // split changes who computes each element, never its value.
  virtual void begin_step() {}
  virtual void update_part(std::size_t part, std::size_t parts) = 0;
  virtual std::string name() const = 0;

  void zero_grad();
  float learning_rate() const { return lr_; }
  void set_learning_rate(float lr) { lr_ = lr; }

  // Named state tensors, e.g. {"0.weight.velocity", &v}; empty for plain SGD.
  virtual std::vector<std::pair<std::string, Tensor*>> state() { return {}; }

 protected:
  std::vector<Parameter*> params_;  // trainable ones only
  float lr_;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Parameter*> parameters, float learning_rate) : Optimizer(std::move(parameters), learning_rate) {}
  void update_part(std::size_t part, std::size_t parts) override;
  std::string name() const override { return "sgd"; }
};

}  // namespace dlfs
