#include <catch2/catch.hpp>
#include <cmath>

#include "02-mlp/activations.hpp"
#include "07-optimizers/cross_entropy.hpp"
#include "tests/support/eigen.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

// Soft targets in [0, 1], rows of a (B, C) tensor summing to 1 when `normalize`.
Tensor random_targets(Shape shape, Rng& rng, bool normalize) {
  Tensor t(shape);
  rng.fill_uniform(t, 0.0f, 1.0f);
  if (normalize)
    for (std::size_t b = 0; b < shape[0]; ++b) {
      float s = 0;
      for (std::size_t j = 0; j < shape[1]; ++j) s += t(b, j);
      for (std::size_t j = 0; j < shape[1]; ++j) t(b, j) /= s;
    }
  return t;
}

}  // namespace

TEST_CASE("Binary cross-entropy on logits matches -[t log sigma + (1 - t) log(1 - sigma)] computed with Eigen",
          "[07-optimizers][losses][bce]") {
  Rng rng(1);
  const Tensor z = random_tensor({4, 3}, rng, 3.0f), t = random_targets({4, 3}, rng, false);
  const LossAndGrad l = binary_cross_entropy_with_logits(z, t);
  const Eigen::ArrayXXd zd = as_eigen(z).cast<double>().array(), td = as_eigen(t).cast<double>().array();
  const Eigen::ArrayXXd sigma = 1.0 / (1.0 + (-zd).exp());
  CHECK(l.loss == Approx(-(td * sigma.log() + (1 - td) * (1 - sigma).log()).sum() / 12.0).epsilon(1e-6));
  require_close(l.grad, from_eigen(MatrixD(((sigma - td) / 12.0).matrix())), 1e-7, 1e-5);  // (sigma - t) / N
}

TEST_CASE("Binary cross-entropy gradient matches central differences", "[07-optimizers][losses][bce][grad]") {
  Rng rng(2);
  Tensor z = random_tensor({3, 4}, rng, 2.0f);
  const Tensor t = random_targets({3, 4}, rng, false);
  const Tensor numeric = numerical_gradient([&] { return binary_cross_entropy_with_logits(z, t).loss; }, z, 1e-3);
  require_close(binary_cross_entropy_with_logits(z, t).grad, numeric, 1e-4, 1e-3);
}

TEST_CASE("Binary cross-entropy stays exact and finite at extreme logits", "[07-optimizers][losses][bce][stability]") {
  // Confidently wrong costs |z|; confidently right costs log(1 + e^-|z|), about 0.
  const Tensor z({1, 6}, {1e4f, -1e4f, 100.0f, -100.0f, 1e4f, -30.0f});
  const Tensor t({1, 6}, {0.0f, 1.0f, 0.0f, 1.0f, 1.0f, 0.0f});
  const LossAndGrad l = binary_cross_entropy_with_logits(z, t);
  CHECK(l.loss == Approx((1e4 + 1e4 + 100 + 100 + 0 + std::log1p(std::exp(-30.0))) / 6).epsilon(1e-9));
  const float expected_grad[6] = {1, -1, 1, -1, 0, 0};
  for (std::size_t i = 0; i < 6; ++i) {
    CHECK(std::isfinite(l.grad[i]));
    CHECK(l.grad[i] == Approx(expected_grad[i] / 6.0f).margin(1e-12));
  }
}

TEST_CASE("Binary cross-entropy on logits matches torch.nn.BCEWithLogitsLoss, and categorical cross-entropy NLLLoss on log p",
          "[07-optimizers][losses][pytorch]") {
  const SafetensorsFile file = read_fixture("losses.safetensors");
  for (const std::string name : {"bce", "cce"}) {
    INFO(name);
    const Tensor& x = fixture_tensor(file, name + ".input");   // logits, or probabilities (B, C)
    const Tensor& t = fixture_tensor(file, name + ".target");  // soft targets, or one-hot rows (B, C)
    const LossAndGrad l = name == "bce" ? binary_cross_entropy_with_logits(x, t) : categorical_cross_entropy(x, t);
    CHECK(l.loss == Approx(fixture_tensor(file, name + ".loss")[0]).epsilon(1e-6));
    require_close(l.grad, fixture_tensor(file, name + ".grad"), 1e-6, 1e-5);
  }
}

