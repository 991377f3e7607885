#include "06-transformer/multi_head_attention.hpp"

#include <cmath>
#include <stdexcept>

namespace dlfs {

void prefix_parameter_names(Layer& layer, const std::string& prefix) {
  for (Parameter* p : layer.parameters()) p->name = prefix + p->name;
}

void torch_linear_init(Dense& layer, Rng& rng) {
  const float bound = 1.0f / std::sqrt(float(layer.in_features()));
  rng.fill_uniform(layer.weight().value, -bound, bound);
  rng.fill_uniform(layer.bias().value, -bound, bound);
}

namespace {

std::size_t checked_width(std::size_t width, std::size_t heads) {
  if (width == 0 || heads == 0 || width % heads != 0)
    throw std::invalid_argument("MultiHeadSelfAttention: the width " + std::to_string(width) +
                                " must be a positive multiple of the " + std::to_string(heads) + " heads");
  return width;
}

}  // namespace

MultiHeadSelfAttention::MultiHeadSelfAttention(std::size_t width, std::size_t heads, Rng& rng, bool causal,
                                               float dropout)
    : in_proj_(checked_width(width, heads), 3 * width, rng, Init::Xavier),  // Xavier-uniform, bias 0
      attention_(heads, causal, dropout, rng),
      out_proj_(width, width, rng, Init::Xavier) {
  torch_linear_init(out_proj_, rng);
  out_proj_.bias().value.zero();
  prefix_parameter_names(in_proj_, "in_proj_");  // "in_proj_weight", "in_proj_bias"
  prefix_parameter_names(out_proj_, "out_proj.");
}

std::vector<Parameter*> MultiHeadSelfAttention::parameters() {
  return {&in_proj_.weight(), &in_proj_.bias(), &out_proj_.weight(), &out_proj_.bias()};
}

std::string MultiHeadSelfAttention::name() const {
  std::string inner = attention_.name();  // "ScaledDotProductAttention(heads=4, causal...)"
  return "MultiHeadSelfAttention(" + std::to_string(in_proj_.in_features()) + ", " +
         inner.substr(inner.find('(') + 1);
}

void MultiHeadSelfAttention::set_training(bool training) {
  Layer::set_training(training);
  attention_.set_training(training);
}

void MultiHeadSelfAttention::set_needs_input_grad(bool needed) {
  Layer::set_needs_input_grad(needed);
  in_proj_.set_needs_input_grad(needed);
}

Tensor MultiHeadSelfAttention::forward(const Tensor& input) {
  const Tensor qkv = in_proj_.forward(input);  // (B, T, 3D)
  const Tensor o = attention_.forward(qkv);      // (B, T, D)
  return out_proj_.forward(o);                   // (B, T, D)
}

Tensor MultiHeadSelfAttention::backward(const Tensor& doutput) {
  const Tensor dout = out_proj_.backward(doutput);  // (B, T, D)
  const Tensor dqkv = attention_.backward(dout);    // (B, T, 3D)
  return in_proj_.backward(dqkv);                   // (B, T, D), empty when not needed
}

Tensor MultiHeadSelfAttention::forward_cached(const Tensor& input) {
  const Tensor qkv = in_proj_.forward(input);       // (B, T_new, 3D)
  const Tensor o = attention_.forward_cached(qkv);  // (B, T_new, D)
  return out_proj_.forward(o);                      // (B, T_new, D)
}

}  // namespace dlfs
