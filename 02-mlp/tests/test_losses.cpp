#include <catch2/catch.hpp>
#include <cmath>

#include "02-mlp/losses.hpp"
#include "tests/support/eigen.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

TEST_CASE("MSE and its gradient match Eigen", "[02-mlp][losses][mse]") {
  Rng rng(1);
  const Tensor p = random_tensor({4, 3}, rng), t = random_tensor({4, 3}, rng);
  const LossAndGrad l = mse(p, t);
  const Matrix diff = as_eigen(p) - as_eigen(t);
  CHECK(l.loss == Approx(diff.squaredNorm() / 12.0).epsilon(1e-5));
  require_close(l.grad, from_eigen((diff * (2.0f / 12.0f)).eval()));
}

TEST_CASE("MSE gradient matches central differences", "[02-mlp][losses][mse][grad]") {
  Rng rng(2);
  Tensor p = random_tensor({3, 2}, rng);
  const Tensor t = random_tensor({3, 2}, rng);
  require_close(mse(p, t).grad, numerical_gradient([&] { return mse(p, t).loss; }, p, 1e-3), 1e-4, 1e-3);
}

TEST_CASE("Softmax cross-entropy matches -log softmax computed with Eigen", "[02-mlp][losses][cross-entropy]") {
  Rng rng(3);
  const Tensor z = random_tensor({5, 4}, rng, 3.0f);
  const std::vector<int> y = {0, 3, 1, 1, 2};
  const LossAndGrad l = softmax_cross_entropy(z, y);
  const MatrixD zd = as_eigen(z).cast<double>();
  double expected = 0;
  MatrixD p(5, 4);
  for (int b = 0; b < 5; ++b) {
    const double lse = std::log(zd.row(b).array().exp().sum());
    expected += lse - zd(b, y[b]);
    p.row(b) = (zd.row(b).array() - lse).exp().matrix();
    p(b, y[b]) -= 1.0;
  }
  CHECK(l.loss == Approx(expected / 5).epsilon(1e-6));
  require_close(l.grad, from_eigen((p / 5.0).eval()), 1e-6, 1e-5);  // (softmax - onehot) / B
}

TEST_CASE("Softmax cross-entropy gradient matches central differences", "[02-mlp][losses][cross-entropy][grad]") {
  Rng rng(4);
  Tensor z = random_tensor({3, 5}, rng);
  const std::vector<int> y = {4, 0, 2};
  const Tensor numeric = numerical_gradient([&] { return softmax_cross_entropy(z, y).loss; }, z, 1e-3);
  require_close(softmax_cross_entropy(z, y).grad, numeric, 1e-4, 1e-3);
}

TEST_CASE("Softmax cross-entropy stays finite at extreme logits", "[02-mlp][losses][cross-entropy]") {
  const Tensor z({2, 3}, {1e4f, -1e4f, 0.0f, -1e4f, 1e4f, 1e4f});
  const LossAndGrad l = softmax_cross_entropy(z, {1, 0});
  // Row 0: the true class is 2e4 below the max: loss 2e4. Row 1: 2e4 below two tied maxima:
  // loss 2e4 + log 2. The mean is 2e4 + (log 2) / 2.
  CHECK(l.loss == Approx(2e4 + std::log(2.0) / 2).epsilon(1e-9));
  for (float g : l.grad) CHECK(std::isfinite(g));
  CHECK(softmax_cross_entropy(Tensor({1, 2}, {50.0f, -50.0f}), {0}).loss == Approx(0.0).margin(1e-30));
}

TEST_CASE("Losses name bad labels and shapes", "[02-mlp][losses]") {
  CHECK_THROWS_WITH(softmax_cross_entropy(Tensor({2, 3}), {0, 3}), Catch::Contains("label 3 is not a class 0..2"));
  CHECK_THROWS_WITH(softmax_cross_entropy(Tensor({2, 3}), {0}), Catch::Contains("for 1 labels"));
  CHECK_THROWS_WITH(mse(Tensor({2, 3}), Tensor({3, 2})), Catch::Contains("mse"));
}

TEST_CASE("MSE and softmax cross-entropy match torch.nn.MSELoss and CrossEntropyLoss, ignored labels and positions included",
          "[02-mlp][losses][pytorch]") {
  const SafetensorsFile file = test::read_fixture("losses.safetensors");
  const LossAndGrad m = mse(test::fixture_tensor(file, "mse.prediction"), Targets(test::fixture_tensor(file, "mse.target")));
  CHECK(m.loss == Approx(test::fixture_tensor(file, "mse.loss")[0]).epsilon(1e-6));
  test::require_close(m.grad, test::fixture_tensor(file, "mse.grad"), 1e-7, 1e-5);
  for (const std::string prefix : {"cross_entropy.", "cross_entropy_positions."}) {
    INFO(prefix);
    const Tensor& logits = test::fixture_tensor(file, prefix + "logits");  // (B, C) or (B, T, C)
    const Tensor& labels = test::fixture_tensor(file, prefix + "labels");  // (B) or (B, T), as floats; one is -100
    std::vector<int> y(labels.size());
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = int(labels[i]);
    const Targets targets = logits.ndim() == 2 ? Targets(y) : Targets::per_position(y, logits.dim(1));
    const LossAndGrad l = softmax_cross_entropy(logits, targets);
    CHECK(l.loss == Approx(test::fixture_tensor(file, prefix + "loss")[0]).epsilon(1e-6));
    test::require_close(l.grad, test::fixture_tensor(file, prefix + "grad"), 1e-7, 1e-5);
  }
}
