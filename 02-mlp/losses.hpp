// Losses: the scalar a network is trained to make small, and its gradient with respect to the
// network's output, where backpropagation starts. Both are averaged over the batch (B rows),
// so the learning rate does not depend on the batch size.
#pragma once

#include <functional>
#include <vector>

#include "common/tensor.hpp"

namespace dlfs {

struct LossAndGrad {
  double loss = 0.0;  // mean over the batch
  Tensor grad;        // dL/d(prediction), same shape as the prediction
};

// Mean squared error, averaged over every element as PyTorch's MSELoss does:
//   L = 1/(B N) sum_bj (p_bj - t_bj)^2,   dL/dp_bj = 2 (p_bj - t_bj) / (B N).
LossAndGrad mse(const Tensor& prediction, const Tensor& target);  // both (B, N)

// Softmax cross-entropy on logits z (B, C) with integer labels y (B):
//   L = 1/B sum_b -log softmax(z_b)_{y_b} = 1/B sum_b (logsumexp(z_b) - z_{b, y_b})
// computed with logsumexp(z) = m + log sum_j exp(z_j - m), m = max_j z_j, so it never overflows.
// Fused backward: the softmax Jacobian and the log's 1/s cancel, leaving
//   dL/dz_bj = (softmax(z_b)_j - [j == y_b]) / B.
LossAndGrad softmax_cross_entropy(const Tensor& logits, const std::vector<int>& labels);

// The signature the classification training loop accepts; chapter 07 adds hinge and others.
using ClassificationLoss = std::function<LossAndGrad(const Tensor& logits, const std::vector<int>& labels)>;

}  // namespace dlfs
