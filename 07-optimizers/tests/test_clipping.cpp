#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "02-mlp/mlp.hpp"
#include "02-mlp/train.hpp"
#include "07-optimizers/adam.hpp"
#include "07-optimizers/clipping.hpp"
#include "common/ops.hpp"
#include "tests/support/eigen.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

struct TwoParameters {
  Parameter w{"w", Tensor({2, 3})}, b{"b", Tensor({1, 3})};
  explicit TwoParameters(std::uint64_t seed, float scale) {
    Rng rng(seed);
    w.grad = random_tensor({2, 3}, rng, scale);
    b.grad = random_tensor({1, 3}, rng, scale);
  }
  std::vector<Parameter*> all() { return {&w, &b}; }
  // The global norm with Eigen: sqrt(|g_w|^2 + |g_b|^2).
  double norm() const { return std::sqrt(as_eigen(w.grad).cast<double>().squaredNorm() + as_eigen(b.grad).cast<double>().squaredNorm()); }
};

}  // namespace

TEST_CASE("clip_grad_norm scales all gradients to the max norm and returns the norm before", "[07-optimizers][clipping]") {
  TwoParameters p(1, 10.0f);
  const double before = p.norm();
  const Tensor w0 = p.w.grad, b0 = p.b.grad;
  REQUIRE(before > 1.0);
  CHECK(clip_grad_norm(p.all(), 1.0f) == Approx(before).epsilon(1e-6));
  CHECK(p.norm() == Approx(1.0).epsilon(1e-5));
  // Same direction: every gradient scaled by the same factor max_norm / (n + 1e-6).
  const float scale = float(1.0 / (before + 1e-6));
  require_close(p.w.grad, w0 * scale, 1e-7, 1e-6);
  require_close(p.b.grad, b0 * scale, 1e-7, 1e-6);
}

TEST_CASE("clip_grad_norm leaves gradients under the max norm untouched", "[07-optimizers][clipping]") {
  TwoParameters p(2, 0.1f);
  const Tensor w0 = p.w.grad;
  const double before = p.norm();
  CHECK(clip_grad_norm(p.all(), 5.0f) == Approx(before).epsilon(1e-6));
  require_close(p.w.grad, w0, 0.0, 0.0);
}

TEST_CASE("clip_grad_norm ignores frozen parameters and reports a non-finite norm without touching anything",
          "[07-optimizers][clipping]") {
  TwoParameters p(3, 1.0f);
  p.b.trainable = false;
  const double w_norm = as_eigen(p.w.grad).cast<double>().norm();
  CHECK(clip_grad_norm(p.all(), 100.0f) == Approx(w_norm).epsilon(1e-6));

  p.w.grad[0] = std::numeric_limits<float>::infinity();
  const Tensor w0 = p.w.grad;
  CHECK(std::isinf(clip_grad_norm(p.all(), 1.0f)));
  for (std::size_t i = 1; i < w0.size(); ++i) CHECK(p.w.grad[i] == w0[i]);
  CHECK_THROWS_WITH(clip_grad_norm(p.all(), 0.0f), Catch::Contains("max_norm must be > 0"));
}

TEST_CASE("ClipGradNorm clips, then steps the inner optimizer with the rate set on it", "[07-optimizers][clipping]") {
  TwoParameters clipped(4, 10.0f), manual(4, 10.0f);
  SGD inner(clipped.all(), 1.0f), reference(manual.all(), 1.0f);
  ClipGradNorm clip(inner, clipped.all(), 0.5f);
  clip.set_learning_rate(0.1f);  // what train_epoch does before every step
  clip.step();
  CHECK(inner.learning_rate() == 0.1f);
  CHECK(clip.last_norm() == Approx(manual.norm()).epsilon(1e-6));
  CHECK(clip.clipped_steps() == 1);
  clip_grad_norm(manual.all(), 0.5f);
  reference.set_learning_rate(0.1f);
  reference.step();
  require_close(clipped.w.value, manual.w.value, 0.0, 0.0);
  require_close(clipped.b.value, manual.b.value, 0.0, 0.0);
  CHECK(clip.name() == "sgd+clip");
}

TEST_CASE("ClipGradNorm slots into chapter 02's train_epoch and exposes the inner state", "[07-optimizers][clipping]") {
  Rng rng(5);
  Tensor x = random_tensor({64, 2}, rng);  // (N, 2)
  std::vector<int> y(64);
  for (std::size_t i = 0; i < 64; ++i) y[i] = x(i, 0) + x(i, 1) > 0;
  const Examples train = examples_from_tensor(std::move(x), std::move(y));
  Sequential model = make_mlp(2, {8}, 2, "relu", rng);
  Adam adam(model.parameters());
  ClipGradNorm clip(adam, model.parameters(), 0.05f);
  CHECK(clip.state().size() == adam.state().size());
  TrainOptions options;
  options.batch_size = 16;
  options.progress = false;
  std::size_t step = 0;
  const double first = train_epoch(model, clip, softmax_cross_entropy, train, rng, constant_schedule(0.02f), step, options).loss;
  double last = first;
  for (int epoch = 0; epoch < 20; ++epoch)
    last = train_epoch(model, clip, softmax_cross_entropy, train, rng, constant_schedule(0.02f), step, options).loss;
  CHECK(adam.learning_rate() == 0.02f);
  CHECK(clip.clipped_steps() > 0);
  CHECK(last < first);
}
