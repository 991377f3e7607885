// The residual block (He, Zhang, Ren & Sun 2015): instead of asking a few layers F to produce the
// wanted mapping H(x), let them produce the change to their input, and add the input back:
//
//   forward   s = x                 identity shortcut (shapes agree)
//             s = BN(conv1x1(x))    projection shortcut (the body changes channels or strides)
//             y = relu(F(x) + s)    the block of the paper: its ReLU comes after the sum
//   backward  dsum = dy * [y > 0]
//             dx   = dF/dx^T dsum + ds/dx^T dsum      (identity: the second term is dsum itself)
//
// With the identity shortcut the gradient reaches x through the "+" untouched, however deep the
// stack: a block whose F has learned nothing (F = 0) passes signal and gradient straight through,
// so adding blocks can never make the best reachable network worse, the problem plain deep
// networks have (the "degradation" experiment of the README).
//
// Parameters are named after the block's parts, "body.<i>.<name>" and "shortcut.<i>.<name>", so
// inside a network a saved model reads "4.body.1.running_mean" and stays stable.
#pragma once

#include <memory>

#include "02-mlp/activations.hpp"
#include "02-mlp/sequential.hpp"
#include "common/random.hpp"

namespace dlfs {

class ResidualBlock : public Layer {
 public:
  // y = relu(body(x) + shortcut(x)); an empty shortcut (no layers) is the identity. Without
  // relu_after_sum, y = body(x) + shortcut(x).
  ResidualBlock(Sequential body, Sequential shortcut = Sequential(), bool relu_after_sum = true);

  Tensor forward(const Tensor& input) override;     // (B, C, H, W) -> (B, OC, OH, OW)
  Tensor backward(const Tensor& doutput) override;  // (B, OC, OH, OW) -> (B, C, H, W)
  std::vector<Parameter*> parameters() override;    // the body's, then the shortcut's
  // "ResidualBlock(body=Sequential(...), shortcut=identity, relu)"
  std::string name() const override;
  // Reach every layer inside, as Sequential does.
  void set_training(bool training) override;
  void set_needs_input_grad(bool needed) override;
  std::string batch_coupled_layer() const override;

  Sequential& body() { return body_; }
  Sequential& shortcut() { return shortcut_; }
  bool identity_shortcut() const { return shortcut_.size() == 0; }

 private:
  Sequential body_;      // F
  Sequential shortcut_;  // empty: the identity
  bool relu_;
  Mask positive_;        // (B, OC, OH, OW): where the sum was positive (the ReLU passed it)
};

// He et al.'s "basic block": two 3x3 convolutions, each followed by batch norm, a ReLU between:
//   body      Conv2d(in, out, 3x3, stride, padding 1, bias=False) BN ReLU
//             Conv2d(out, out, 3x3, padding 1, bias=False) BN
//   shortcut  identity when in == out and stride == 1, else Conv2d(in, out, 1x1, stride, bias=False) BN
// (B, in, H, W) -> (B, out, ceil(H / stride), ceil(W / stride)).
std::unique_ptr<ResidualBlock> make_basic_block(std::size_t in_channels, std::size_t out_channels, std::size_t stride,
                                                Rng& rng);

}  // namespace dlfs
