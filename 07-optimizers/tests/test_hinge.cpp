#include <catch2/catch.hpp>
#include <cmath>

#include "07-optimizers/hinge.hpp"
#include "tests/support/eigen.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

// The Weston-Watkins loss and gradient with Eigen, row by row:
//   L = 1/B sum_b 1/C sum_{j != y} max(0, margin - z_y + z_j)
double reference(const Tensor& logits, const std::vector<int>& labels, double margin, MatrixD& grad) {
  const MatrixD z = as_eigen(logits).cast<double>();
  const auto B = z.rows(), C = z.cols();
  grad = MatrixD::Zero(B, C);
  double loss = 0;
  for (Eigen::Index b = 0; b < B; ++b) {
    Eigen::ArrayXd shortfall = (margin - z(b, labels[b]) + z.row(b).array()).matrix().transpose().array();
    shortfall(labels[b]) = 0;  // the true class is not its own impostor
    const Eigen::ArrayXd active = (shortfall > 0).cast<double>();
    loss += shortfall.cwiseMax(0).sum() / double(B * C);
    grad.row(b) = active.matrix().transpose() / double(B * C);
    grad(b, labels[b]) = -active.sum() / double(B * C);
  }
  return loss;
}

}  // namespace

TEST_CASE("Binary hinge matches mean max(0, 1 - t z) computed with Eigen", "[07-optimizers][losses][hinge]") {
  Rng rng(1);
  const Tensor z = random_tensor({2, 5}, rng, 2.0f);
  Tensor t({2, 5});
  for (float& v : t) v = rng.uniform() < 0.5f ? -1.0f : 1.0f;
  const LossAndGrad l = binary_hinge(z, t);
  const Eigen::ArrayXXd zd = as_eigen(z).cast<double>().array(), td = as_eigen(t).cast<double>().array();
  const Eigen::ArrayXXd shortfall = 1 - td * zd;
  CHECK(l.loss == Approx(shortfall.cwiseMax(0).sum() / 10).epsilon(1e-6));
  require_close(l.grad, from_eigen(MatrixD((-td * (shortfall > 0).cast<double>() / 10).matrix())), 1e-7, 1e-6);
}

TEST_CASE("Binary hinge gradient matches central differences away from the hinge", "[07-optimizers][losses][hinge][grad]") {
  Tensor z({2, 3}, {0.3f, -2.0f, 1.7f, -0.4f, 0.6f, 2.5f});
  const Tensor t({2, 3}, {1, 1, -1, -1, 1, 1});  // t z = 0.3, -2, -1.7, 0.4, 0.6, 2.5: none at 1
  require_close(binary_hinge(z, t).grad, numerical_gradient([&] { return binary_hinge(z, t).loss; }, z, 1e-3), 1e-4, 1e-3);
}

TEST_CASE("Multi-class hinge matches the Weston-Watkins sum over impostors computed with Eigen",
          "[07-optimizers][losses][hinge]") {
  Rng rng(2);
  const Tensor z = random_tensor({5, 4}, rng, 1.5f);
  const std::vector<int> y = {0, 3, 1, 1, 2};
  for (float margin : {1.0f, 0.5f}) {
    const LossAndGrad l = multiclass_hinge(z, y, margin);
    MatrixD grad;
    CHECK(l.loss == Approx(reference(z, y, margin, grad)).epsilon(1e-6));
    require_close(l.grad, from_eigen(grad), 1e-7, 1e-6);
  }
}

TEST_CASE("Multi-class hinge gradient matches central differences away from the hinges", "[07-optimizers][losses][hinge][grad]") {
  // Every margin - z_y + z_j is at least 0.05 from 0, so no probe of 1e-3 crosses a hinge.
  Tensor z({3, 4}, {2.0f, 0.3f, 1.5f, -1.0f,    // y = 0: shortfalls -0.7, 0.5, -2
                    0.0f, 0.8f, 0.2f, 0.4f,     // y = 1: 0.2, 0.4, 0.6
                    -3.0f, 1.0f, 0.0f, 5.0f});  // y = 3: -7, -3, -4: all satisfied
  const std::vector<int> y = {0, 1, 3};
  const Tensor numeric = numerical_gradient([&] { return multiclass_hinge(z, y).loss; }, z, 1e-3);
  require_close(multiclass_hinge(z, y).grad, numeric, 1e-4, 1e-3);
}

TEST_CASE("Multi-class hinge matches torch.nn.MultiMarginLoss(p=1, margin=1)", "[07-optimizers][losses][hinge][pytorch]") {
  const SafetensorsFile file = read_fixture("losses.safetensors");
  const Tensor& z = fixture_tensor(file, "hinge.input");       // (B, C)
  const Tensor& labels = fixture_tensor(file, "hinge.target");  // (B,) as floats
  std::vector<int> y(labels.size());
  for (std::size_t b = 0; b < y.size(); ++b) y[b] = int(labels[b]);
  const LossAndGrad l = multiclass_hinge(z, y);
  CHECK(l.loss == Approx(fixture_tensor(file, "hinge.loss")[0]).epsilon(1e-6));
  require_close(l.grad, fixture_tensor(file, "hinge.grad"), 1e-7, 1e-5);
}

TEST_CASE("A hinge is satisfied by a margin: zero loss and zero gradient", "[07-optimizers][losses][hinge]") {
  const LossAndGrad l = multiclass_hinge(Tensor({1, 3}, {5.0f, 3.9f, -1.0f}), {0});
  CHECK(l.loss == 0.0);
  for (float g : l.grad) CHECK(g == 0.0f);
  CHECK(binary_hinge(Tensor({2}, {1.0f, -7.0f}), Tensor({2}, {1, -1})).loss == 0.0);
}

TEST_CASE("Hinge losses stay finite at extreme scores", "[07-optimizers][losses][hinge][stability]") {
  const LossAndGrad multi = multiclass_hinge(Tensor({2, 3}, {1e30f, -1e30f, 3e38f, -3e38f, 3e38f, 0.0f}), {0, 0});
  CHECK(std::isfinite(multi.loss));
  for (float g : multi.grad) CHECK(std::isfinite(g));
  const LossAndGrad binary = binary_hinge(Tensor({2}, {-3e38f, 3e38f}), Tensor({2}, {1, -1}));
  CHECK(binary.loss == Approx(3e38));
  for (float g : binary.grad) CHECK(std::abs(g) == 0.5f);
}

TEST_CASE("Hinge losses name bad targets and labels", "[07-optimizers][losses][hinge]") {
  CHECK_THROWS_WITH(binary_hinge(Tensor({2}), Tensor({2}, {1.0f, 0.0f})), Catch::Contains("target 0") && Catch::Contains("not -1 or +1"));
  CHECK_THROWS_WITH(multiclass_hinge(Tensor({2, 3}), {0, 3}), Catch::Contains("label 3 is not a class 0..2"));
  CHECK_THROWS_WITH(multiclass_hinge(Tensor({2, 3}), {0}), Catch::Contains("for 1 labels"));
}
