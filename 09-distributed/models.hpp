// The networks this chapter trains across processes, by name, each built by the chapter that
// teaches it (nothing here defines a layer):
//
//   mlp                          02  Flatten, Dense 784 -> hidden -> ... -> 10
//   lenet, alexnet               03  convolutions and pooling
//   bn-cnn, vgg, resnet, plain   05  batch norm: each process's rows are its batch-norm batch
//   charlm                       04  Embedding -> LSTM, GRU or RNN -> Dense over the characters
//
// The image networks read Fashion-MNIST (B, 1, 28, 28) and output 10 logits; charlm reads windows
// of character ids (B, T) and outputs (B, T, V).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "02-mlp/sequential.hpp"
#include "04-rnn/char_model.hpp"
#include "05-regularization/models.hpp"
#include "common/random.hpp"

namespace dlfs {

extern const std::vector<std::string> kDistributedModelNames;

// What each chapter lets its example change about its network.
struct ModelSettings {
  std::vector<std::size_t> mlp_hidden = {256, 128};  // 02's widths
  std::string mlp_activation = "relu";               // 02
  ModelOptions cnn;                                  // 05's width, blocks
  CharModelConfig charlm;                            // 04's cell, embedding, hidden, layers
  std::size_t vocabulary = 0;                        // charlm: V, from the training text
};

bool is_character_model(const std::string& name);      // charlm
bool has_batch_norm(const std::string& name);          // chapter 05's networks
// Throws std::invalid_argument listing the names for an unknown one.
Sequential make_model(const std::string& name, const ModelSettings& settings, Rng& rng);

}  // namespace dlfs
