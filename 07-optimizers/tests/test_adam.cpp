#include <catch2/catch.hpp>
#include <cmath>

#include "07-optimizers/adam.hpp"
#include "common/ops.hpp"
#include "07-optimizers/tests/optimizer_steps.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

struct AdamReference {
  MatrixD theta, m, v;
};

// PyTorch's Adam and AdamW written out with Eigen:
//   AdamW: theta *= 1 - lr lambda;   Adam: g += lambda theta
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
//   theta -= lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
AdamReference reference(const Tensor& theta0, const std::vector<Tensor>& grads, double lr, AdamOptions o, bool decoupled) {
  AdamReference r{as_double(theta0), {}, {}};
  r.m = r.v = MatrixD::Zero(r.theta.rows(), r.theta.cols());
  for (std::size_t t = 1; t <= grads.size(); ++t) {
    MatrixD g = as_double(grads[t - 1]);
    if (decoupled) r.theta *= 1.0 - lr * o.weight_decay;
    else g += o.weight_decay * r.theta;
    r.m = o.beta1 * r.m + (1.0 - o.beta1) * g;
    r.v = o.beta2 * r.v + (1.0 - o.beta2) * g.cwiseProduct(g);
    const MatrixD m_hat = r.m / (1.0 - std::pow(double(o.beta1), double(t)));
    const MatrixD v_hat = r.v / (1.0 - std::pow(double(o.beta2), double(t)));
    r.theta -= lr * m_hat.cwiseQuotient((v_hat.cwiseSqrt().array() + o.eps).matrix());
  }
  return r;
}

}  // namespace

TEST_CASE("Adam with PyTorch's defaults matches three steps computed with Eigen", "[07-optimizers][adam]") {
  Parameter p = random_parameter(1);
  const Tensor theta0 = p.value;
  const auto grads = random_gradients(3, 2);
  Adam adam({&p});  // lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay
  CHECK(adam.learning_rate() == 1e-3f);
  run_steps(adam, p, grads);
  const AdamReference r = reference(theta0, grads, 1e-3, {}, false);
  require_close(p.value, from_eigen(r.theta), 1e-6, 1e-5);
  // The moments and the step counter are exposed by name, so a checkpoint can resume exactly.
  const auto state = adam.state();
  REQUIRE(state.size() == 3);
  CHECK(state[0].first == "w.exp_avg");
  require_close(*state[0].second, from_eigen(r.m), 1e-6, 1e-5);
  CHECK(state[1].first == "w.exp_avg_sq");
  require_close(*state[1].second, from_eigen(r.v), 1e-6, 1e-5);
  CHECK(state[2].first == "step");
  CHECK((*state[2].second)[0] == 3.0f);
}

TEST_CASE("Adam's first step is lr sign(g) for every parameter thanks to bias correction", "[07-optimizers][adam]") {
  // m^_1 = g_1 and v^_1 = g_1^2, so the step is lr g / (|g| + eps). Without the correction it
  // would be lr (1 - beta1) g / (sqrt(1 - beta2) |g|) = 3.16 lr.
  Parameter p = random_parameter(3);
  const Tensor theta0 = p.value;
  const auto grads = random_gradients(1, 4);
  Adam adam({&p}, 0.01f);
  run_steps(adam, p, grads);
  for (std::size_t i = 0; i < p.value.size(); ++i) {
    const double g = grads[0][i];
    CHECK(theta0[i] - p.value[i] == Approx(0.01 * g / (std::abs(g) + 1e-8)).epsilon(1e-4));
  }
}

TEST_CASE("Adam with weight decay adds lambda theta to the gradient, as PyTorch's Adam does", "[07-optimizers][adam]") {
  Parameter p = random_parameter(5);
  const Tensor theta0 = p.value;
  const auto grads = random_gradients(3, 6);
  AdamOptions options;
  options.weight_decay = 0.1f;
  options.beta1 = 0.8f;
  options.beta2 = 0.99f;
  Adam adam({&p}, 1e-2f, options);
  run_steps(adam, p, grads);
  require_close(p.value, from_eigen(reference(theta0, grads, 1e-2, options, false).theta), 1e-6, 1e-5);
}

