// Building an MLP from a description: the piece later chapters (07's optimizer comparison,
// 08's tuner, the benchmarks) reuse to make "the 02 MLP".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "02-mlp/sequential.hpp"
#include "common/random.hpp"

namespace dlfs {

// "relu", "sigmoid", "tanh", "leaky_relu", "gelu" -> a new activation layer.
// Throws std::invalid_argument listing the valid names.
std::unique_ptr<Layer> make_activation(const std::string& name);
extern const std::vector<std::string> kActivationNames;

// Flatten, then inputs -> hidden[0] -> ... -> hidden[n-1] -> outputs, with `activation` after every hidden
// Dense layer and raw logits out. He initialisation for ReLU-like activations, Xavier otherwise.
Sequential make_mlp(std::size_t inputs, const std::vector<std::size_t>& hidden, std::size_t outputs,
                    const std::string& activation, Rng& rng);

// The hidden widths as a flag gives them: "256,128" -> {256, 128}. Throws std::invalid_argument
// naming --hidden when an item is not a whole number from 1 to 100000, or when there is none.
std::vector<std::size_t> parse_hidden_widths(const std::string& text);

}  // namespace dlfs
