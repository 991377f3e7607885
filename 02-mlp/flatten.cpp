#include "02-mlp/flatten.hpp"

#include <stdexcept>

namespace dlfs {

Tensor Flatten::forward(const Tensor& input) {
  if (input.ndim() < 1) throw std::invalid_argument("Flatten: input needs a batch axis");
  input_shape_ = input.shape();
  return input.reshaped({input.dim(0), Tensor::kInfer});  // (B, features)
}

Tensor Flatten::backward(const Tensor& doutput) {
  if (doutput.size() != shape_size(input_shape_))
    throw std::invalid_argument("Flatten::backward: gradient of shape " + shape_to_string(doutput.shape()) +
                                " for an input of shape " + shape_to_string(input_shape_));
  return doutput.reshaped(input_shape_);
}

}  // namespace dlfs
