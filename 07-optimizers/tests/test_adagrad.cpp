#include <catch2/catch.hpp>
#include <cmath>

#include "07-optimizers/adagrad.hpp"
#include "07-optimizers/tests/optimizer_steps.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

// PyTorch's Adagrad written out with Eigen: g = dL/dtheta + lambda theta; lr_t = lr / (1 + (t-1) eta);
// s += g^2; theta -= lr_t g / (sqrt(s) + eps).
Tensor reference(const Tensor& theta0, const std::vector<Tensor>& grads, double lr, AdagradOptions o, MatrixD* sum = nullptr) {
  MatrixD theta = as_double(theta0);
  MatrixD s = MatrixD::Constant(theta.rows(), theta.cols(), o.initial_accumulator_value);
  for (std::size_t t = 1; t <= grads.size(); ++t) {
    const MatrixD g = as_double(grads[t - 1]) + o.weight_decay * theta;
    const double lr_t = lr / (1.0 + double(t - 1) * o.lr_decay);
    s += g.cwiseProduct(g);
    theta -= lr_t * g.cwiseQuotient((s.cwiseSqrt().array() + o.eps).matrix());
  }
  if (sum) *sum = s;
  return from_eigen(theta);
}

}  // namespace

TEST_CASE("Adagrad with PyTorch's defaults matches three steps computed with Eigen", "[07-optimizers][adagrad]") {
  Parameter p = random_parameter(1);
  const Tensor theta0 = p.value;
  const auto grads = random_gradients(3, 2);
  Adagrad adagrad({&p});  // lr 1e-2, eps 1e-10
  CHECK(adagrad.learning_rate() == 1e-2f);
  run_steps(adagrad, p, grads);
  MatrixD sum;
  require_close(p.value, reference(theta0, grads, 1e-2, {}, &sum), 1e-6, 1e-5);
  const auto state = adagrad.state();
  REQUIRE(state.size() == 2);
  CHECK(state[0].first == "w.sum");
  require_close(*state[0].second, from_eigen(sum), 1e-5, 1e-5);
  CHECK(state[1].first == "step");
  CHECK((*state[1].second)[0] == 3.0f);
}

TEST_CASE("Adagrad with lr decay, weight decay and a starting accumulator matches Eigen", "[07-optimizers][adagrad]") {
  Parameter p = random_parameter(3);
  const Tensor theta0 = p.value;
  const auto grads = random_gradients(4, 4);
  AdagradOptions options;
  options.lr_decay = 0.5f;
  options.weight_decay = 0.1f;
  options.initial_accumulator_value = 0.3f;
  Adagrad adagrad({&p}, 0.2f, options);
  run_steps(adagrad, p, grads);
  require_close(p.value, reference(theta0, grads, 0.2, options), 1e-6, 1e-5);
}

TEST_CASE("Adagrad's first step moves every parameter by lr, whatever its gradient's scale", "[07-optimizers][adagrad]") {
  // s_1 = g_1^2, so the step is lr g / |g| = lr sign(g): per-parameter rates in their purest form.
  Parameter p = random_parameter(5);
  const Tensor theta0 = p.value;
  const auto grads = random_gradients(1, 6);
  Adagrad adagrad({&p}, 0.05f);
  run_steps(adagrad, p, grads);
  for (std::size_t i = 0; i < p.value.size(); ++i) {
    const double g = std::abs(grads[0][i]);
    CHECK(std::abs(p.value[i] - theta0[i]) == Approx(0.05 * g / (g + 1e-10)).epsilon(1e-5));
  }
}

TEST_CASE("Adagrad's eps: a zero gradient stays a zero step, and gradients near eps are damped by it",
          "[07-optimizers][adagrad]") {
  // Without eps a parameter that never gets a gradient would take 0 / sqrt(0) = NaN; with
  // gradients of 1e-10 (sqrt(s_1) = 1e-10 = eps) the first step is lr / 2, not lr.
  Parameter p = random_parameter(9);
  const Tensor theta0 = p.value;
  const std::vector<Tensor> grads = zero_and_tiny_gradients(1e-10f);
  Adagrad adagrad({&p}, 0.1f);
  run_steps(adagrad, p, {grads[0]});
  CHECK(std::abs(p.value(1, 0) - theta0(1, 0)) == Approx(0.05).epsilon(1e-3));
  run_steps(adagrad, p, {grads[1], grads[2]});
  for (std::size_t j = 0; j < 3; ++j) CHECK(p.value(0, j) == theta0(0, j));
  require_close(p.value, reference(theta0, grads, 0.1, {}), 1e-7, 1e-5);
}

TEST_CASE("Adagrad with lr decay, weight decay and a starting accumulator matches torch.optim.Adagrad",
          "[07-optimizers][adagrad][pytorch]") {
  check_against_torch("adagrad", [](Parameter& p) {
    AdagradOptions o;
    o.lr_decay = 0.1f, o.weight_decay = 0.01f, o.initial_accumulator_value = 0.1f;
    return std::make_unique<Adagrad>(std::vector<Parameter*>{&p}, 0.1f, o);
  });
}

TEST_CASE("Adagrad rejects a zero eps and a negative lr decay", "[07-optimizers][adagrad]") {
  Parameter p = random_parameter(7);
  AdagradOptions zero_eps, negative_decay;
  zero_eps.eps = 0.0f;
  negative_decay.lr_decay = -1.0f;
  CHECK_THROWS_WITH(Adagrad({&p}, 0.01f, zero_eps), Catch::Contains("adagrad: eps must be > 0, got 0"));
  CHECK_THROWS_WITH(Adagrad({&p}, 0.01f, negative_decay), Catch::Contains("lr_decay must be >= 0, got -1"));
}
