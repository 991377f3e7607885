// Optimizers by name, for command lines and for chapter 08's tuner:
//   "sgd"       SGDMomentum, momentum 0 (chapter 02's SGD)
//   "momentum"  SGDMomentum, momentum 0.9
//   "nesterov"  SGDMomentum, momentum 0.9, Nesterov
//   "rmsprop", "adagrad", "adam", "adamw"   with PyTorch's defaults for everything but the rate
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "02-mlp/optimizer.hpp"

namespace dlfs {

extern const std::vector<std::string> kOptimizerNames;

// Throws std::invalid_argument listing the valid names for an unknown one.
std::unique_ptr<Optimizer> make_optimizer(const std::string& name, std::vector<Parameter*> parameters,
                                          float learning_rate);

}  // namespace dlfs
