// Regression losses beside chapter 02's MSE (02-mlp/losses.hpp: mse): MAE and Huber. Like mse,
// each averages over every element (N = all elements of the prediction, as PyTorch's
// reduction='mean' does) and returns dL/d(prediction).
//
// They differ in how hard they pull on an outlier with residual d = p - t:
//   MSE   d^2        gradient 2d        grows with the error: one outlier can dominate the batch
//   MAE   |d|        gradient sign(d)   constant: outliers count like any other point, but the
//                                       gradient does not shrink near the optimum (it jumps at 0)
//   Huber quadratic near 0, linear beyond delta: MSE's smooth minimum, MAE's robustness.
#pragma once

#include "02-mlp/losses.hpp"

namespace dlfs {

// Mean absolute error (PyTorch's L1Loss):
//   L = 1/N sum_i |p_i - t_i|,   dL/dp_i = sign(p_i - t_i) / N    (0 at p_i = t_i, as PyTorch takes it)
LossAndGrad mae(const Tensor& prediction, const Tensor& target);  // both the same shape, e.g. (B, N)

// Huber loss (Huber 1964; PyTorch's HuberLoss, delta default 1.0), with d_i = p_i - t_i:
//   h(d) = d^2 / 2                   if |d| <= delta
//          delta (|d| - delta / 2)    otherwise      (the two pieces meet with equal value and slope)
//   L = 1/N sum_i h(d_i),   dL/dp_i = h'(d_i) / N,   h'(d) = d if |d| <= delta, else delta sign(d)
// (PyTorch's SmoothL1Loss with beta is h / beta: the same curve, scaled.)
LossAndGrad huber(const Tensor& prediction, const Tensor& target, float delta = 1.0f);

}  // namespace dlfs