TEST_CASE("Binary cross-entropy rejects targets outside [0, 1]", "[07-optimizers][losses][bce]") {
  CHECK_THROWS_WITH(binary_cross_entropy_with_logits(Tensor({2}), Tensor({2}, {0.0f, -1.0f})),
                    Catch::Contains("target -1") && Catch::Contains("index 1 is not in [0, 1]"));
}

TEST_CASE("Categorical cross-entropy on probabilities matches -sum t log p / B computed with Eigen",
          "[07-optimizers][losses][cce]") {
  Rng rng(3);
  const Tensor p = random_targets({4, 5}, rng, true), t = random_targets({4, 5}, rng, true);
  const LossAndGrad l = categorical_cross_entropy(p, t);
  const Eigen::ArrayXXd pd = as_eigen(p).cast<double>().array(), td = as_eigen(t).cast<double>().array();
  CHECK(l.loss == Approx(-(td * pd.log()).sum() / 4.0).epsilon(1e-6));
  require_close(l.grad, from_eigen(MatrixD((-td / pd / 4.0).matrix())), 1e-6, 1e-5);  // -t / (B p)
}

TEST_CASE("Categorical cross-entropy gradient matches central differences with soft targets",
          "[07-optimizers][losses][cce][grad]") {
  Rng rng(4);
  Tensor p = random_targets({3, 4}, rng, true);
  for (float& v : p) v = 0.2f + v;  // well above the clamp; a gradient check needs no normalization
  const Tensor t = random_targets({3, 4}, rng, true);
  const Tensor numeric = numerical_gradient([&] { return categorical_cross_entropy(p, t).loss; }, p, 1e-3);
  require_close(categorical_cross_entropy(p, t).grad, numeric, 1e-4, 1e-3);
}

TEST_CASE("Softmax then categorical cross-entropy gives the fused softmax cross-entropy's loss and gradient",
          "[07-optimizers][losses][cce]") {
  // Through Softmax's backward, -t / p becomes p - t: the 02 fused gradient, computed the long way.
  Rng rng(5);
  const Tensor z = random_tensor({4, 5}, rng, 2.0f);
  const std::vector<int> labels = {0, 4, 2, 2};
  Tensor onehot({4, 5});  // (B, C)
  for (std::size_t b = 0; b < 4; ++b) onehot(b, labels[b]) = 1.0f;
  Softmax softmax;
  const LossAndGrad unfused = categorical_cross_entropy(softmax.forward(z), onehot);
  const Tensor dz = softmax.backward(unfused.grad);  // (B, C)
  const LossAndGrad fused = softmax_cross_entropy(z, labels);
  CHECK(unfused.loss == Approx(fused.loss).epsilon(1e-5));
  require_close(dz, fused.grad, 1e-6, 1e-4);
}

TEST_CASE("Categorical cross-entropy stays finite at p = 0 but saturates where the fused loss does not",
          "[07-optimizers][losses][cce][stability]") {
  const LossAndGrad l = categorical_cross_entropy(Tensor({2, 2}, {0.0f, 1.0f, 1.0f, 0.0f}), Tensor({2, 2}, {1, 0, 1, 0}));
  CHECK(std::isfinite(l.loss));
  for (float g : l.grad) CHECK(std::isfinite(g));
  CHECK(l.loss == Approx(-std::log(double(kProbabilityFloor)) / 2).epsilon(1e-6));  // 16.1 for the wrong row, 0 for the right one
  // Logits 1e4 apart: softmax rounds p of the true class to 0, so the unfused loss is stuck at
  // -log(1e-7) = 16.1; the fused loss, from logsumexp, is the exact 1e4.
  const Tensor z({1, 2}, {1e4f, 0.0f});
  Softmax softmax;
  CHECK(categorical_cross_entropy(softmax.forward(z), Tensor({1, 2}, {0, 1})).loss == Approx(16.118).epsilon(1e-4));
  CHECK(softmax_cross_entropy(z, {1}).loss == Approx(1e4).epsilon(1e-9));
}
