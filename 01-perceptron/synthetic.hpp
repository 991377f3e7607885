// Two made-up data sets that show the perceptron's reach and its limit.
#pragma once

#include <cstddef>

#include "01-perceptron/dataset.hpp"
#include "common/random.hpp"
#include "common/tensor.hpp"

namespace dlfs {

// XOR: n points around the four corners of the unit square, (0,0) (0,1) (1,0) (1,1), each
// blurred by Gaussian noise of the given standard deviation, labelled x1 XOR x2 (classes "0"
// and "1"). No straight line puts (0,1) and (1,0) on one side and (0,0) and (1,1) on the other,
// so no perceptron can classify more than three of the four corners. x: (n, 2).
Dataset make_xor(std::size_t n, float noise, Rng& rng);

// A linearly separable problem with a known separator and margin, for testing the convergence
// theorem. w_star is a unit vector in R^(F+1) whose last entry plays the bias: a point x is
// labelled by the sign of w_star . (x, 1). Points are uniform in [-1, 1]^F, and those closer
// than `margin` to the separating hyperplane (in the augmented space) are redrawn, so every
// point satisfies y_i w_star . (x_i, 1) >= margin.
struct SeparableProblem {
  Dataset data;   // x: (n, F), classes "-1" (code 0) and "+1" (code 1)
  Tensor w_star;  // (F + 1), unit norm
};
SeparableProblem make_separable(std::size_t n, std::size_t features, float margin, Rng& rng);

}  // namespace dlfs
