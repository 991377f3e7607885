#include <catch2/catch.hpp>

#include "02-mlp/flatten.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

TEST_CASE("Flatten keeps the batch axis and the row-major order", "[02-mlp][flatten]") {
  Rng rng(1);
  const Tensor x = random_tensor({2, 3, 4, 5}, rng);  // (B, C, H, W)
  Flatten flatten;
  const Tensor y = flatten.forward(x);
  CHECK(y.shape() == Shape{2, 60});
  CHECK(y(1, 2 * 20 + 3 * 5 + 4) == x(1, 2, 3, 4));
}

TEST_CASE("Flatten backward restores the input shape and matches central differences", "[02-mlp][flatten][grad]") {
  Rng rng(2);
  Tensor x = random_tensor({2, 1, 2, 3}, rng);
  const Tensor g = random_tensor({2, 6}, rng);
  Flatten flatten;
  flatten.forward(x);
  const Tensor dx = flatten.backward(g);
  CHECK(dx.shape() == x.shape());
  require_close(dx, numerical_gradient([&] { return dot(flatten.forward(x), g); }, x), 1e-3, 1e-3);
  CHECK_THROWS_WITH(flatten.backward(Tensor({2, 5})), Catch::Contains("gradient of shape (2, 5)"));
}
