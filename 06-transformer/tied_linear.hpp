// A linear layer without a weight of its own: it multiplies by the transpose of a parameter that
// another layer owns. The GPT's language-model head uses the token embedding's matrix this way
// ("weight tying", Press & Wolf 2017; GPT-2 does it):
//
//   forward   logits = h W^T                 h (B, T, D), W (V, D) the embedding, logits (B, T, V)
//   backward  dh = dlogits W                 (rows, V) (V, D)
//             dW += dlogits^T h              (V, rows) (rows, D), added into the embedding's gradient
//
// Row v of W is then both the vector the model reads for character v and the direction it scores
// character v by, so characters that are used alike get alike vectors from both ends, and the
// model has V * D fewer numbers to learn. The embedding's backward adds its own scatter-add into
// the same gradient, so dW is the sum over both uses, as the chain rule wants for a shared weight.
//
// parameters() is empty: the weight is listed, saved and stepped once, by its owner.
#pragma once

#include "02-mlp/layer.hpp"

namespace dlfs {

class TiedLinear : public Layer {
 public:
  // weight (out, in) must outlive this layer.
  explicit TiedLinear(Parameter& weight);

  Tensor forward(const Tensor& input) override;     // (..., in) -> (..., out)
  Tensor backward(const Tensor& doutput) override;  // (..., out) -> (..., in); adds into weight.grad
  std::string name() const override;                // "TiedLinear(128, 105, weight=token_embedding.weight)"

 private:
  Parameter& weight_;  // (out, in), owned elsewhere
  Tensor input_;       // (rows, in)
  Shape input_shape_;
};

}  // namespace dlfs
