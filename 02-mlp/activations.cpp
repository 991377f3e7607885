#include "02-mlp/activations.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "02-mlp/optimizer.hpp"
#include "common/fast_math.hpp"
#include "common/ops.hpp"

namespace dlfs {

namespace {

// y = f(x) elementwise; a large tensor (a convolution's activations) split between the threads as
// the optimizers' updates are.
template <class F>
Tensor map(const Tensor& x, F f) {
  Tensor y = Tensor::uninitialized(x.shape());
  const float* xs = x.data();
  float* ys = y.data();
  parallel_elementwise(x.size(), [&](std::size_t i) { ys[i] = f(xs[i]); });
  return y;
}

// dx = dy * g(cached) elementwise, where g is the local derivative.
template <class G>
Tensor chain(const Tensor& dy, const Tensor& cached, const char* what, G g) {
  require_same_shape(dy, cached, what);
  Tensor dx = Tensor::uninitialized(dy.shape());
  const float* d = dy.data();
  const float* c = cached.data();
  float* out = dx.data();
  parallel_elementwise(dy.size(), [&](std::size_t i) { out[i] = d[i] * g(c[i]); });
  return dx;
}

}  // namespace

// ---- Sigmoid ------------------------------------------------------------------------------
Tensor Sigmoid::forward(const Tensor& input) {
  // Written so that exp never overflows: for x < 0 use e^x / (1 + e^x).
  output_ = map(input, [](float x) {
    if (x >= 0) return 1.0f / (1.0f + std::exp(-x));
    const float e = std::exp(x);
    return e / (1.0f + e);
  });
  return output_;
}
Tensor Sigmoid::backward(const Tensor& doutput) {
  return chain(doutput, output_, "Sigmoid::backward", [](float s) { return s * (1.0f - s); });
}

// ---- Tanh ---------------------------------------------------------------------------------
Tensor Tanh::forward(const Tensor& input) {
  output_ = map(input, [](float x) { return std::tanh(x); });
  return output_;
}
Tensor Tanh::backward(const Tensor& doutput) {
  return chain(doutput, output_, "Tanh::backward", [](float t) { return 1.0f - t * t; });
}

// ---- ReLU ---------------------------------------------------------------------------------
Mask::Flag* Mask::reset(const Shape& shape) {
  const std::size_t size = shape_size(shape);
  if (size > capacity_) {
    flags_ = std::make_unique_for_overwrite<Flag[]>(size);
    capacity_ = size;
  }
  shape_ = shape;
  return flags_.get();
}

Tensor ReLU::forward(const Tensor& input) {
  Tensor y = Tensor::uninitialized(input.shape());  // (same as input)
  const float* xs = input.data();
  float* ys = y.data();
  Mask::Flag* positive = positive_.reset(input.shape());
  parallel_elementwise(input.size(), [&](std::size_t i) {
    positive[i] = xs[i] > 0.0f ? Mask::yes : Mask::no;
    ys[i] = xs[i] > 0.0f ? xs[i] : 0.0f;
  });
  return y;
}
Tensor ReLU::backward(const Tensor& doutput) {
  if (doutput.shape() != positive_.shape())
    throw std::invalid_argument("ReLU::backward: output gradient of shape " + shape_to_string(doutput.shape()) +
                                " does not match the forward output " + shape_to_string(positive_.shape()));
  Tensor dx = Tensor::uninitialized(doutput.shape());  // (same as input)
  const float* dy = doutput.data();
  const Mask::Flag* positive = positive_.data();
  float* out = dx.data();
  parallel_elementwise(doutput.size(), [&](std::size_t i) { out[i] = dy[i] * (positive[i] == Mask::yes ? 1.0f : 0.0f); });
  return dx;
}

// ---- LeakyReLU ----------------------------------------------------------------------------
std::string LeakyReLU::name() const {
  char buf[48];
  std::snprintf(buf, sizeof buf, "LeakyReLU(%g)", double(alpha_));
  return buf;
}
Tensor LeakyReLU::forward(const Tensor& input) {
  input_ = input;
  const float a = alpha_;
  return map(input, [a](float x) { return x > 0.0f ? x : a * x; });
}
Tensor LeakyReLU::backward(const Tensor& doutput) {
  const float a = alpha_;
  return chain(doutput, input_, "LeakyReLU::backward", [a](float x) { return x > 0.0f ? 1.0f : a; });
}

// ---- GELU ---------------------------------------------------------------------------------
namespace {

// erf(x) as x P(x^2) / Q(x^2), a rational minimax fit on [-4, 4] (beyond it erf is +-1 in float),
// the approximation Eigen and XLA use: within 4.3e-7 of the true erf everywhere. The C library's
// erff is a call the compiler cannot vectorize; this is straight-line arithmetic, so the GELU loops
// (with common/fast_math.hpp's fast_exp for phi) run a SIMD register of elements at a time. In
// chapter 06's Transformer, where GELU sees 4D values per character, the library's erff and expf
// took a third of a block's training time.
inline float erf_rational(float x) {
  x = std::min(std::max(x, -4.0f), 4.0f);
  const float z = x * x;
  float p = -2.72614225801306e-10f;
  p = p * z + 2.77068142495902e-08f;
  p = p * z - 2.10102402082508e-06f;
  p = p * z - 5.69250639462346e-05f;
  p = p * z - 7.34990630326855e-04f;
  p = p * z - 2.95459980854025e-03f;
  p = p * z - 1.60960333262415e-02f;
  float q = -1.45660718464996e-05f;
  q = q * z - 2.13374055278905e-04f;
  q = q * z - 1.68282697438203e-03f;
  q = q * z - 7.37332916720468e-03f;
  q = q * z - 1.42647390514189e-02f;
  return x * p / q;
}

}  // namespace

Tensor GELU::forward(const Tensor& input) {
  input_ = input;
  return map(input, [](float x) { return 0.5f * x * (1.0f + erf_rational(x * float(M_SQRT1_2))); });
}
Tensor GELU::backward(const Tensor& doutput) {
  return chain(doutput, input_, "GELU::backward", [](float x) {
    const float cdf = 0.5f * (1.0f + erf_rational(x * float(M_SQRT1_2)));
    const float pdf = fast_exp(-0.5f * x * x) * float(0.5 * M_2_SQRTPI * M_SQRT1_2);  // 1/sqrt(2 pi)
    return cdf + x * pdf;
  });
}

// ---- Softmax ------------------------------------------------------------------------------
Tensor softmax(const Tensor& x) {
  const std::size_t n = x.shape().back(), rows = x.size() / std::max<std::size_t>(n, 1);
  Tensor s(x.shape());  // (..., n)
  for (std::size_t r = 0; r < rows; ++r) {
    const float* in = x.data() + r * n;
    float* out = s.data() + r * n;
    const float m = *std::max_element(in, in + n);
    double total = 0.0;
    for (std::size_t j = 0; j < n; ++j) total += out[j] = std::exp(in[j] - m);
    const float inv = float(1.0 / total);
    for (std::size_t j = 0; j < n; ++j) out[j] *= inv;
  }
  return s;
}

Tensor Softmax::forward(const Tensor& input) {
  output_ = softmax(input);
  return output_;
}

Tensor Softmax::backward(const Tensor& doutput) {
  require_same_shape(doutput, output_, "Softmax::backward");
  const std::size_t n = output_.shape().back(), rows = output_.size() / std::max<std::size_t>(n, 1);
  Tensor dx(output_.shape());
  for (std::size_t r = 0; r < rows; ++r) {
    const float* s = output_.data() + r * n;
    const float* dy = doutput.data() + r * n;
    float* out = dx.data() + r * n;
    double dot = 0.0;  // sum_i dy_i s_i
    for (std::size_t i = 0; i < n; ++i) dot += double(dy[i]) * s[i];
    for (std::size_t j = 0; j < n; ++j) out[j] = s[j] * (dy[j] - float(dot));
  }
  return dx;
}

}  // namespace dlfs
