// Layer: the interface every network piece in the book implements, from Dense here to
// convolutions (03), recurrent cells (04), normalization (05) and attention (06).
//
// A layer is a function y = f(x; theta). Training needs two passes through it:
//   forward:  y = f(x), remembering whatever backward will need (the "cache": input_, output_, ...)
//   backward: given dL/dy, return dL/dx (the chain rule: dL/dx = (dy/dx)^T dL/dy) and ADD
//             dL/dtheta into each parameter's gradient (so gradients of a parameter used in
//             several places, or over several micro-batches, sum up; zeroing is separate).
#pragma once

#include <string>
#include <vector>

#include "common/tensor.hpp"

namespace dlfs {

// Part `part` of `parts` of the indices 0 .. n-1: [begin, end). Work shared among threads is cut
// this way: an optimizer's update (optimizer.hpp) and the training step's sum of the gradients
// (train.cpp). Both cut every tensor the same way, so a thread updates the very elements it has
// just summed, while they are in its cache.
struct Range {
  std::size_t begin, end;
};
inline Range part_of(std::size_t n, std::size_t part, std::size_t parts) {
  return {n * part / parts, n * (part + 1) / parts};
}

// A learnable tensor and the gradient of the loss with respect to it (same shape).
struct Parameter {
  std::string name;  // "weight", "bias"; a container prefixes its position: "0.weight"
  Tensor value;
  Tensor grad;
  bool trainable = true;  // false for state that is saved but not optimized (e.g. running statistics)

  Parameter(std::string name_, Tensor value_)
      : name(std::move(name_)), value(std::move(value_)), grad(value.shape()) {}
};

class Layer {
 public:
  virtual ~Layer() = default;

  virtual Tensor forward(const Tensor& input) = 0;
  virtual Tensor backward(const Tensor& doutput) = 0;

  // Every parameter this layer (and any layer inside it) owns, in a fixed order.
  virtual std::vector<Parameter*> parameters() { return {}; }
  // "Dense(784, 256)": describes the architecture (saved with models in chapter 08).
  virtual std::string name() const = 0;

  // Training and evaluation may behave differently (dropout, batch norm in chapter 05).
  virtual void set_training(bool training) { training_ = training; }
  bool training() const { return training_; }

  // The first layer of a network does not need dL/dx (x is data), and neither does any layer
  // reached only through layers without parameters (Sequential passes it on): skipping that
  // product saves a third of its backward pass. When false, backward may return an empty tensor.
  virtual void set_needs_input_grad(bool needed) { needs_input_grad_ = needed; }
  bool needs_input_grad() const { return needs_input_grad_; }

  // The name of a layer here (this one, or one inside a container) whose output for one example
  // depends on the other examples of its batch, as batch norm's statistics do (chapter 05); ""
  // when every example is computed on its own. The training loop refuses to split such a model's
  // batches into micro-batches or share them among replicas: the statistics would change.
  virtual std::string batch_coupled_layer() const { return {}; }

  void zero_grad() {
    for (Parameter* p : parameters()) p->grad.zero();
  }

 protected:
  bool training_ = true;
  bool needs_input_grad_ = true;
};

// Total number of learnable scalars.
std::size_t parameter_count(Layer& layer);

}  // namespace dlfs
