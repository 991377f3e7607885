// Cross-entropy beyond chapter 02's fused softmax cross-entropy (02-mlp/losses.hpp:
// softmax_cross_entropy): binary cross-entropy on logits, and categorical cross-entropy on
// probabilities with distribution (one-hot or soft) targets.
#pragma once

#include "02-mlp/losses.hpp"

namespace dlfs {

// Binary cross-entropy on logits (PyTorch's BCEWithLogitsLoss), for yes/no outputs, one sigmoid
// per element; targets t in [0, 1] (soft targets allowed), averaged over every element:
//   L(z, t) = -[t log sigma(z) + (1 - t) log(1 - sigma(z))]
// Written out with log sigma(z) = -log(1 + e^-z) and log(1 - sigma(z)) = -z - log(1 + e^-z):
//   L = (1 - t) z + log(1 + e^-z)
// which overflows for z << 0 (e^-z). Since log(1 + e^-z) = max(-z, 0) + log(1 + e^-|z|),
//   L = max(z, 0) - z t + log(1 + e^-|z|)       (every exp has a non-positive argument)
// and the gradient collapses to dL/dz = sigma(z) - t (divided by N), like softmax's p - onehot.
// Working on logits instead of on sigma(z) is what makes it stable: sigma(30) rounds to 1 in
// float, and log(1 - 1) would be -inf.
LossAndGrad binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& targets);  // same shape

// Categorical cross-entropy on probabilities p (B, C) (e.g. the output of chapter 02's Softmax
// layer) against target distributions t (B, C) (each row one-hot or soft, summing to 1):
//   L = -1/B sum_b sum_j t_bj log p_bj,     dL/dp_bj = -t_bj / (B p_bj)
// p is clamped below at kProbabilityFloor (1e-7, Keras's epsilon) in both, so p = 0 gives a large
// but finite loss (16.1 per unit of target) and gradient, never inf or NaN.
//
// Versus the fused softmax_cross_entropy of chapter 02: through Softmax's backward the gradient
// -t / p becomes exactly p - t (the 1/p and softmax's p cancel), the same as the fused one, but
// computed the long way: a division by a p that may have underflowed, then a multiplication by
// it. With logits 20 apart, p of the true class is ~2e-9 and the clamp has already changed the
// loss; the fused version works from logsumexp and is exact at any logit. Use this one when the
// network really outputs probabilities (a mixture, a distillation teacher), the fused one otherwise.
inline constexpr float kProbabilityFloor = 1e-7f;
LossAndGrad categorical_cross_entropy(const Tensor& probabilities, const Tensor& targets);  // both (B, C)

}  // namespace dlfs
