#include <catch2/catch.hpp>
#include <cmath>

#include "07-optimizers/regression_losses.hpp"
#include "common/ops.hpp"
#include "tests/support/eigen.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

// Residuals that stay at least `gap` away from the kinks at `kinks` (0 for MAE, +-delta for
// Huber's second derivative), so a central difference of step 1e-3 never straddles one.
Tensor residuals_away_from(std::initializer_list<double> kinks, Rng& rng, double gap = 0.05) {
  Tensor d({3, 4});  // (B, N)
  for (float& v : d) {
    bool near = true;
    while (near) {
      v = rng.normal(0.0f, 2.0f);
      near = false;
      for (double k : kinks) near = near || std::abs(v - k) < gap;
    }
  }
  return d;
}

}  // namespace

TEST_CASE("MAE and its gradient sign(p - t) / N match Eigen", "[07-optimizers][losses][mae]") {
  Rng rng(1);
  const Tensor p = random_tensor({4, 3}, rng), t = random_tensor({4, 3}, rng);
  const LossAndGrad l = mae(p, t);
  const MatrixD diff = (as_eigen(p) - as_eigen(t)).cast<double>();
  CHECK(l.loss == Approx(diff.cwiseAbs().sum() / 12.0).epsilon(1e-6));
  require_close(l.grad, from_eigen((diff.array().sign() / 12.0).matrix().eval()), 1e-7, 1e-6);
}

TEST_CASE("MAE gradient matches central differences away from zero residuals", "[07-optimizers][losses][mae][grad]") {
  Rng rng(2);
  const Tensor t = random_tensor({3, 4}, rng);
  Tensor p = t + residuals_away_from({0.0}, rng);
  require_close(mae(p, t).grad, numerical_gradient([&] { return mae(p, t).loss; }, p, 1e-3), 1e-4, 1e-3);
}

TEST_CASE("Huber is quadratic within delta and linear beyond it, as computed with Eigen", "[07-optimizers][losses][huber]") {
  Rng rng(3);
  const Tensor p = random_tensor({4, 3}, rng, 2.0f), t = random_tensor({4, 3}, rng);
  for (float delta : {1.0f, 0.5f}) {
    const LossAndGrad l = huber(p, t, delta);
    const Eigen::ArrayXXd d = (as_eigen(p) - as_eigen(t)).cast<double>().array();
    const Eigen::ArrayXXd inside = (d.abs() <= delta).cast<double>();
    const Eigen::ArrayXXd h = inside * 0.5 * d.square() + (1 - inside) * delta * (d.abs() - 0.5 * delta);
    const Eigen::ArrayXXd dh = inside * d + (1 - inside) * delta * d.sign();
    CHECK(l.loss == Approx(h.sum() / 12.0).epsilon(1e-6));
    require_close(l.grad, from_eigen(MatrixD((dh / 12.0).matrix())), 1e-7, 1e-6);
  }
}

TEST_CASE("Huber gradient matches central differences on both pieces", "[07-optimizers][losses][huber][grad]") {
  Rng rng(4);
  const Tensor t = random_tensor({3, 4}, rng);
  Tensor p = t + residuals_away_from({-1.0, 1.0}, rng);
  require_close(huber(p, t).grad, numerical_gradient([&] { return huber(p, t).loss; }, p, 1e-3), 1e-4, 1e-3);
}

TEST_CASE("Huber is half of chapter 02's MSE when every residual is within delta", "[07-optimizers][losses][huber]") {
  Rng rng(5);
  const Tensor p = random_tensor({3, 4}, rng, 0.1f), t = random_tensor({3, 4}, rng, 0.1f);
  const LossAndGrad h = huber(p, t, 1.0f), m = mse(p, t);
  CHECK(h.loss == Approx(m.loss / 2).epsilon(1e-6));
  require_close(h.grad, m.grad * 0.5f, 1e-7, 1e-6);
}

TEST_CASE("MAE and Huber stay finite and bounded for outliers of 1e30", "[07-optimizers][losses][stability]") {
  const Tensor p({1, 4}, {0.0f, 0.0f, 1e30f, -3e38f});
  const Tensor t({1, 4}, {1e30f, -1e30f, 0.0f, 3e38f});
  for (const LossAndGrad& l : {mae(p, t), huber(p, t)}) {
    CHECK(std::isfinite(l.loss));
    for (float g : l.grad) CHECK(std::abs(g) <= 0.25f);  // |sign| / N, delta / N
  }
  CHECK(mae(p, t).loss == Approx((1e30 + 1e30 + 1e30 + 6e38) / 4));
}

TEST_CASE("MAE and Huber match torch.nn.L1Loss and torch.nn.HuberLoss(delta=1)", "[07-optimizers][losses][pytorch]") {
  const SafetensorsFile file = read_fixture("losses.safetensors");
  for (const std::string name : {"mae", "huber"}) {
    INFO(name);
    const Tensor& p = fixture_tensor(file, name + ".input");
    const Tensor& t = fixture_tensor(file, name + ".target");
    const LossAndGrad l = name == "mae" ? mae(p, t) : huber(p, t);
    CHECK(l.loss == Approx(fixture_tensor(file, name + ".loss")[0]).epsilon(1e-6));
    require_close(l.grad, fixture_tensor(file, name + ".grad"), 1e-7, 1e-5);
  }
}

TEST_CASE("Regression losses name mismatched shapes and a bad delta", "[07-optimizers][losses]") {
  CHECK_THROWS_WITH(mae(Tensor({2, 3}), Tensor({3, 2})), Catch::Contains("mae"));
  CHECK_THROWS_WITH(huber(Tensor({2}), Tensor({2}), 0.0f), Catch::Contains("huber: delta must be > 0"));
}
