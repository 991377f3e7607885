// Multi-head self-attention: the sequence attends to itself, in H heads of d = D / H columns each.
//
//   qkv = x W_qkv^T + b_qkv        (B, T, D) -> (B, T, 3D)   one fused projection (chapter 02's Dense)
//   o   = Attention_H(qkv)          (B, T, 3D) -> (B, T, D)   attention.hpp: per head, softmax(QK^T/sqrt(d)) V
//   y   = o W_proj^T + b_proj      (B, T, D) -> (B, T, D)    mixes what the heads found
//
// Why several heads: one softmax row is one weighted average, so a single head can only look up
// one thing per position (say, the previous character). H heads of width D / H cost the same
// multiply-adds as one head of width D, and each can attend somewhere else (the previous
// character, the start of the word, the last quotation mark): the attention maps of the gpt
// example show heads specializing this way.
//
// W_qkv stacks three D x D matrices [W_q; W_k; W_v], as PyTorch's in_proj_weight and GPT-2's
// c_attn do: one GEMM of width 3D instead of three of width D. The split into Q, K, V and into
// heads is a reshape (attention.hpp).
//
// Backward is the three steps in reverse: proj's backward, the attention's (dQ, dK, dV side by
// side as dqkv), the fused projection's (which adds dW_q, dW_k, dW_v in one GEMM).
//
// Names, shapes and initial values are those of torch.nn.MultiheadAttention(D, H, bias=True,
// batch_first=True), so its state_dict loads by name: "in_proj_weight" (3D, D), Xavier-uniform;
// "in_proj_bias" (3D), zeros; "out_proj.weight" (D, D), U(-1/sqrt(D), 1/sqrt(D)) (nn.Linear's
// default); "out_proj.bias" (D), zeros. PyTorch takes the causal mask as an argument
// (attn_mask); here it is part of the layer.
#pragma once

#include "02-mlp/dense.hpp"
#include "06-transformer/attention.hpp"

namespace dlfs {

class MultiHeadSelfAttention : public Layer {
 public:
  // width D, heads H (D must be a multiple of H); causal: mask the future; dropout: on the
  // attention weights. Initial values as PyTorch's (above); the GPT sets its own.
  MultiHeadSelfAttention(std::size_t width, std::size_t heads, Rng& rng, bool causal = true, float dropout = 0.0f);

  Tensor forward(const Tensor& input) override;     // (B, T, D) -> (B, T, D)
  Tensor backward(const Tensor& doutput) override;  // (B, T, D) -> (B, T, D)
  std::vector<Parameter*> parameters() override;    // in_proj's, then out_proj's
  std::string name() const override;                // "MultiHeadSelfAttention(128, heads=4, causal)"
  void set_training(bool training) override;
  void set_needs_input_grad(bool needed) override;

  // The same with the attention's key-value cache (attention.hpp): (B, T_new, D) -> (B, T_new, D).
  Tensor forward_cached(const Tensor& input);

  Dense& in_proj() { return in_proj_; }
  ScaledDotProductAttention& attention() { return attention_; }
  const ScaledDotProductAttention& attention() const { return attention_; }
  Dense& out_proj() { return out_proj_; }
  std::size_t width() const { return in_proj_.in_features(); }

 private:
  Dense in_proj_;                        // D -> 3D: x -> [q | k | v]
  ScaledDotProductAttention attention_;  // (B, T, 3D) -> (B, T, D)
  Dense out_proj_;                       // D -> D
};

// Prefixes the names of a layer's parameters ("weight" -> "out_proj.weight"), as containers name their parts.
void prefix_parameter_names(Layer& layer, const std::string& prefix);

// nn.Linear's initial values: weight and bias from U(-1/sqrt(in), 1/sqrt(in)).
void torch_linear_init(Dense& layer, Rng& rng);

}  // namespace dlfs
