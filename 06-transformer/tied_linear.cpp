#include "06-transformer/tied_linear.hpp"

#include <stdexcept>

#include "common/gemm.hpp"

namespace dlfs {

TiedLinear::TiedLinear(Parameter& weight) : weight_(weight) {
  if (weight.value.ndim() != 2)
    throw std::invalid_argument("TiedLinear: the weight " + weight.name + " of shape " +
                                shape_to_string(weight.value.shape()) + " is not a matrix");
}

std::string TiedLinear::name() const {
  return "TiedLinear(" + std::to_string(weight_.value.dim(1)) + ", " + std::to_string(weight_.value.dim(0)) +
         ", weight=" + weight_.name + ")";
}

Tensor TiedLinear::forward(const Tensor& input) {
  const std::size_t out = weight_.value.dim(0), in = weight_.value.dim(1);
  if (input.ndim() < 1 || input.shape().back() != in)
    throw std::invalid_argument(name() + ": input of shape " + shape_to_string(input.shape()) + " does not end in " +
                                std::to_string(in) + " features");
  input_shape_ = input.shape();
  const std::size_t rows = input.size() / in;
  input_ = input.reshaped({rows, in});  // (rows, in)
  Shape out_shape = input_shape_;
  out_shape.back() = out;
  Tensor y = Tensor::uninitialized(out_shape);  // (..., out)
  // y = x W^T
  sgemm(Trans::No, Trans::Yes, rows, out, in, 1.0f, input_.data(), in, weight_.value.data(), in, 0.0f, y.data(), out);
  return y;
}

Tensor TiedLinear::backward(const Tensor& doutput) {
  const std::size_t out = weight_.value.dim(0), in = weight_.value.dim(1), rows = input_.dim(0);
  if (doutput.size() != rows * out || doutput.shape().back() != out)
    throw std::invalid_argument(name() + ": output gradient of shape " + shape_to_string(doutput.shape()) +
                                " does not match the forward output");
  // dW += dy^T x      (out, rows) (rows, in)
  sgemm(Trans::Yes, Trans::No, out, in, rows, 1.0f, doutput.data(), out, input_.data(), in, 1.0f,
        weight_.grad.data(), in);
  if (!needs_input_grad_) return Tensor();
  // dx = dy W         (rows, out) (out, in)
  Tensor dx = Tensor::uninitialized(input_shape_);  // (..., in)
  sgemm(Trans::No, Trans::No, rows, in, out, 1.0f, doutput.data(), out, weight_.value.data(), in, 0.0f, dx.data(), in);
  return dx;
}

}  // namespace dlfs
