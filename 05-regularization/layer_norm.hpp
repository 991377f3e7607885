// Layer normalization (Ba, Kiros & Hinton 2016) over the last dimension, as torch.nn.LayerNorm(D):
// every row (one example, or one token of a sequence in chapter 06) is normalized over its own D
// features, so nothing depends on the rest of the batch and training and evaluation are the same.
//
//   mu    = (1/D) sum_j x_j                 per row
//   var   = (1/D) sum_j (x_j - mu)^2        biased, as in PyTorch
//   rstd  = 1 / sqrt(var + eps)             eps 1e-5
//   xhat  = (x - mu) rstd
//   y     = gamma xhat + beta               gamma, beta (D): "weight" (starts at 1), "bias" (starts at 0)
//
// Backward: the same algebra as batch norm's with the sums running along the row instead of down
// the batch (the README derives it once for both). With g = dy gamma, the gradient reaching xhat:
//   dx      = rstd / D (D g - sum_j g_j - xhat sum_j g_j xhat_j)
//   dgamma += sum over rows of dy xhat,   dbeta += sum over rows of dy
#pragma once

#include "02-mlp/layer.hpp"

namespace dlfs {

class LayerNorm : public Layer {
 public:
  static constexpr float kDefaultEps = 1e-5f;
  explicit LayerNorm(std::size_t features, float eps = kDefaultEps);

  Tensor forward(const Tensor& input) override;     // (..., D) -> (..., D)
  Tensor backward(const Tensor& doutput) override;  // (..., D) -> (..., D)
  std::vector<Parameter*> parameters() override { return {&weight_, &bias_}; }
  std::string name() const override;  // "LayerNorm(64)"

  std::size_t features() const { return features_; }
  float eps() const { return eps_; }
  Parameter& weight() { return weight_; }  // gamma (D)
  Parameter& bias() { return bias_; }      // beta (D)

 private:
  std::size_t features_;
  float eps_;
  Parameter weight_;  // (D)
  Parameter bias_;    // (D)
  Tensor xhat_;       // (..., D): the normalized input of the last forward
  Tensor rstd_;       // (rows): 1 / sqrt(var + eps) of each row
};

}  // namespace dlfs
