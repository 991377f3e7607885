// Scaled dot-product attention (Vaswani et al. 2017), for H heads at once.
//
// Attention is a soft dictionary lookup. Every position t asks a question, its query q_t; every
// position j offers a key k_j and a value v_j. The answer at t is a mix of the values, weighted by
// how well each key matches the query. For one sequence and one head, with Q, K, V (T, d):
//
//   S = Q K^T / sqrt(d)          (T, T)   S_ij: how well query i matches key j
//   S_ij = -inf for j > i        causal mask: position i may not look at later positions
//   P = softmax(S), row by row   (T, T)   each row sums to 1: the lookup's weights
//   O = P V                      (T, d)   row i is the weighted mean of the value rows
//
// Why divide by sqrt(d): with entries of unit variance, a dot product of d terms has variance d,
// so without the division the scores grow with the width, the softmax saturates (one weight near
// 1, the others near 0) and its gradient, P (dP - ...), vanishes. Dividing keeps Var(S_ij) = 1.
//
// The input is the output of one fused projection (multi_head_attention.hpp), three blocks side
// by side on the last axis, and each block is H heads of d = D / H columns:
//
//   qkv (B, T, 3D) = [Q | K | V],   Q = [Q_0 | Q_1 | ... | Q_{H-1}],   Q_h (T, d) for each b
//
// "Splitting the heads" is only a reshape, (B, T, 3D) -> (B, T, 3, H, d): head h of batch row b
// is the (T, d) matrix that starts at qkv[b, 0, h d] with rows 3D floats apart. A matrix multiply
// takes a row stride (the leading dimension), so every product below reads the heads where they
// lie, and writes O_h into columns h d .. h d + d - 1 of the output (B, T, D): the heads come out
// merged, again without a copy.
//
// Backward, given dO (B, T, D), for each batch row and head (derived in the README):
//   dV = P^T dO                        (T, T)^T (T, d)
//   dP = dO V^T                        (T, d) (d, T)
//   dS = P ⊙ (dP - rowsum(dP ⊙ P))     the softmax's backward, O(T^2) per head, no T^3 Jacobian
//   dQ = dS K / sqrt(d),   dK = dS^T Q / sqrt(d)
// Masked entries have P_ij = 0, so dS_ij = 0: no gradient flows to the future either.
//
// Dropout on the attention weights (GPT-2's attn_pdrop) is chapter 05's Dropout applied to P in
// training: O = (M ⊙ P) V, and dP above is then M ⊙ (dO V^T).
//
// Every (batch row, head) pair is independent: the pairs are shared among OpenMP's threads, and
// each pair's products are GEMMs on one thread (common/gemm.hpp stays single-threaded inside a
// parallel region).
#pragma once

#include <cstddef>

#include "02-mlp/layer.hpp"
#include "05-regularization/dropout.hpp"
#include "common/random.hpp"

namespace dlfs {

// The softmax of one row of n scores, where -infinity marks a masked entry:
//   m = max_j s_j,   p_j = exp(s_j - m) / sum_k exp(s_k - m)
// Subtracting m keeps exp from overflowing (the largest term is exp(0) = 1), so scores as large
// as 1e30 give finite weights. A row whose every entry is masked gives zeros (never 0/0 = NaN).
// scores and probs may be the same array.
void masked_softmax_row(const float* scores, float* probs, std::size_t n);

class ScaledDotProductAttention : public Layer {
 public:
  // heads H; causal: mask the future; dropout: the probability of dropping an attention weight
  // in training (0: none), its mask drawn from a stream seeded from rng.
  ScaledDotProductAttention(std::size_t heads, bool causal, float dropout, Rng& rng);

  // (B, T, 3D) -> (B, T, D). Throws std::invalid_argument naming the layer when the input is not
  // (B, T, 3D) with D a multiple of H.
  Tensor forward(const Tensor& qkv) override;
  Tensor backward(const Tensor& doutput) override;  // (B, T, D) -> (B, T, 3D)
  std::string name() const override;                // "ScaledDotProductAttention(heads=4, causal)"
  void set_training(bool training) override;

  std::size_t heads() const { return heads_; }
  bool causal() const { return causal_; }
  Dropout& weight_dropout() { return dropout_; }  // on P, in training
  // P (B, H, T, T) of the last forward (before dropout): row i of [b, h] is how much position i
  // of sequence b drew from each position in head h. (B, H, T_new, length) after forward_cached.
  const Tensor& attention_weights() const { return probs_; }

  // ---- Key-value cache, for generation one token at a time -------------------------------------
  // Generating token t + 1 needs the attention of position t over positions 0..t. Their keys and
  // values do not change when a token is appended (the mask keeps earlier positions from seeing
  // later ones), so they are kept instead of recomputed: each new token then costs O(t D) here,
  // not a whole forward pass over the t tokens before it.
  //
  // Empties the cache and sets how many positions it can hold.
  void clear_cache(std::size_t capacity);
  // Appends the keys and values of qkv (B, T_new, 3D) to the cache, then attends from the T_new
  // new queries over every cached position (causal: new query i, at position length + i, sees
  // positions 0 .. length + i). -> (B, T_new, D). Evaluation only: no dropout, and backward()
  // refuses to run after it. Throws std::invalid_argument when the cache would overflow or the
  // batch size differs from the cache's.
  Tensor forward_cached(const Tensor& qkv);
  std::size_t cache_length() const { return cache_length_; }

 private:
  // Checks qkv (B, T, 3D) and returns D.
  std::size_t model_width(const Tensor& qkv) const;

  std::size_t heads_;
  bool causal_;
  Dropout dropout_;
  Tensor qkv_;      // (B, T, 3D): the input of the last forward
  Tensor probs_;    // (B, H, T, T): P
  Tensor dropped_;  // (B, H, T, T): M ⊙ P, when dropout was applied
  bool dropped_in_forward_ = false;  // whether it was: backward follows the forward, not the current mode
  bool cached_forward_ = false;  // the last forward was forward_cached: nothing to backpropagate

  std::size_t cache_capacity_ = 0, cache_length_ = 0;
  Tensor keys_, values_;  // (B, capacity, D): rows [0, cache_length_) hold K and V of the cached positions
};

}  // namespace dlfs
