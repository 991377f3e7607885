#include "06-transformer/positional_encoding.hpp"

#include <cmath>
#include <stdexcept>

namespace dlfs {

PositionalEncoding::PositionalEncoding(Tensor table, bool learned)
    : table_("weight", std::move(table)), learned_(learned) {}

Tensor PositionalEncoding::forward_from(const Tensor& input, std::size_t start) {
  const std::size_t D = features();
  if (input.ndim() != 3 || input.dim(2) != D)
    throw std::invalid_argument(name() + ": input of shape " + shape_to_string(input.shape()) + " is not (B, T, " +
                                std::to_string(D) + ")");
  const std::size_t B = input.dim(0), T = input.dim(1);
  if (start + T > context())
    throw std::invalid_argument(name() + ": positions " + std::to_string(start) + " to " +
                                std::to_string(start + T - 1) + " do not fit the context of " +
                                std::to_string(context()) + " positions");
  start_ = start;
  input_shape_ = input.shape();
  Tensor y = Tensor::uninitialized(input.shape());  // (B, T, D)
  // y[b, t, :] = x[b, t, :] + P[start + t, :]
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t t = 0; t < T; ++t) {
      const float* x = input.data() + (b * T + t) * D;
      const float* p = table_.value.data() + (start + t) * D;
      float* out = y.data() + (b * T + t) * D;
      for (std::size_t j = 0; j < D; ++j) out[j] = x[j] + p[j];
    }
  return y;
}

Tensor PositionalEncoding::backward(const Tensor& doutput) {
  if (doutput.shape() != input_shape_)
    throw std::invalid_argument(name() + ": output gradient of shape " + shape_to_string(doutput.shape()) +
                                " does not match the forward output " + shape_to_string(input_shape_));
  if (learned_) {
    const std::size_t B = input_shape_[0], T = input_shape_[1], D = input_shape_[2];
    // dP[start + t, :] += sum over b of dy[b, t, :]
    for (std::size_t b = 0; b < B; ++b)
      for (std::size_t t = 0; t < T; ++t) {
        const float* dy = doutput.data() + (b * T + t) * D;
        float* dp = table_.grad.data() + (start_ + t) * D;
        for (std::size_t j = 0; j < D; ++j) dp[j] += dy[j];
      }
  }
  if (!needs_input_grad_) return Tensor();
  return doutput;  // dx = dy
}

Tensor sinusoidal_table(std::size_t context, std::size_t features) {
  if (context == 0 || features == 0)
    throw std::invalid_argument("sinusoidal_table: the context and the width must be positive");
  Tensor table({context, features});  // (context, D)
  for (std::size_t t = 0; t < context; ++t)
    for (std::size_t j = 0; j < features; ++j) {
      // angle = t / 10000^(2i / D), i = floor(j / 2); in double, then rounded once
      const double i = double(j / 2);
      const double angle = double(t) / std::pow(10000.0, 2.0 * i / double(features));
      table(t, j) = float(j % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  return table;
}

SinusoidalPositions::SinusoidalPositions(std::size_t context, std::size_t features)
    : PositionalEncoding(sinusoidal_table(context, features), /*learned=*/false) {}

std::string SinusoidalPositions::name() const {
  return "SinusoidalPositions(" + std::to_string(context()) + ", " + std::to_string(features()) + ")";
}

namespace {

Tensor gpt2_table(std::size_t context, std::size_t features, Rng& rng) {
  if (context == 0 || features == 0)
    throw std::invalid_argument("LearnedPositions: the context and the width must be positive");
  Tensor table({context, features});  // (context, D)
  rng.fill_normal(table, 0.0f, 0.02f);
  return table;
}

}  // namespace

LearnedPositions::LearnedPositions(std::size_t context, std::size_t features, Rng& rng)
    : PositionalEncoding(gpt2_table(context, features, rng), /*learned=*/true) {}

std::string LearnedPositions::name() const {
  return "LearnedPositions(" + std::to_string(context()) + ", " + std::to_string(features()) + ")";
}

}  // namespace dlfs
