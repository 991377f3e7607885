// Embedding: token ids -> learned vectors, like torch.nn.Embedding. Row `id` of the weight
// matrix is the vector of token `id`.
//
//   forward   y[b, t, :] = W[ids[b, t], :]          ids (B, T), W (N, D), y (B, T, D)
//             (the same as one_hot(ids) W, without multiplying by all those zeros)
//   backward  dW[id, :] += sum of dy[b, t, :] over every (b, t) with ids[b, t] == id
//             (one_hot(ids)^T dy: a token that appears twice gets both gradients added up)
//             The ids are integers, not a function of anything learnable: they have no gradient,
//             so backward returns an empty tensor.
//
// Ids as floats. Layer::forward takes a float Tensor, so the ids arrive as floats holding exact
// integers (a float holds every integer up to 2^24 = 16,777,216 exactly, hence that limit on N).
// forward checks that each one is an integer in [0, N) and throws std::invalid_argument naming the
// first one that is not. Any shape of ids works: (...) -> (..., D).
#pragma once

#include <vector>

#include "02-mlp/layer.hpp"
#include "common/random.hpp"

namespace dlfs {

class Embedding : public Layer {
 public:
  // Weights from N(0, 1), as PyTorch initialises them.
  Embedding(std::size_t num_embeddings, std::size_t embedding_dim, Rng& rng);

  Tensor forward(const Tensor& ids) override;       // (B, T) ids -> (B, T, D)
  Tensor backward(const Tensor& doutput) override;  // (B, T, D) -> empty (ids have no gradient)
  std::vector<Parameter*> parameters() override { return {&weight_}; }
  std::string name() const override;  // "Embedding(65, 32)"

  Parameter& weight() { return weight_; }  // (N, D)
  std::size_t num_embeddings() const { return num_; }
  std::size_t embedding_dim() const { return dim_; }

 private:
  std::size_t num_, dim_;
  Parameter weight_;              // (N, D)
  std::vector<std::size_t> ids_;  // (B*T): the ids of the last forward, for the scatter-add
};

}  // namespace dlfs
