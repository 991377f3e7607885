// Tests of the test support itself: a gradient checker that is wrong would bless wrong layers.
#include <catch2/catch.hpp>
#include <cmath>

#include "tests/support/eigen.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

TEST_CASE("numerical_gradient recovers a known gradient", "[common][gradcheck]") {
  // L(x) = sum_i sin(x_i) * x_i^2   =>   dL/dx_i = cos(x_i) x_i^2 + 2 x_i sin(x_i)
  Rng rng(11);
  Tensor x = random_tensor({3, 4}, rng);
  const Tensor x0 = x;
  auto loss = [&] {
    double s = 0;
    for (float v : x) s += std::sin(double(v)) * double(v) * v;
    return s;
  };
  Tensor numeric = numerical_gradient(loss, x, 1e-3);
  Tensor exact(x.shape());
  for (std::size_t i = 0; i < x.size(); ++i)
    exact[i] = float(std::cos(x[i]) * x[i] * x[i] + 2 * x[i] * std::sin(x[i]));
  require_close(numeric, exact, 1e-3, 1e-3);
  require_close(x, x0, 0, 0);  // x is restored exactly
}

TEST_CASE("numerical_gradient is second-order accurate", "[common][gradcheck]") {
  // For L = x^3 at x = 1 the central difference errs by exactly h^2: the O(h^2) term.
  Tensor x({1}, {1.0f});
  auto loss = [&] { return double(x[0]) * x[0] * x[0]; };
  const double err = std::fabs(numerical_gradient(loss, x, 1e-2)[0] - 3.0);
  CHECK(err == Approx(1e-4).margin(2e-5));
}

TEST_CASE("Eigen adapters round-trip a tensor", "[common][eigen]") {
  Tensor t({2, 3}, {1, 2, 3, 4, 5, 6});
  auto m = as_eigen(t);
  CHECK(m(1, 2) == 6);
  require_close(from_eigen(m), t, 0, 0);
  CHECK_THROWS_WITH(as_eigen(Tensor({2, 2, 2})), Catch::Contains("needs a 2-D tensor"));
}
