// A character-level language model: read a text one character at a time and, at every position,
// predict the next character.
//
//   ids (B, T) -> Embedding(V, E) -> (B, T, E) -> LSTM / GRU / RNN (E -> H, L layers) -> (B, T, H)
//              -> Dense(H, V) on every position (chapter 02's Dense acts on the last axis)
//              -> logits (B, T, V)
//
// Training data are windows of T + 1 consecutive characters: the first T are the inputs, and the
// target at position t is character t + 1, the one that follows (text_windows). The loss is chapter
// 02's softmax cross-entropy per position, averaged over the B*T positions; in bits (divided by
// ln 2) it is the number of yes/no questions the model still needs, on average, to pin down the
// next character. A model that knows nothing gives every character 1/V: ln V nats, log2 V bits.
//
// Each window starts from a zero state, so the model learns to predict from at most T characters
// of context (the README compares this with the layers' stateful mode).
//
// A model file (common/safetensors.hpp) holds the weights and, in its metadata, everything needed
// to rebuild and use the model: the cell, the sizes, and the vocabulary (vocabulary.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "02-mlp/sequential.hpp"
#include "02-mlp/train.hpp"
#include "04-rnn/recurrent.hpp"
#include "04-rnn/vocabulary.hpp"
#include "common/random.hpp"
#include "common/safetensors.hpp"

namespace dlfs {

struct CharModelConfig {
  std::string cell = "lstm";   // "lstm", "gru" or "rnn"
  std::size_t embedding = 64;  // E
  std::size_t hidden = 256;    // H
  std::size_t layers = 1;      // L
};

extern const std::vector<std::string> kCellNames;  // {"lstm", "gru", "rnn"}

// Embedding(V, E) -> recurrent layer -> Dense(H, V). Throws std::invalid_argument on an unknown
// cell or a zero size.
Sequential make_char_model(const CharModelConfig& config, std::size_t vocabulary_size, Rng& rng);
// The number of parameters that model has, counted without building it:
//   V·E (embedding) + sum over layers l of G·H·(I_l + H + 2) (recurrent) + H·V + V (head)
// with G = 4 gates for an LSTM, 3 for a GRU, 1 for an RNN, I_0 = E and I_l = H above it (each gate
// block has two biases, PyTorch's b_ih and b_hh). SIZE_MAX when the count does not fit in a size_t.
std::size_t char_model_parameter_count(const CharModelConfig& config, std::size_t vocabulary_size);
// The model's recurrent layer (layer 1), e.g. to switch its stateful mode.
Recurrent& recurrent_layer(Sequential& model);

// For its lifetime, puts a character model in evaluation mode and its recurrent layer in stateful
// mode (from a zero state); puts both back as they were when it ends, even on an exception.
class StatefulScope {
 public:
  explicit StatefulScope(Sequential& model);
  ~StatefulScope();
  StatefulScope(const StatefulScope&) = delete;
  StatefulScope& operator=(const StatefulScope&) = delete;

 private:
  Sequential& model_;
  Recurrent& layer_;
  bool was_training_, was_stateful_;
};

// Windows of steps + 1 characters cut from ids with stride `steps`, as chapter 02's Examples:
// window i covers ids[i*T .. i*T + T]; its inputs are the first T ids as floats (B, T), its
// targets the last T (Targets::per_position). Consecutive windows share one character, so every
// character but the first is a target exactly once. Throws std::invalid_argument when ids holds
// fewer than steps + 1 ids.
Examples text_windows(std::vector<int> ids, std::size_t steps);

// The model's metrics on ids read the way a stateful layer reads a long text (truncated BPTT's
// forward pass): the text is cut into `streams` equal parallel streams (row b of the batch reads
// stream b), which go through the model `steps` characters at a time with the state carried from
// chunk to chunk. Every prediction then sees all of its stream before it, not only the window it
// falls in, as evaluate() on text_windows does. Needs at least streams + 1 ids.
Metrics evaluate_stateful(Sequential& model, const std::vector<int>& ids, std::size_t streams, std::size_t steps);

// Saves the weights, and in the metadata the config, the vocabulary, `start` (the text that
// precedes an entry, the default prompt) and `extra`.
void save_char_model(const std::string& path, Sequential& model, const CharModelConfig& config,
                     const Vocabulary& vocabulary, const std::u32string& start, const Metadata& extra = {});

struct CharModel {
  CharModelConfig config;
  Vocabulary vocabulary;
  std::u32string start;
  Sequential model;
  Metadata metadata;
};
// Rebuilds the model a file describes and loads its weights. Throws std::runtime_error
// "<path>: ..." when the file is unreadable, truncated or corrupt, or was not written by
// save_char_model; also when its metadata describe a model of another number of parameters than
// the file holds values, checked before the model is built (a corrupted size must not allocate
// gigabytes).
CharModel load_char_model(const std::string& path);

}  // namespace dlfs
