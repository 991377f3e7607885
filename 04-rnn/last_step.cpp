#include "04-rnn/last_step.hpp"

#include <algorithm>
#include <stdexcept>

namespace dlfs {

Tensor LastStep::forward(const Tensor& input) {
  if (input.ndim() != 3 || input.dim(1) == 0)
    throw std::invalid_argument("LastStep: expected a sequence (B, T, H) with T > 0, got " +
                                shape_to_string(input.shape()));
  input_shape_ = input.shape();
  const std::size_t batch = input.dim(0), steps = input.dim(1), width = input.dim(2);
  Tensor output({batch, width});  // (B, H)
  for (std::size_t b = 0; b < batch; ++b) {
    const float* last = input.data() + (b * steps + steps - 1) * width;
    std::copy(last, last + width, output.data() + b * width);
  }
  return output;
}

Tensor LastStep::backward(const Tensor& doutput) {
  const std::size_t batch = input_shape_.at(0), steps = input_shape_.at(1), width = input_shape_.at(2);
  if (doutput.shape() != Shape{batch, width})
    throw std::invalid_argument("LastStep: expected a gradient " + shape_to_string({batch, width}) + ", got " +
                                shape_to_string(doutput.shape()));
  Tensor dinput(input_shape_);  // (B, T, H), zero but for the last step
  for (std::size_t b = 0; b < batch; ++b)
    std::copy(doutput.data() + b * width, doutput.data() + (b + 1) * width,
              dinput.data() + (b * steps + steps - 1) * width);
  return dinput;
}

}  // namespace dlfs
