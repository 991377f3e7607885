// LastStep: keeps only the last time step of a sequence, so that a recurrent layer's outputs
// h_1..h_T can feed a Dense head that makes ONE prediction per sequence (tomorrow's temperature
// from the last 14 days), where a per-position head would make T.
//
//   forward   y[b, :] = x[b, T-1, :]                    x (B, T, H)  ->  y (B, H)
//   backward  dx[b, T-1, :] = dy[b, :],  dx[b, t, :] = 0 for t < T-1
//
// The zeros are the point: the loss reads h_T only, so the gradient enters the recurrent layer at
// its last step and reaches the earlier steps only through the recurrence (backpropagation
// through time, recurrent.hpp). examples/vanishing.cpp measures how much of it arrives.
#pragma once

#include "02-mlp/layer.hpp"

namespace dlfs {

class LastStep : public Layer {
 public:
  Tensor forward(const Tensor& input) override;     // (B, T, H) -> (B, H)
  Tensor backward(const Tensor& doutput) override;  // (B, H) -> (B, T, H)
  std::string name() const override { return "LastStep()"; }

 private:
  Shape input_shape_;  // (B, T, H) of the last forward, for the shape of dx
};

}  // namespace dlfs
