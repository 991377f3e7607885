// The Transformer block, pre-LayerNorm (GPT-2's arrangement):
//
//   h = x + Dropout(Attn(LN_1(x)))                         (B, T, D)   every position looks at the others
//   y = h + Dropout(W_2 GELU(W_1 LN_2(h) + b_1) + b_2)     (B, T, D)   then thinks on its own: the MLP,
//                                                                      D -> 4D -> D, on each position
//
// Attn is multi_head_attention.hpp, LN chapter 05's LayerNorm, W_1 and W_2 chapter 02's Dense and
// GELU chapter 02's. The dropouts are GPT-2's resid_pdrop, on each branch just before its sum.
//
// Pre- versus post-LN. The original Transformer normalized after the sum, y = LN(x + F(x)), so
// every block's output passes through a LayerNorm and the gradient to the first block crosses N
// of them; such networks need a learning-rate warm-up to train at all. Pre-LN normalizes only what
// enters each branch: the sum itself, the "residual stream" x -> h -> y, is never normalized, and
// the identity path carries the gradient from the loss to the embeddings unchanged (the README
// derives it). A final LayerNorm after the last block (gpt.hpp) then does what the last post-LN
// would have done.
//
// Backward, the chain rule along both paths of each sum:
//   dh = dy + LN_2'(W_1'(GELU'(W_2'(Dropout'(dy)))))      the MLP branch's backward, plus dy itself
//   dx = dh + LN_1'(Attn'(Dropout'(dh)))                   likewise for attention
// where F'(g) is the layer's backward applied to g.
//
// Names and shapes are those of torch.nn.TransformerEncoderLayer(D, H, dim_feedforward=4D,
// activation="gelu", batch_first=True, norm_first=True), which computes the same function (with
// a causal src_mask), so its state_dict loads by name: "norm1.weight", "norm1.bias" (D),
// "self_attn.in_proj_weight" (3D, D), "self_attn.in_proj_bias", "self_attn.out_proj.weight" (D, D),
// "self_attn.out_proj.bias", "norm2.weight", "norm2.bias", "linear1.weight" (4D, D),
// "linear1.bias" (4D), "linear2.weight" (D, 4D), "linear2.bias" (D); initial values as PyTorch's
// (nn.Linear's U(-1/sqrt(in), 1/sqrt(in)) for linear1 and linear2). One difference: PyTorch's layer
// also drops out between the GELU and linear2, which GPT-2 does not; with dropout 0 the two agree.
#pragma once

#include "02-mlp/activations.hpp"
#include "02-mlp/dense.hpp"
#include "05-regularization/dropout.hpp"
#include "05-regularization/layer_norm.hpp"
#include "06-transformer/multi_head_attention.hpp"

namespace dlfs {

class TransformerBlock : public Layer {
 public:
  // width D, heads H; dropout: GPT-2's single rate, used for the attention weights and both
  // residual branches. Causal self-attention.
  TransformerBlock(std::size_t width, std::size_t heads, Rng& rng, float dropout = 0.0f);

  Tensor forward(const Tensor& input) override;     // (B, T, D) -> (B, T, D)
  Tensor backward(const Tensor& doutput) override;  // (B, T, D) -> (B, T, D)
  std::vector<Parameter*> parameters() override;    // in the order of the header comment
  std::string name() const override;                // "TransformerBlock(128, heads=4)"
  void set_training(bool training) override;

  // forward() with the attention's key-value cache (attention.hpp); the other layers work on each
  // position on its own and need no cache. (B, T_new, D) -> (B, T_new, D).
  Tensor forward_cached(const Tensor& input);

  LayerNorm& norm1() { return norm1_; }
  MultiHeadSelfAttention& self_attn() { return self_attn_; }
  const MultiHeadSelfAttention& self_attn() const { return self_attn_; }
  LayerNorm& norm2() { return norm2_; }
  Dense& linear1() { return linear1_; }
  Dense& linear2() { return linear2_; }
  Dropout& dropout1() { return dropout1_; }  // on the attention branch
  Dropout& dropout2() { return dropout2_; }  // on the MLP branch
  float dropout() const { return dropout1_.p(); }

 private:
  LayerNorm norm1_;                   // LN_1
  MultiHeadSelfAttention self_attn_;  // Attn
  Dropout dropout1_;                  // on the attention branch
  LayerNorm norm2_;                   // LN_2
  Dense linear1_;                     // W_1: D -> 4D
  GELU gelu_;
  Dense linear2_;                     // W_2: 4D -> D
  Dropout dropout2_;                  // on the MLP branch
};

}  // namespace dlfs
