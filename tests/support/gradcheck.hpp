// Finite-difference gradient checking: the test every backward pass must pass.
//
// For a scalar function L(x), the central difference
//     dL/dx_i ~= (L(x + h e_i) - L(x - h e_i)) / (2h)
// has error O(h^2) (the first-order terms of the two Taylor series cancel), against O(h) for the
// one-sided difference. L is evaluated in float by our layers, so h cannot be tiny (rounding
// noise grows like eps_float / h); h = 1e-2 to 1e-3 balances the two. The differences are
// accumulated in double so the subtraction itself loses nothing more.
#pragma once

#include <functional>

#include "common/random.hpp"
#include "common/tensor.hpp"

namespace dlfs::test {

// The numerical gradient of loss() with respect to every element of x. loss() must read x
// (by reference); x is restored exactly after each probe.
Tensor numerical_gradient(const std::function<double()>& loss, Tensor& x, double h = 1e-2);

// The usual way to test a layer's backward: with a fixed random upstream gradient G (same shape
// as the output y), the scalar L = sum(y * G) has dL/dy = G, so the analytic input gradient is
// backward(G) and the numerical one is numerical_gradient of L.
double dot(const Tensor& a, const Tensor& b);  // sum a_i b_i, in double

// A tensor of the given shape filled with N(0, 1) from rng.
Tensor random_tensor(Shape shape, Rng& rng, float stddev = 1.0f);

}  // namespace dlfs::test
