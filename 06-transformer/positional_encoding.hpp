// Positional encodings: where in the sequence a token sits.
//
// Attention (attention.hpp) compares every query with every key by a dot product and mixes the
// values by the resulting weights. Nothing in that depends on the order of the tokens: permute the
// rows of the input and the output rows are permuted the same way. A language model must know that
// "dog bites man" is not "man bites dog", so each position t gets a vector P[t] (D) that is added
// to the token's embedding before the first block:
//
//   y[b, t, :] = x[b, t, :] + P[start + t, :]        x, y (B, T, D), P (context, D)
//
// start is 0 in training; with a key-value cache (generation, gpt.hpp) the new tokens continue
// the positions the cache already holds. Two ways to choose P:
//
//   Sinusoidal (Vaswani et al. 2017), fixed, nothing to learn. With i = floor(j / 2):
//     P[t, j] = sin(t / 10000^(2i / D))   j even
//     P[t, j] = cos(t / 10000^(2i / D))   j odd
//   Each pair of columns is a clock hand turning at its own speed, from one turn every 2 pi
//   positions (i = 0) to one every 2 pi * 10000 (i = D/2 - 1). For a fixed offset k the pair at
//   t + k is the pair at t rotated by the angle k / 10000^(2i/D): a linear function of P[t], the
//   same for every t, so "k positions back" is something a query projection can express.
//
//   Learned (GPT-2): P is a parameter, trained like the token embedding. Initialised from
//   N(0, 0.02^2) as GPT-2 does; PyTorch's nn.Embedding would draw N(0, 1).
//
// Backward: y = x + P[start + t] gives dx = dy, and for a learned table
//   dP[start + t, :] += sum over b of dy[b, t, :]        (every sequence of the batch uses row t)
#pragma once

#include "02-mlp/layer.hpp"
#include "common/random.hpp"

namespace dlfs {

class PositionalEncoding : public Layer {
 public:
  // (B, T, D) -> (B, T, D), positions start .. start + T - 1. Throws std::invalid_argument naming
  // the layer when the input is not (B, T, D) or start + T is more than the table's context.
  Tensor forward_from(const Tensor& input, std::size_t start);
  Tensor forward(const Tensor& input) override { return forward_from(input, 0); }
  Tensor backward(const Tensor& doutput) override;  // (B, T, D) -> (B, T, D)

  std::size_t context() const { return table_.value.dim(0); }   // positions the table holds
  std::size_t features() const { return table_.value.dim(1); }  // D
  const Tensor& table() const { return table_.value; }          // P (context, D)

 protected:
  PositionalEncoding(Tensor table, bool learned);
  Parameter table_;  // P (context, D); "weight" when learned

 private:
  bool learned_;
  std::size_t start_ = 0;  // positions of the last forward: start_ ..
  Shape input_shape_;      // .. start_ + T - 1, for input (B, T, D)
};

// The fixed sine/cosine table P (context, D) defined above.
Tensor sinusoidal_table(std::size_t context, std::size_t features);

class SinusoidalPositions : public PositionalEncoding {
 public:
  SinusoidalPositions(std::size_t context, std::size_t features);
  std::string name() const override;  // "SinusoidalPositions(64, 128)"
  // No parameters: the table is a function of (context, D) and is not saved with a model.
};

class LearnedPositions : public PositionalEncoding {
 public:
  LearnedPositions(std::size_t context, std::size_t features, Rng& rng);
  std::string name() const override;  // "LearnedPositions(64, 128)"
  std::vector<Parameter*> parameters() override { return {&table_}; }  // "weight" (context, D)
  Parameter& weight() { return table_; }
};

}  // namespace dlfs
