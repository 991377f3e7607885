#include "02-mlp/dense.hpp"

#include <cmath>
#include <stdexcept>

#include "common/gemm.hpp"

namespace dlfs {

Dense::Dense(std::size_t in_features, std::size_t out_features, Rng& rng, Init init)
    : in_(in_features),
      out_(out_features),
      weight_("weight", Tensor({out_features, in_features})),
      bias_("bias", Tensor({out_features})) {
  if (init == Init::Xavier) {
    // Uniform on [-a, a] has variance a^2 / 3; a = sqrt(6 / (in + out)) gives 2 / (in + out).
    const float a = std::sqrt(6.0f / float(in_ + out_));
    rng.fill_uniform(weight_.value, -a, a);
  } else {
    rng.fill_normal(weight_.value, 0.0f, std::sqrt(2.0f / float(in_)));
  }
}

std::string Dense::name() const {
  return "Dense(" + std::to_string(in_) + ", " + std::to_string(out_) + ")";
}

Tensor Dense::forward(const Tensor& input) {
  if (input.ndim() < 1 || input.shape().back() != in_)
    throw std::invalid_argument(name() + ": input of shape " + shape_to_string(input.shape()) +
                                " does not end in " + std::to_string(in_) + " features");
  input_shape_ = input.shape();
  const std::size_t rows = input.size() / in_;
  input_ = input;  // (rows, in): reuses the cache's storage when the batch size is unchanged
  input_.reshape({rows, in_});

  // y = x W^T + b: start every row of y at b, then accumulate x W^T on top (beta = 1).
  Tensor y = Tensor::uninitialized({rows, out_});  // (rows, out)
  for (std::size_t r = 0; r < rows; ++r)
    std::copy(bias_.value.begin(), bias_.value.end(), y.data() + r * out_);
  matmul(input_, weight_.value, y, Trans::No, Trans::Yes, 1.0f, 1.0f);

  Shape out_shape = input_shape_;
  out_shape.back() = out_;
  return std::move(y).reshaped(out_shape);
}

Tensor Dense::backward(const Tensor& doutput) {
  const std::size_t rows = input_.dim(0);
  if (doutput.size() != rows * out_)
    throw std::invalid_argument(name() + ": output gradient of shape " +
                                shape_to_string(doutput.shape()) + " does not match the forward output");
  const float* dy = doutput.data();  // (rows, out), whatever the caller's shape

  // dW += dy^T x      (out, rows) . (rows, in), beta = 1 accumulates
  sgemm(Trans::Yes, Trans::No, out_, in_, rows, 1.0f, dy, out_, input_.data(), in_, 1.0f,
        weight_.grad.data(), in_);
  // db += sum over rows of dy
  float* db = bias_.grad.data();
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t o = 0; o < out_; ++o) db[o] += dy[r * out_ + o];

  if (!needs_input_grad_) return Tensor();
  // dx = dy W         (rows, out) . (out, in)
  Tensor dx = Tensor::uninitialized(input_shape_);  // (..., in): beta = 0 overwrites it
  sgemm(Trans::No, Trans::No, rows, in_, out_, 1.0f, dy, out_, weight_.value.data(), in_, 0.0f,
        dx.data(), in_);
  return dx;
}

}  // namespace dlfs