TEST_CASE("AdamW with PyTorch's defaults decays weights by 1 - lr lambda outside the gradient and matches Eigen",
          "[07-optimizers][adamw]") {
  Parameter p = random_parameter(7);
  const Tensor theta0 = p.value;
  const auto grads = random_gradients(3, 8);
  AdamW adamw({&p});  // lr 1e-3, weight decay 0.01
  CHECK(adamw.options().weight_decay == 0.01f);
  CHECK(adamw.name() == "adamw");
  run_steps(adamw, p, grads);
  require_close(p.value, from_eigen(reference(theta0, grads, 1e-3, AdamWOptions{}, true).theta), 1e-6, 1e-5);
}

TEST_CASE("AdamW and Adam with the same weight decay take different steps", "[07-optimizers][adamw]") {
  // Adam's decay is divided by sqrt(v^): large for parameters with small gradients, negligible
  // for ones with large gradients. AdamW's is the same fraction lr lambda for every weight.
  Parameter a = random_parameter(9), b = random_parameter(9);
  const Tensor theta0 = a.value;
  const auto grads = random_gradients(5, 10);
  AdamOptions adam_options;
  adam_options.weight_decay = 0.5f;
  AdamWOptions adamw_options;
  adamw_options.weight_decay = 0.5f;
  Adam adam({&a}, 0.1f, adam_options);
  AdamW adamw({&b}, 0.1f, adamw_options);
  run_steps(adam, a, grads);
  run_steps(adamw, b, grads);
  double difference = 0;
  for (std::size_t i = 0; i < a.value.size(); ++i) difference = std::max(difference, double(std::abs(a.value[i] - b.value[i])));
  CHECK(difference > 1e-3);
  require_close(a.value, from_eigen(reference(theta0, grads, 0.1, adam_options, false).theta), 1e-6, 1e-5);
  require_close(b.value, from_eigen(reference(theta0, grads, 0.1, adamw_options, true).theta), 1e-6, 1e-5);
}

TEST_CASE("AdamW with zero gradients only shrinks the weights by 1 - lr lambda per step", "[07-optimizers][adamw]") {
  Parameter p = random_parameter(11);
  const Tensor theta0 = p.value;
  AdamW adamw({&p}, 0.1f);  // lambda 0.01: each step multiplies by 0.999
  p.grad.zero();
  for (int t = 0; t < 10; ++t) adamw.step();
  require_close(p.value, theta0 * float(std::pow(0.999, 10)), 1e-7, 1e-6);
}

TEST_CASE("Adam (weight decay in the gradient) and AdamW (decoupled) match torch.optim's", "[07-optimizers][adam][pytorch]") {
  check_against_torch("adam", [](Parameter& p) {
    AdamOptions o;
    o.weight_decay = 0.01f;
    return std::make_unique<Adam>(std::vector<Parameter*>{&p}, 0.01f, o);
  });
  check_against_torch("adamw", [](Parameter& p) { return std::make_unique<AdamW>(std::vector<Parameter*>{&p}, 0.01f); });
}

TEST_CASE("Adam rejects betas outside [0, 1)", "[07-optimizers][adam]") {
  Parameter p = random_parameter(12);
  AdamOptions options;
  options.beta2 = 1.0f;
  CHECK_THROWS_WITH(Adam({&p}, 1e-3f, options), Catch::Contains("adam: beta2 must be in [0, 1), got 1"));
  AdamWOptions w;
  w.beta1 = -0.1f;
  CHECK_THROWS_WITH(AdamW({&p}, 1e-3f, w), Catch::Contains("adamw: beta1 must be in [0, 1), got -0.1"));
}
