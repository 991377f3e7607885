// The bookkeeping every optimizer of this chapter shares: one state tensor per parameter, shaped
// like it (a velocity, a moment estimate), and a step counter.
//
// State is allocated in the constructor, as zeros, not lazily on the first step as PyTorch does:
// then state() lists every tensor from the start, so chapter 08 can load a checkpoint into a
// fresh optimizer before it has stepped, and the first step of a zero buffer is the same update
// PyTorch's lazily cloned buffer gives (every rule here starts from m_0 = 0 or from g_1 exactly).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "02-mlp/layer.hpp"

namespace dlfs {

using NamedState = std::vector<std::pair<std::string, Tensor*>>;

// Throws std::invalid_argument "<who>: <rule>, got <value>" unless ok, e.g.
// "adam: beta1 must be in [0, 1), got 1". Every constructor checks its hyperparameters with it.
void check_hyperparameter(bool ok, const std::string& who, const std::string& rule, float value);

// One zero tensor per parameter, with that parameter's shape.
std::vector<Tensor> zeros_like(const std::vector<Parameter*>& params, float value = 0.0f);

// Appends {"<parameter name>.<suffix>", &tensors[i]} for every parameter, e.g. "0.weight.exp_avg".
void add_named_state(NamedState& out, const std::vector<Parameter*>& params,
                     std::vector<Tensor>& tensors, const std::string& suffix);

// The number of steps taken, kept in a 1-element tensor so it is checkpointed with the rest of
// the state ("step"). A float counts integers exactly up to 2^24 (16.7 million steps).
class StepCounter {
 public:
  std::size_t advance() { return std::size_t(count_[0] += 1.0f); }  // returns the new count t (1-based)
  std::size_t count() const { return std::size_t(count_[0]); }
  Tensor* tensor() { return &count_; }

 private:
  Tensor count_{{1}};  // (1)
};

}  // namespace dlfs
