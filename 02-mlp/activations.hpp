// Activation functions: elementwise nonlinearities (and softmax, which mixes one row).
//
// Without them a stack of Dense layers collapses into one linear map (W2 (W1 x) = (W2 W1) x)
// and could not learn XOR. Each one's backward is the chain rule with its local derivative:
//   dx = dy * f'(x)     (elementwise)
// and each caches the cheapest thing that derivative can be computed from.
#pragma once

#include <cstdint>
#include <memory>

#include "02-mlp/layer.hpp"

namespace dlfs {

// sigma(x) = 1 / (1 + e^-x);  sigma'(x) = sigma(x) (1 - sigma(x)), from the cached output.
// Its slope is at most 1/4, so a deep stack of sigmoids shrinks gradients: vanishing gradients.
class Sigmoid : public Layer {
 public:
  Tensor forward(const Tensor& input) override;
  Tensor backward(const Tensor& doutput) override;
  std::string name() const override { return "Sigmoid"; }

 private:
  Tensor output_;  // (same as input)
};

// tanh(x);  tanh'(x) = 1 - tanh(x)^2, from the cached output.
class Tanh : public Layer {
 public:
  Tensor forward(const Tensor& input) override;
  Tensor backward(const Tensor& doutput) override;
  std::string name() const override { return "Tanh"; }

 private:
  Tensor output_;
};

// One flag per value of a tensor: what a ReLU's backward needs of its forward pass (was the value
// positive?), a byte instead of a float copy of the output. The byte is an enum on purpose: GCC
// keeps a loop that stores through a char type (uint8_t) scalar, since such a store may alias any
// object (the loop's own pointers included), and it does not vectorize loads of bool; an enum has
// neither problem. (std::vector<bool> packs bits, which two threads cannot write side by side.)
class Mask {
 public:
  enum Flag : std::uint8_t { no = 0, yes = 1 };

  // One unset flag per value of shape: the storage of earlier calls is reused while it is large
  // enough (a training batch, then a smaller evaluation batch, then training again).
  Flag* reset(const Shape& shape);
  const Flag* data() const { return flags_.get(); }
  const Shape& shape() const { return shape_; }  // {0} until the first reset, as an empty Tensor's

 private:
  Shape shape_{0};
  std::size_t capacity_ = 0;
  std::unique_ptr<Flag[]> flags_;
};

// relu(x) = max(0, x);  relu'(x) = 1 if x > 0 else 0 (we take 0 at x = 0, as PyTorch does).
// The derivative is only "was x positive?", so that is all it keeps: one byte per value instead of
// a float copy of the output (a quarter of the memory, and no second pass to write it).
class ReLU : public Layer {
 public:
  Tensor forward(const Tensor& input) override;
  Tensor backward(const Tensor& doutput) override;
  std::string name() const override { return "ReLU"; }

 private:
  Mask positive_;  // (same as input): x > 0
};

// leaky(x) = x if x > 0 else alpha x;  leaky'(x) = 1 or alpha. Dead ReLUs cannot come back; leaky ones can.
class LeakyReLU : public Layer {
 public:
  explicit LeakyReLU(float alpha = 0.01f) : alpha_(alpha) {}
  Tensor forward(const Tensor& input) override;
  Tensor backward(const Tensor& doutput) override;
  std::string name() const override;

 private:
  float alpha_;
  Tensor input_;
};

// GELU (Hendrycks & Gimpel 2016), the exact form PyTorch uses by default:
//   gelu(x) = x Phi(x),  Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2
//   gelu'(x) = Phi(x) + x phi(x),  phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
class GELU : public Layer {
 public:
  Tensor forward(const Tensor& input) override;
  Tensor backward(const Tensor& doutput) override;
  std::string name() const override { return "GELU"; }

 private:
  Tensor input_;
};

// Softmax over the last axis: s_i = exp(x_i - m) / sum_j exp(x_j - m), m = max_j x_j.
// Subtracting m changes nothing mathematically and keeps exp from overflowing.
// Its Jacobian is ds_i/dx_j = s_i (delta_ij - s_j), so
//   dx_j = sum_i dy_i s_i (delta_ij - s_j) = s_j (dy_j - sum_i dy_i s_i).
// (For classification use softmax_cross_entropy on logits instead: it fuses both and is stabler.)
class Softmax : public Layer {
 public:
  Tensor forward(const Tensor& input) override;
  Tensor backward(const Tensor& doutput) override;
  std::string name() const override { return "Softmax"; }

 private:
  Tensor output_;  // (..., classes)
};

// The softmax of each row of x (over the last axis), shared with the fused loss.
Tensor softmax(const Tensor& x);

}  // namespace dlfs
