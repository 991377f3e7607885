#include <catch2/catch.hpp>

#include "05-regularization/global_avg_pool.hpp"
#include "05-regularization/tests/layer_checks.hpp"
#include "tests/support/eigen.hpp"

using namespace dlfs;
using namespace dlfs::test;

TEST_CASE("GlobalAvgPool2d averages each feature map, like an Eigen reference", "[05-regularization][gap]") {
  Rng rng(1);
  GlobalAvgPool2d gap;
  const Tensor x = random_tensor({2, 3, 4, 5}, rng);
  const Tensor y = gap.forward(x);
  REQUIRE(y.shape() == Shape{2, 3});
  // (B*C, H*W) rows: each row's mean
  const Eigen::VectorXd expected = as_eigen(x.reshaped({6, 20})).cast<double>().rowwise().mean();
  require_close(y, from_eigen(expected).reshaped({2, 3}), 1e-6, 1e-6);
}

TEST_CASE("GlobalAvgPool2d backward matches central differences", "[05-regularization][gap][grad]") {
  Rng rng(2);
  GlobalAvgPool2d gap;
  check_layer_gradients(gap, random_tensor({2, 3, 3, 4}, rng), rng);
}

TEST_CASE("GlobalAvgPool2d matches torch.nn.AdaptiveAvgPool2d(1) then flatten, forward and backward",
          "[05-regularization][gap][pytorch]") {
  const SafetensorsFile file = read_fixture("global_avg_pool.safetensors");
  GlobalAvgPool2d gap;
  require_close(gap.forward(fixture_tensor(file, "input")), fixture_tensor(file, "output"), 1e-6, 1e-5);  // (2, 3)
  require_close(gap.backward(fixture_tensor(file, "doutput")), fixture_tensor(file, "grad.input"), 1e-7, 1e-5);
}

TEST_CASE("GlobalAvgPool2d spreads dy evenly and checks its input", "[05-regularization][gap]") {
  GlobalAvgPool2d gap;
  gap.forward(Tensor({1, 2, 2, 2}));
  const Tensor dx = gap.backward(Tensor({1, 2}, {4.0f, -8.0f}));
  require_close(dx, Tensor({1, 2, 2, 2}, {1, 1, 1, 1, -2, -2, -2, -2}), 0.0, 0.0);
  CHECK_THROWS_AS(gap.forward(Tensor({2, 3})), std::invalid_argument);
  CHECK_THROWS_AS(gap.backward(Tensor({1, 3})), std::invalid_argument);
}
