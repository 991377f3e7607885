// Batch normalization (Ioffe & Szegedy 2015), with PyTorch's conventions so a saved model maps onto
// torch.nn.BatchNorm1d / BatchNorm2d's state_dict name for name.
//
// Every channel c is normalized over the m values it takes in the batch: m = B for BatchNorm1d's
// (B, F) input (a "channel" is a feature), m = B*H*W for BatchNorm2d's (B, C, H, W) input (one
// statistic per feature map, shared by every pixel, as a convolution shares its weights):
//
//   training    mu_c    = (1/m) sum x                       the batch mean
//               var_c   = (1/m) sum (x - mu_c)^2            the biased batch variance
//               rstd_c  = 1 / sqrt(var_c + eps)
//               xhat    = (x - mu_c) rstd_c                 mean 0, variance ~1 over the batch
//               y       = gamma_c xhat + beta_c             gamma, beta learnable: BN can undo itself
//               running_mean <- (1 - momentum) running_mean + momentum mu_c
//               running_var  <- (1 - momentum) running_var  + momentum var_c m / (m - 1)   (unbiased)
//   evaluation  y = gamma_c (x - running_mean_c) / sqrt(running_var_c + eps) + beta_c
//               (a fixed per-channel affine map: one example's output no longer depends on the batch)
//
// momentum 0.1 and eps 1e-5 as in PyTorch. Note the asymmetry PyTorch has too: the batch is
// normalized with the biased variance, the running estimate keeps the unbiased one.
//
// Backward (training), per channel, sums over the channel's m values (derived in the README):
//   dbeta  += sum dy
//   dgamma += sum dy xhat
//   dx      = gamma rstd / m (m dy - sum dy - xhat sum(dy xhat))
// The two subtracted sums are the paths through mu and var: moving one x moves every xhat of its
// channel. In evaluation the statistics are constants, so dx = gamma rstd dy.
//
// The running statistics are Parameters with trainable = false: saved and loaded with the model,
// never touched by an optimizer (they are estimated, not learned). PyTorch's third buffer,
// num_batches_tracked, is left out: it only matters for momentum=None (a cumulative average).
#pragma once

#include "02-mlp/layer.hpp"

namespace dlfs {

// The shared arithmetic; BatchNorm1d and BatchNorm2d differ only in the input they accept.
class BatchNorm : public Layer {
 public:
  static constexpr float kDefaultMomentum = 0.1f;
  static constexpr float kDefaultEps = 1e-5f;

  Tensor forward(const Tensor& input) override;     // (B, C, ...) -> (B, C, ...)
  Tensor backward(const Tensor& doutput) override;  // (B, C, ...) -> (B, C, ...)
  // weight (gamma), bias (beta), running_mean, running_var: PyTorch's state_dict order and names.
  std::vector<Parameter*> parameters() override { return {&weight_, &bias_, &running_mean_, &running_var_}; }
  std::string name() const override;  // "BatchNorm2d(16)"; eps and momentum appear when not the defaults
  // In training mode the statistics come from the batch, coupling its examples.
  std::string batch_coupled_layer() const override { return training_ ? name() : std::string(); }

  std::size_t features() const { return features_; }
  float momentum() const { return momentum_; }
  float eps() const { return eps_; }
  Parameter& weight() { return weight_; }              // gamma (C), starts at 1
  Parameter& bias() { return bias_; }                  // beta (C), starts at 0
  Parameter& running_mean() { return running_mean_; }  // (C), starts at 0, not trainable
  Parameter& running_var() { return running_var_; }    // (C), starts at 1, not trainable

 protected:
  // kind: "BatchNorm1d" or "BatchNorm2d"; input_ndim: 2 for (B, F), 4 for (B, C, H, W).
  BatchNorm(const char* kind, std::size_t input_ndim, std::size_t features, float momentum, float eps);

 private:
  const char* kind_;
  std::size_t input_ndim_, features_;
  float momentum_, eps_;
  Parameter weight_;        // (C)
  Parameter bias_;          // (C)
  Parameter running_mean_;  // (C)
  Parameter running_var_;   // (C)
  Tensor xhat_;             // (B, C, ...): the normalized input of the last forward
  Tensor mean_;             // (C): the mean it subtracted (the batch's in training, else the running one)
  Tensor rstd_;             // (C): 1 / sqrt(var + eps) it multiplied by
  bool batch_statistics_ = false;  // the last forward normalized with the batch's statistics
};

// (B, F): one statistic per feature over the B examples. Typically after a Dense layer.
class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(std::size_t features, float momentum = kDefaultMomentum, float eps = kDefaultEps)
      : BatchNorm("BatchNorm1d", 2, features, momentum, eps) {}
};

// (B, C, H, W): one statistic per channel over the B*H*W values of its maps. After a convolution.
class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(std::size_t channels, float momentum = kDefaultMomentum, float eps = kDefaultEps)
      : BatchNorm("BatchNorm2d", 4, channels, momentum, eps) {}
};

}  // namespace dlfs
