// Flatten: (B, d1, d2, ...) -> (B, d1 * d2 * ...). An image enters an MLP as one long vector.
// No arithmetic, so backward only restores the shape: dx = dy reshaped to x's shape.
#pragma once

#include "02-mlp/layer.hpp"

namespace dlfs {

class Flatten : public Layer {
 public:
  Tensor forward(const Tensor& input) override;
  Tensor backward(const Tensor& doutput) override;
  std::string name() const override { return "Flatten"; }

 private:
  Shape input_shape_;  // (B, ...)
};

}  // namespace dlfs
