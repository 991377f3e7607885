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
  Tensor y = begin_forward(input);  // (rows, out)
  forward_units(y, {0, out_});
  Shape out_shape = input_shape_;
  out_shape.back() = out_;
  return std::move(y).reshaped(out_shape);
}

Tensor Dense::begin_forward(const Tensor& input) {
  if (input.ndim() < 1 || input.shape().back() != in_)
    throw std::invalid_argument(name() + ": input of shape " + shape_to_string(input.shape()) +
                                " does not end in " + std::to_string(in_) + " features");
  input_shape_ = input.shape();
  const std::size_t rows = input.size() / in_;
  input_ = input;  // (rows, in): reuses the cache's storage when the batch size is unchanged
  input_.reshape({rows, in_});
  return Tensor::uninitialized({rows, out_});
}

void Dense::forward_units(Tensor& output, Range units) const {
  if (units.size() == 0) return;
  const std::size_t rows = input_.dim(0);
  float* y = output.data() + units.begin;  // (rows, units), rows out_ apart
  // y = x W^T + b: start every row of y at b, then accumulate x W^T on top (beta = 1).
  for (std::size_t r = 0; r < rows; ++r)
    std::copy(bias_.value.data() + units.begin, bias_.value.data() + units.end, y + r * out_);
  sgemm(Trans::No, Trans::Yes, rows, units.size(), in_, 1.0f, input_.data(), in_,
        weight_.value.data() + units.begin * in_, in_, 1.0f, y, out_);
}

Tensor Dense::backward(const Tensor& doutput) {
  Tensor dx = begin_backward(doutput);  // (..., in), or empty
  backward_units(doutput, dx, {0, out_}, {0, in_});
  return dx;
}

Tensor Dense::begin_backward(const Tensor& doutput) const {
  if (doutput.size() != input_.dim(0) * out_)
    throw std::invalid_argument(name() + ": output gradient of shape " +
                                shape_to_string(doutput.shape()) + " does not match the forward output");
  return needs_input_grad_ ? Tensor::uninitialized(input_shape_) : Tensor();  // beta = 0 overwrites it
}

void Dense::backward_units(const Tensor& doutput, Tensor& dinput, Range units, Range inputs) {
  const std::size_t rows = input_.dim(0);
  const float* dy = doutput.data();  // (rows, out), whatever the caller's shape
  if (units.size() > 0) {
    // dW[units] += dy[:, units]^T x      (units, rows) . (rows, in), beta = 1 accumulates
    sgemm(Trans::Yes, Trans::No, units.size(), in_, rows, 1.0f, dy + units.begin, out_, input_.data(), in_, 1.0f,
          weight_.grad.data() + units.begin * in_, in_);
    // db[units] += sum over rows of dy[:, units]
    float* db = bias_.grad.data();
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t o = units.begin; o < units.end; ++o) db[o] += dy[r * out_ + o];
  }
  if (dinput.empty() || inputs.size() == 0) return;
  // dx[:, inputs] = dy W[:, inputs]      (rows, out) . (out, inputs)
  sgemm(Trans::No, Trans::No, rows, inputs.size(), out_, 1.0f, dy, out_, weight_.value.data() + inputs.begin, in_,
        0.0f, dinput.data() + inputs.begin, in_);
}

}  // namespace dlfs
