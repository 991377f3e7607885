// Losses: the scalar a network is trained to make small, and its gradient with respect to the
// network's output, where backpropagation starts. Both are averaged over the batch's targets
// (Targets::count(): examples, labelled positions or values), so the learning rate does not depend
// on the batch size.
#pragma once

#include <functional>
#include <vector>

#include "02-mlp/targets.hpp"
#include "common/tensor.hpp"

namespace dlfs {

struct LossAndGrad {
  double loss = 0.0;  // mean over the batch
  Tensor grad;        // dL/d(prediction), same shape as the prediction
};

// Mean squared error against real-valued targets, averaged over every element as PyTorch's
// MSELoss does:
//   L = 1/(B N) sum_bj (p_bj - t_bj)^2,   dL/dp_bj = 2 (p_bj - t_bj) / (B N).
LossAndGrad mse(const Tensor& prediction, const Targets& target);  // prediction and target.values (B, N)

// Softmax cross-entropy on logits z with integer labels y. Each row of C logits is one choice among
// C classes: logits (B, C) with one label per example, or (B, T, C) with one label per position.
// Over the n labels that are not kIgnoreIndex:
//   L = 1/n sum_r -log softmax(z_r)_{y_r} = 1/n sum_r (logsumexp(z_r) - z_{r, y_r})
// computed with logsumexp(z) = m + log sum_j exp(z_j - m), m = max_j z_j, so it never overflows.
// Fused backward: the softmax Jacobian and the log's 1/s cancel, leaving
//   dL/dz_rj = (softmax(z_r)_j - [j == y_r]) / n,   and 0 on ignored rows.
// In nats; divided by ln 2 it is in bits (per character, for a character model).
LossAndGrad softmax_cross_entropy(const Tensor& logits, const Targets& labels);

// The signature the training loop accepts: the network's output and the batch's targets in, the
// mean loss and dL/d(output) out. Chapter 07 adds hinge losses and others.
using Loss = std::function<LossAndGrad(const Tensor& output, const Targets& targets)>;

}  // namespace dlfs
