// Hinge losses: the losses of support vector machines, on a network's raw scores.
//
// Cross-entropy never stops pushing: even a confidently right example has loss > 0 and a gradient
// that asks for a still larger margin. A hinge loss is satisfied once the right answer wins by a
// margin (1): such examples contribute exactly zero loss and zero gradient, and training spends
// itself on the examples near or across the decision boundary. The scores are not probabilities.
#pragma once

#include <vector>

#include "02-mlp/losses.hpp"

namespace dlfs {

// Binary hinge on scores z with targets t in {-1, +1} (same shape), averaged over every element:
//   L = 1/N sum_i max(0, 1 - t_i z_i),   dL/dz_i = -t_i / N where t_i z_i < 1, else 0
LossAndGrad binary_hinge(const Tensor& scores, const Tensor& targets);

// Multi-class hinge, Weston & Watkins (1999) form, as PyTorch's MultiMarginLoss (p = 1) computes it:
// every wrong class j that comes within `margin` of the true class y adds its shortfall,
//   L = 1/B sum_b 1/C sum_{j != y_b} max(0, margin - z_{b,y_b} + z_bj)        logits z (B, C)
//   dL/dz_bj     = [margin - z_{b,y_b} + z_bj > 0] / (B C)                       for j != y_b
//   dL/dz_{b,y_b} = -(number of wrong classes violating the margin) / (B C)
// The 1/C is PyTorch's (cs231n's SVM loss leaves it out; it only rescales the gradient).
// The other classic form, Crammer & Singer (2001), charges only the worst wrong class:
//   L_b = max(0, margin - z_{b,y_b} + max_{j != y_b} z_bj),
// whose gradient touches just two logits per example: the true class and the strongest impostor.
LossAndGrad multiclass_hinge(const Tensor& logits, const std::vector<int>& labels, float margin = 1.0f);

}  // namespace dlfs
