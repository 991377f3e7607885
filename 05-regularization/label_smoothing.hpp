// Label smoothing (Szegedy et al. 2016, section 7): train against a softened target
//   q = (1 - eps) onehot(y) + eps / C
// instead of the one-hot one, so the network is never asked for a probability of exactly 1, which
// only infinitely large logits give. PyTorch's CrossEntropyLoss(label_smoothing=eps), the same
// ignore index and the same mean over the labels that are not ignored.
//
// Per row z with label y, with logsumexp(z) = lse:
//   L = sum_j q_j (lse - z_j) = (1 - eps)(lse - z_y) + eps (lse - mean_j z_j)
//     = (lse - z_y) + eps (z_y - mean_j z_j)
// that is chapter 02's cross-entropy plus eps times the gap between the labelled logit and the mean
// logit: a penalty on how far the right class stands out. Its gradient is softmax(z) - q:
//   dL/dz_j = (softmax(z)_j - [j == y]) + eps ([j == y] - 1/C)
// chapter 02's fused gradient plus the penalty's, so this loss is that one with one term added.
#pragma once

#include "02-mlp/losses.hpp"

namespace dlfs {

// Softmax cross-entropy against labels smoothed by eps in [0, 1): logits (B, C) with labels (B),
// or (B, T, C) with labels (B, T). eps = 0 is softmax_cross_entropy exactly. Averaged over the n
// labels that are not kIgnoreIndex; ignored rows get neither loss nor gradient. Throws
// std::invalid_argument for eps outside [0, 1) and for what softmax_cross_entropy refuses.
LossAndGrad label_smoothing_cross_entropy(const Tensor& logits, const Targets& labels, float eps);

// The same as a Loss for the training loop. Throws std::invalid_argument for eps outside [0, 1).
Loss label_smoothing(float eps);

}  // namespace dlfs
