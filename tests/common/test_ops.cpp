#include <catch2/catch.hpp>

#include "common/ops.hpp"
#include "common/random.hpp"
#include "tests/support/eigen.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

TEST_CASE("Elementwise arithmetic matches Eigen", "[common][ops]") {
  Rng rng(1);
  Tensor x = random_tensor({4, 5}, rng), y = random_tensor({4, 5}, rng);
  require_close(x + y, from_eigen((as_eigen(x) + as_eigen(y)).eval()));
  require_close(x - y, from_eigen((as_eigen(x) - as_eigen(y)).eval()));
  require_close(x * y, from_eigen(as_eigen(x).cwiseProduct(as_eigen(y))));
  require_close(x * 3.0f, from_eigen((as_eigen(x) * 3.0f).eval()));
  Tensor z = x;
  axpy(-2.0f, y, z);
  require_close(z, from_eigen((as_eigen(x) - 2.0f * as_eigen(y)).eval()));
  z += y;
  z -= x;
  require_close(z, from_eigen((-as_eigen(y)).eval()));
}

TEST_CASE("Elementwise ops refuse mismatched shapes", "[common][ops]") {
  Tensor a({2, 3}), b({3, 2});
  CHECK_THROWS_WITH(a + b, Catch::Contains("add: shape (2, 3) does not match (3, 2)"));
  CHECK_THROWS_WITH(axpy(1, a, b), Catch::Contains("axpy"));
}

TEST_CASE("Reductions along an axis match Eigen", "[common][ops]") {
  Rng rng(2);
  Tensor x = random_tensor({6, 7}, rng);
  auto e = as_eigen(x);
  require_close(sum(x, 0), from_eigen(e.colwise().sum()).reshaped({7}));
  require_close(sum(x, 1), from_eigen(e.rowwise().sum().transpose()).reshaped({6}));
  require_close(max(x, 1), from_eigen(e.rowwise().maxCoeff().transpose()).reshaped({6}));
  const auto idx = argmax(x, 1);
  for (Eigen::Index i = 0; i < e.rows(); ++i) {
    Eigen::Index j;
    e.row(i).maxCoeff(&j);
    CHECK(idx[i] == std::size_t(j));
  }
  CHECK(sum(x) == Approx(double(e.cast<double>().sum())).epsilon(1e-6));
  CHECK(max(x) == e.maxCoeff());
}

TEST_CASE("Reductions over a middle axis of a 4-D tensor", "[common][ops]") {
  Tensor x({2, 3, 2, 2});
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i);
  Tensor s = sum(x, 1);  // (2, 2, 2)
  CHECK(s.shape() == Shape{2, 2, 2});
  CHECK(s(0, 0, 0) == 0 + 4 + 8);
  CHECK(s(1, 1, 1) == 15 + 19 + 23);
  const auto am = argmax(x, 1);
  REQUIRE(am.size() == 8);
  for (auto a : am) CHECK(a == 2);
  // Values that do not grow along every axis: the maximum over axis 1 sits at a different place
  // for each of the 2 x 2 x 2 remaining positions (b, h, w), read in row-major order.
  Rng rng(8);
  const Tensor r = random_tensor({2, 3, 2, 2}, rng);  // (B, C, H, W)
  const auto ar = argmax(r, 1);
  REQUIRE(ar.size() == 8);
  for (std::size_t b = 0; b < 2; ++b)
    for (std::size_t hw = 0; hw < 4; ++hw) {
      std::size_t best = 0;
      for (std::size_t c = 1; c < 3; ++c)
        if (r[(b * 3 + c) * 4 + hw] > r[(b * 3 + best) * 4 + hw]) best = c;
      CHECK(ar[b * 4 + hw] == best);
    }
}

TEST_CASE("argmax takes the first of tied maxima", "[common][ops]") {
  Tensor x({1, 4}, {1, 3, 3, 0});
  CHECK(argmax(x, 1)[0] == 1);
  CHECK_THROWS_WITH(argmax(x, 2), Catch::Contains("axis 2 is out of range"));
}
