#include "05-regularization/batch_norm.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "03-cnn/parallel.hpp"
#include "common/simd.hpp"

namespace dlfs {

namespace {

// The channel sums, one (b, c) plane of S contiguous values at a time: within a plane in float, in
// sixteen lanes (simd::sum16: 16 partial sums of S/16 values each, in an order that is the same on
// every machine), and the B planes added up in double. (One double accumulator for all m values
// would be exact too, but a serial chain of double adds runs about 8x slower than the vectorized
// float sums for a 28x28 plane.)
float plane_sum(const float* x, std::size_t n) {
  return simd::sum16(n, [x](std::size_t i) { return x[i]; });
}

float plane_squared_deviations(const float* x, std::size_t n, float mu) {
  return simd::sum16(n, [x, mu](std::size_t i) { return (x[i] - mu) * (x[i] - mu); });
}

float plane_dot(const float* a, const float* b, std::size_t n) {
  return simd::sum16(n, [a, b](std::size_t i) { return a[i] * b[i]; });
}

// totals[c] = sum over b of planes[b, c] (planes: (B, C)), in double, b = 0, 1, ... in order.
std::vector<double> channel_totals(const std::vector<float>& planes, std::size_t B, std::size_t C) {
  std::vector<double> totals(C, 0.0);
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t c = 0; c < C; ++c) totals[c] += planes[b * C + c];
  return totals;
}

}  // namespace

BatchNorm::BatchNorm(const char* kind, std::size_t input_ndim, std::size_t features, float momentum, float eps)
    : kind_(kind),
      input_ndim_(input_ndim),
      features_(features),
      momentum_(momentum),
      eps_(eps),
      weight_("weight", Tensor({features}, 1.0f)),
      bias_("bias", Tensor({features})),
      running_mean_("running_mean", Tensor({features})),
      running_var_("running_var", Tensor({features}, 1.0f)) {
  if (features == 0) throw std::invalid_argument(std::string(kind) + ": needs at least one feature");
  if (!(momentum >= 0.0f && momentum <= 1.0f))
    throw std::invalid_argument(std::string(kind) + ": momentum must be in [0, 1]");
  if (!(eps > 0.0f)) throw std::invalid_argument(std::string(kind) + ": eps must be positive");
  running_mean_.trainable = false;
  running_var_.trainable = false;
}

std::string BatchNorm::name() const {
  std::string s = std::string(kind_) + "(" + std::to_string(features_);
  char text[64];
  if (eps_ != kDefaultEps) {
    std::snprintf(text, sizeof text, ", eps=%g", double(eps_));
    s += text;
  }
  if (momentum_ != kDefaultMomentum) {
    std::snprintf(text, sizeof text, ", momentum=%g", double(momentum_));
    s += text;
  }
  return s + ")";
}

