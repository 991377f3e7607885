#include "05-regularization/residual.hpp"

#include <stdexcept>

#include "02-mlp/activations.hpp"
#include "02-mlp/optimizer.hpp"
#include "05-regularization/batch_norm.hpp"
#include "05-regularization/bias_free_conv2d.hpp"

namespace dlfs {

ResidualBlock::ResidualBlock(Sequential body, Sequential shortcut, bool relu_after_sum)
    : body_(std::move(body)), shortcut_(std::move(shortcut)), relu_(relu_after_sum) {
  if (body_.size() == 0) throw std::invalid_argument("ResidualBlock: the body needs at least one layer");
  for (Parameter* p : body_.parameters()) p->name = "body." + p->name;
  for (Parameter* p : shortcut_.parameters()) p->name = "shortcut." + p->name;
  set_training(training_);
  set_needs_input_grad(needs_input_grad_);
}

std::vector<Parameter*> ResidualBlock::parameters() {
  std::vector<Parameter*> all = body_.parameters();
  for (Parameter* p : shortcut_.parameters()) all.push_back(p);
  return all;
}

std::string ResidualBlock::name() const {
  return "ResidualBlock(body=" + body_.name() + ", shortcut=" + (shortcut_.size() ? shortcut_.name() : "identity") +
         (relu_ ? ", relu)" : ")");
}

void ResidualBlock::set_training(bool training) {
  Layer::set_training(training);
  body_.set_training(training);
  shortcut_.set_training(training);
}

void ResidualBlock::set_needs_input_grad(bool needed) {
  Layer::set_needs_input_grad(needed);
  body_.set_needs_input_grad(needed);
  shortcut_.set_needs_input_grad(needed);
}

std::string ResidualBlock::batch_coupled_layer() const {
  if (std::string coupled = body_.batch_coupled_layer(); !coupled.empty()) return coupled;
  return shortcut_.batch_coupled_layer();
}

Tensor ResidualBlock::forward(const Tensor& input) {
  Tensor y = body_.forward(input);                                     // F(x): (B, OC, OH, OW)
  const Tensor projected = identity_shortcut() ? Tensor() : shortcut_.forward(input);
  const Tensor& s = identity_shortcut() ? input : projected;           // (B, OC, OH, OW)
  if (y.shape() != s.shape())
    throw std::invalid_argument("ResidualBlock: the body's output " + shape_to_string(y.shape()) +
                                " and the shortcut's " + shape_to_string(s.shape()) +
                                " differ (a block that changes the shape needs a projection shortcut)");
  // y = relu(F(x) + s), written over F(x); the ReLU's mask kept for backward
  float* ys = y.data();
  const float* ss = s.data();
  if (relu_) {
    Mask::Flag* positive = positive_.reset(y.shape());
    parallel_elementwise(y.size(), [&](std::size_t i) {
      const float sum = ys[i] + ss[i];
      positive[i] = sum > 0.0f ? Mask::yes : Mask::no;
      ys[i] = sum <= 0.0f ? 0.0f : sum;
    });
  } else {
    parallel_elementwise(y.size(), [&](std::size_t i) { ys[i] += ss[i]; });
  }
  return y;
}

Tensor ResidualBlock::backward(const Tensor& doutput) {
  // dsum = dy * [y > 0] through the ReLU after the sum; without it, dsum = dy.
  Tensor dsum_relu;  // (B, OC, OH, OW)
  if (relu_) {
    if (doutput.shape() != positive_.shape())
      throw std::invalid_argument("ResidualBlock::backward: output gradient of shape " +
                                  shape_to_string(doutput.shape()) + " does not match the forward output " +
                                  shape_to_string(positive_.shape()));
    dsum_relu = Tensor::uninitialized(doutput.shape());
    float* d = dsum_relu.data();
    const float* dy = doutput.data();
    const Mask::Flag* positive = positive_.data();
    parallel_elementwise(dsum_relu.size(), [&](std::size_t i) {
      const float g = dy[i];  // loaded whatever the flag, so that the loop vectorizes
      d[i] = positive[i] == Mask::yes ? g : 0.0f;
    });
  }
  const Tensor& dsum = relu_ ? dsum_relu : doutput;  // (B, OC, OH, OW)
  // The sum sends dsum unchanged down both paths; their input gradients add up.
  Tensor dx = body_.backward(dsum);  // (B, C, H, W), or empty when no input gradient is needed
  if (!needs_input_grad_) {
    if (!identity_shortcut()) shortcut_.backward(dsum);  // still fills the shortcut's parameter gradients
    return Tensor();
  }
  // The shortcut's share of dx: dsum itself through the identity (ds/dx = I), else the projection's backward.
  const Tensor dx_projection = identity_shortcut() ? Tensor() : shortcut_.backward(dsum);  // (B, C, H, W)
  const Tensor& dx_shortcut = identity_shortcut() ? dsum : dx_projection;                 // (B, C, H, W)
  require_same_shape(dx, dx_shortcut, "ResidualBlock::backward");
  float* dxs = dx.data();
  const float* shortcut = dx_shortcut.data();
  parallel_elementwise(dx.size(), [&](std::size_t i) { dxs[i] += shortcut[i]; });
  return dx;
}

std::unique_ptr<ResidualBlock> make_basic_block(std::size_t in_channels, std::size_t out_channels, std::size_t stride,
                                                Rng& rng) {
  Sequential body;
  body.emplace<BiasFreeConv2d>(in_channels, out_channels, 3, rng, stride, 1);  // (B, out, H/stride, W/stride)
  body.emplace<BatchNorm2d>(out_channels);
  body.emplace<ReLU>();
  body.emplace<BiasFreeConv2d>(out_channels, out_channels, 3, rng, 1, 1);      // (B, out, H/stride, W/stride)
  body.emplace<BatchNorm2d>(out_channels);
  Sequential shortcut;
  if (in_channels != out_channels || stride != 1) {
    shortcut.emplace<BiasFreeConv2d>(in_channels, out_channels, 1, rng, stride, 0);  // (B, out, H/stride, W/stride)
    shortcut.emplace<BatchNorm2d>(out_channels);
  }
  return std::make_unique<ResidualBlock>(std::move(body), std::move(shortcut));
}

}  // namespace dlfs
