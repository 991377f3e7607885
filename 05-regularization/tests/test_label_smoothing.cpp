#include <catch2/catch.hpp>
#include <cmath>

#include "05-regularization/label_smoothing.hpp"
#include "05-regularization/tests/layer_checks.hpp"
#include "tests/support/eigen.hpp"

using namespace dlfs;
using namespace dlfs::test;

TEST_CASE("Label smoothing is the cross-entropy against (1 - eps) onehot + eps / C, computed with Eigen",
          "[05-regularization][label-smoothing]") {
  Rng rng(1);
  const Tensor z = random_tensor({5, 4}, rng, 3.0f);  // (B, C)
  const std::vector<int> y = {0, 3, 1, 1, 2};
  const double eps = 0.2;
  const LossAndGrad l = label_smoothing_cross_entropy(z, y, float(eps));

  // The definition, not the shortcut the code takes: q_j = (1 - eps)[j == y] + eps / C,
  // L = -1/B sum_b sum_j q_bj log softmax(z_b)_j, dL/dz = (softmax(z) - q) / B.
  const MatrixD zd = as_eigen(z).cast<double>();
  MatrixD q = MatrixD::Constant(5, 4, eps / 4);
  for (int b = 0; b < 5; ++b) q(b, y[b]) += 1.0 - eps;
  const Eigen::VectorXd lse = zd.array().exp().rowwise().sum().log().matrix();
  const MatrixD log_p = zd.colwise() - lse;
  CHECK(l.loss == Approx(-(q.array() * log_p.array()).sum() / 5).epsilon(1e-6));
  require_close(l.grad, from_eigen(((log_p.array().exp().matrix() - q) / 5.0).eval()), 1e-6, 1e-5);
}

TEST_CASE("Label smoothing's gradient matches central differences, per position and with ignored labels",
          "[05-regularization][label-smoothing][grad]") {
  Rng rng(2);
  Tensor z = random_tensor({2, 3, 5}, rng, 2.0f);  // (B, T, C)
  const Targets y = Targets::per_position({4, kIgnoreIndex, 2, 0, 1, kIgnoreIndex}, 3);
  const LossAndGrad l = label_smoothing_cross_entropy(z, y, 0.1f);
  require_close(l.grad, numerical_gradient([&] { return label_smoothing_cross_entropy(z, y, 0.1f).loss; }, z, 1e-3),
                1e-4, 1e-3);
  for (std::size_t j = 0; j < 5; ++j) {  // ignored rows: no gradient
    CHECK(l.grad[1 * 5 + j] == 0.0f);
    CHECK(l.grad[5 * 5 + j] == 0.0f);
  }
}

TEST_CASE("Label smoothing with eps 0 is softmax cross-entropy, and it never asks for infinite logits",
          "[05-regularization][label-smoothing]") {
  Rng rng(3);
  const Tensor z = random_tensor({4, 6}, rng, 2.0f);
  const std::vector<int> y = {5, 0, 2, 2};
  const LossAndGrad none = label_smoothing_cross_entropy(z, y, 0.0f);
  // Against the definition with one-hot targets, in Eigen (the code hands eps 0 to chapter 02's
  // softmax_cross_entropy, so comparing the two would compare it with itself):
  // L = -1/B sum_b log softmax(z_b)_{y_b}, dL/dz = (softmax(z) - onehot(y)) / B.
  const MatrixD zd = as_eigen(z).cast<double>();
  const Eigen::VectorXd lse = zd.array().exp().rowwise().sum().log().matrix();
  const MatrixD log_p = zd.colwise() - lse;
  MatrixD onehot = MatrixD::Zero(4, 6);
  double loss = 0.0;
  for (int b = 0; b < 4; ++b) onehot(b, y[b]) = 1.0, loss -= log_p(b, y[b]) / 4;
  CHECK(none.loss == Approx(loss).epsilon(1e-6));
  require_close(none.grad, from_eigen(((log_p.array().exp().matrix() - onehot) / 4.0).eval()), 1e-6, 1e-5);
  // Two classes, eps 0.2: the target is (0.9, 0.1), met by softmax at z_0 - z_1 = log 9, where the
  // gradient vanishes; a larger gap (the plain loss would keep pushing) is pushed back.
  const float gap = float(std::log(9.0));
  CHECK(label_smoothing_cross_entropy(Tensor({1, 2}, {gap, 0.0f}), {0}, 0.2f).grad[0] == Approx(0.0).margin(1e-7));
  CHECK(label_smoothing_cross_entropy(Tensor({1, 2}, {gap + 1, 0.0f}), {0}, 0.2f).grad[0] > 0.0f);
}

TEST_CASE("Label smoothing matches torch.nn.CrossEntropyLoss(label_smoothing=0.1), ignored labels included",
          "[05-regularization][label-smoothing][pytorch]") {
  const SafetensorsFile file = read_fixture("label_smoothing.safetensors");
  for (const std::string prefix : {"", "positions."}) {
    INFO("fixture " << prefix << "*");
    const Tensor& logits = fixture_tensor(file, prefix + "logits");  // (B, C) or (B, T, C)
    const Tensor& labels = fixture_tensor(file, prefix + "labels");  // (B,) or (B, T), as floats; one is -100
    std::vector<int> y(labels.size());
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = int(labels[i]);
    const Targets targets = prefix.empty() ? Targets(y) : Targets::per_position(y, labels.dim(1));
    const LossAndGrad l = label_smoothing(0.1f)(logits, targets);
    CHECK(l.loss == Approx(fixture_tensor(file, prefix + "loss")[0]).epsilon(1e-6));
    require_close(l.grad, fixture_tensor(file, prefix + "grad.logits"), 1e-6, 1e-5);
  }
}

TEST_CASE("Label smoothing refuses an eps outside [0, 1)", "[05-regularization][label-smoothing]") {
  CHECK_THROWS_WITH(label_smoothing_cross_entropy(Tensor({1, 2}), {0}, 1.5f), Catch::Contains("not in [0, 1)"));
  CHECK_THROWS_WITH(label_smoothing(1.0f), Catch::Contains("not in [0, 1)"));
  CHECK_THROWS_WITH(label_smoothing(-0.1f), Catch::Contains("not in [0, 1)"));
  CHECK_THROWS_WITH(label_smoothing(std::nanf("")), Catch::Contains("not in [0, 1)"));
}