Tensor BatchNorm::forward(const Tensor& input) {
  if (input.ndim() != input_ndim_ || input.dim(1) != features_)
    throw std::invalid_argument(name() + ": input of shape " + shape_to_string(input.shape()) + ", expected (B, " +
                                std::to_string(features_) + (input_ndim_ == 2 ? ")" : ", H, W)"));
  if (input.empty()) throw std::invalid_argument(name() + ": an empty input " + shape_to_string(input.shape()));
  const std::size_t B = input.dim(0), C = features_, S = input.size() / (B * C);  // S: H*W, or 1
  const std::size_t m = B * S;  // values per channel
  if (training_ && m < 2)  // refused before anything changes
    throw std::invalid_argument(name() + ": training needs more than one value per channel (input " +
                                shape_to_string(input.shape()) + "): a single value has no variance");
  batch_statistics_ = training_;
  mean_ = Tensor({C});  // (C)
  rstd_ = Tensor({C});  // (C)
  if (training_) {
    // Two passes: the mean first, then the squared deviations from it (stable where
    // E[x^2] - E[x]^2 would cancel catastrophically for a large mean). Each pass sums every (b, c)
    // plane on its own (in parallel over the images), then adds channel c's B plane sums in image
    // order (channel_totals): the same sums in the same order on any number of threads.
    std::vector<float> planes(B * C);  // (B, C): one plane's sum
    parallel_for(B, C * S, [&](std::size_t b) {
      for (std::size_t c = 0; c < C; ++c) planes[b * C + c] = plane_sum(input.data() + (b * C + c) * S, S);
    });
    const std::vector<double> sums = channel_totals(planes, B, C);
    for (std::size_t c = 0; c < C; ++c) mean_[c] = float(sums[c] / double(m));
    parallel_for(B, C * S, [&](std::size_t b) {
      for (std::size_t c = 0; c < C; ++c)
        planes[b * C + c] = plane_squared_deviations(input.data() + (b * C + c) * S, S, mean_[c]);
    });
    const std::vector<double> squares = channel_totals(planes, B, C);
    for (std::size_t c = 0; c < C; ++c) {
      const double mu = sums[c] / double(m);
      const double var = squares[c] / double(m);  // biased: normalizes this batch
      rstd_[c] = float(1.0 / std::sqrt(var + double(eps_)));
      // running <- (1 - momentum) running + momentum batch, with the unbiased variance m / (m - 1) var
      running_mean_.value[c] = float((1.0 - momentum_) * running_mean_.value[c] + momentum_ * mu);
      running_var_.value[c] =
          float((1.0 - momentum_) * running_var_.value[c] + momentum_ * var * double(m) / double(m - 1));
    }
  } else {
    for (std::size_t c = 0; c < C; ++c) {
      mean_[c] = running_mean_.value[c];
      rstd_[c] = float(1.0 / std::sqrt(double(running_var_.value[c]) + double(eps_)));
    }
  }

  // xhat = (x - mu) rstd;  y = gamma xhat + beta
  xhat_ = Tensor::uninitialized(input.shape());     // (B, C, ...)
  Tensor y = Tensor::uninitialized(input.shape());  // (B, C, ...)
  parallel_for(B, C * S, [&](std::size_t b) {
    for (std::size_t c = 0; c < C; ++c) {
      const float mu = mean_[c], rstd = rstd_[c], gamma = weight_.value[c], beta = bias_.value[c];
      const std::size_t at = (b * C + c) * S;
      for (std::size_t s = 0; s < S; ++s) {
        const float xhat = (input[at + s] - mu) * rstd;
        xhat_[at + s] = xhat;
        y[at + s] = gamma * xhat + beta;
      }
    }
  });
  return y;
}

Tensor BatchNorm::backward(const Tensor& doutput) {
  if (xhat_.empty()) throw std::logic_error(name() + ": backward needs a forward pass first");
  require_same_shape(doutput, xhat_, (name() + "::backward").c_str());
  const std::size_t B = xhat_.dim(0), C = features_, S = xhat_.size() / (B * C);
  const std::size_t m = B * S;
  // The two sums per channel, plane by plane in parallel over the images, then in image order.
  std::vector<float> plane_dy(B * C), plane_dy_xhat(B * C);  // (B, C)
  parallel_for(B, C * S, [&](std::size_t b) {
    for (std::size_t c = 0; c < C; ++c) {
      const std::size_t at = (b * C + c) * S;
      plane_dy[b * C + c] = plane_sum(doutput.data() + at, S);
      plane_dy_xhat[b * C + c] = plane_dot(doutput.data() + at, xhat_.data() + at, S);
    }
  });
  const std::vector<double> dy_totals = channel_totals(plane_dy, B, C);
  const std::vector<double> dy_xhat_totals = channel_totals(plane_dy_xhat, B, C);
  std::vector<float> sum_dy(C), sum_dy_xhat(C);  // (C): sum dy and sum dy xhat over the channel's m values
  for (std::size_t c = 0; c < C; ++c) {
    sum_dy[c] = float(dy_totals[c]);
    sum_dy_xhat[c] = float(dy_xhat_totals[c]);
    bias_.grad[c] += sum_dy[c];         // dbeta  += sum dy
    weight_.grad[c] += sum_dy_xhat[c];  // dgamma += sum dy xhat
  }
  if (!needs_input_grad_) return Tensor();

  Tensor dx = Tensor::uninitialized(xhat_.shape());  // (B, C, ...)
  parallel_for(B, C * S, [&](std::size_t b) {
    for (std::size_t c = 0; c < C; ++c) {
      const float gamma_rstd = weight_.value[c] * rstd_[c];
      const float scale = gamma_rstd / float(m), mf = float(m), sdy = sum_dy[c], sdyx = sum_dy_xhat[c];
      const std::size_t at = (b * C + c) * S;
      if (batch_statistics_) {
        // dx = gamma rstd / m (m dy - sum dy - xhat sum(dy xhat))
        for (std::size_t s = 0; s < S; ++s) dx[at + s] = scale * (mf * doutput[at + s] - sdy - xhat_[at + s] * sdyx);
      } else {
        // dx = gamma rstd dy: the running statistics do not depend on x
        for (std::size_t s = 0; s < S; ++s) dx[at + s] = gamma_rstd * doutput[at + s];
      }
    }
  });
  return dx;
}

}  // namespace dlfs
