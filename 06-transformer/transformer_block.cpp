#include "06-transformer/transformer_block.hpp"

#include <cstdio>
#include <initializer_list>

#include "common/ops.hpp"

namespace dlfs {

TransformerBlock::TransformerBlock(std::size_t width, std::size_t heads, Rng& rng, float dropout)
    : norm1_(width),
      self_attn_(width, heads, rng, /*causal=*/true, dropout),
      dropout1_(dropout, rng),
      norm2_(width),
      linear1_(width, 4 * width, rng, Init::Xavier),
      linear2_(4 * width, width, rng, Init::Xavier),
      dropout2_(dropout, rng) {
  torch_linear_init(linear1_, rng);
  torch_linear_init(linear2_, rng);
  prefix_parameter_names(norm1_, "norm1.");
  prefix_parameter_names(self_attn_, "self_attn.");
  prefix_parameter_names(norm2_, "norm2.");
  prefix_parameter_names(linear1_, "linear1.");
  prefix_parameter_names(linear2_, "linear2.");
}

std::vector<Parameter*> TransformerBlock::parameters() {
  std::vector<Parameter*> all;
  for (Layer* layer : std::initializer_list<Layer*>{&norm1_, &self_attn_, &norm2_, &linear1_, &linear2_})
    for (Parameter* p : layer->parameters()) all.push_back(p);
  return all;
}

std::string TransformerBlock::name() const {
  std::string s = "TransformerBlock(" + std::to_string(linear1_.in_features()) + ", heads=" +
                  std::to_string(self_attn_.attention().heads());
  if (dropout1_.p() > 0) {
    char text[32];
    std::snprintf(text, sizeof text, ", dropout=%g", double(dropout1_.p()));
    s += text;
  }
  return s + ")";
}

void TransformerBlock::set_training(bool training) {
  Layer::set_training(training);
  for (Layer* layer : std::initializer_list<Layer*>{&norm1_, &self_attn_, &dropout1_, &norm2_, &linear1_, &gelu_,
                                                    &linear2_, &dropout2_})
    layer->set_training(training);
}

Tensor TransformerBlock::forward(const Tensor& input) {
  // h = x + Dropout(Attn(LN_1(x)))
  Tensor h = input + dropout1_.forward(self_attn_.forward(norm1_.forward(input)));  // (B, T, D)
  // y = h + Dropout(W_2 GELU(W_1 LN_2(h) + b_1) + b_2)
  const Tensor hidden = gelu_.forward(linear1_.forward(norm2_.forward(h)));  // (B, T, 4D)
  h += dropout2_.forward(linear2_.forward(hidden));                          // (B, T, D): y
  return h;
}

Tensor TransformerBlock::backward(const Tensor& doutput) {
  // dh = dy + (the MLP branch's backward of dy)
  Tensor dh = norm2_.backward(linear1_.backward(gelu_.backward(linear2_.backward(dropout2_.backward(doutput)))));
  dh += doutput;  // (B, T, D)
  // dx = dh + (the attention branch's backward of dh)
  Tensor dx = norm1_.backward(self_attn_.backward(dropout1_.backward(dh)));
  dx += dh;  // (B, T, D)
  return dx;
}

Tensor TransformerBlock::forward_cached(const Tensor& input) {
  Tensor h = input + dropout1_.forward(self_attn_.forward_cached(norm1_.forward(input)));  // (B, T_new, D)
  const Tensor hidden = gelu_.forward(linear1_.forward(norm2_.forward(h)));                // (B, T_new, 4D)
  h += dropout2_.forward(linear2_.forward(hidden));                                        // (B, T_new, D)
  return h;
}

}  // namespace dlfs
