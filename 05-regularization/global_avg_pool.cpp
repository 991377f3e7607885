#include "05-regularization/global_avg_pool.hpp"

#include <stdexcept>

namespace dlfs {

Tensor GlobalAvgPool2d::forward(const Tensor& input) {
  if (input.ndim() != 4 || input.dim(2) * input.dim(3) == 0)
    throw std::invalid_argument("GlobalAvgPool2d: input of shape " + shape_to_string(input.shape()) +
                                ", expected (B, C, H, W) with H, W > 0");
  input_shape_ = input.shape();
  const std::size_t B = input.dim(0), C = input.dim(1), plane = input.dim(2) * input.dim(3);
  Tensor y({B, C});  // (B, C)
  for (std::size_t bc = 0; bc < B * C; ++bc) {
    const float* x = input.data() + bc * plane;
    double sum = 0.0;
    for (std::size_t p = 0; p < plane; ++p) sum += x[p];
    y[bc] = float(sum / double(plane));  // y[b,c] = mean of the map
  }
  return y;
}

Tensor GlobalAvgPool2d::backward(const Tensor& doutput) {
  if (input_shape_.size() != 4 || doutput.shape() != Shape{input_shape_[0], input_shape_[1]})
    throw std::invalid_argument("GlobalAvgPool2d::backward: gradient of shape " + shape_to_string(doutput.shape()) +
                                " for an input of shape " + shape_to_string(input_shape_));
  const std::size_t plane = input_shape_[2] * input_shape_[3];
  Tensor dx = Tensor::uninitialized(input_shape_);  // (B, C, H, W)
  for (std::size_t bc = 0; bc < doutput.size(); ++bc) {
    const float share = doutput[bc] / float(plane);  // dx = dy / (H W)
    std::fill(dx.data() + bc * plane, dx.data() + (bc + 1) * plane, share);
  }
  return dx;
}

}  // namespace dlfs
