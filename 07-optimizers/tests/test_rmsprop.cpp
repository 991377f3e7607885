#include <catch2/catch.hpp>
#include <cmath>

#include "07-optimizers/rmsprop.hpp"
#include "07-optimizers/tests/optimizer_steps.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

// PyTorch's RMSprop written out with Eigen: g = dL/dtheta + lambda theta; v = alpha v + (1 - alpha) g^2;
// centered: a = alpha a + (1 - alpha) g, d = sqrt(v - a^2) + eps, else d = sqrt(v) + eps;
// momentum: b = mu b + g / d, theta -= lr b; else theta -= lr g / d.
Tensor reference(const Tensor& theta0, const std::vector<Tensor>& grads, double lr, RMSpropOptions o) {
  MatrixD theta = as_double(theta0);
  const auto rows = theta.rows(), cols = theta.cols();
  MatrixD v = MatrixD::Zero(rows, cols), a = MatrixD::Zero(rows, cols), b = MatrixD::Zero(rows, cols);
  for (const Tensor& grad : grads) {
    const MatrixD g = as_double(grad) + o.weight_decay * theta;
    v = o.alpha * v + (1.0 - o.alpha) * g.cwiseProduct(g);
    MatrixD d;
    if (o.centered) {
      a = o.alpha * a + (1.0 - o.alpha) * g;
      d = ((v - a.cwiseProduct(a)).cwiseSqrt().array() + o.eps).matrix();
    } else {
      d = (v.cwiseSqrt().array() + o.eps).matrix();
    }
    if (o.momentum > 0) {
      b = o.momentum * b + g.cwiseQuotient(d);
      theta -= lr * b;
    } else {
      theta -= lr * g.cwiseQuotient(d);
    }
  }
  return from_eigen(theta);
}

}  // namespace

TEST_CASE("RMSprop with PyTorch's defaults matches three steps computed with Eigen", "[07-optimizers][rmsprop]") {
  Parameter p = random_parameter(1);
  const Tensor theta0 = p.value;
  const auto grads = random_gradients(3, 2);
  RMSprop rmsprop({&p});  // lr 1e-2, alpha 0.99, eps 1e-8
  CHECK(rmsprop.learning_rate() == 1e-2f);
  run_steps(rmsprop, p, grads);
  require_close(p.value, reference(theta0, grads, 1e-2, {}), 1e-6, 1e-5);
  const auto state = rmsprop.state();
  REQUIRE(state.size() == 1);
  CHECK(state[0].first == "w.square_avg");
}

TEST_CASE("Centered RMSprop with momentum and weight decay matches three steps computed with Eigen",
          "[07-optimizers][rmsprop]") {
  Parameter p = random_parameter(3);
  const Tensor theta0 = p.value;
  const auto grads = random_gradients(3, 4);
  RMSpropOptions options;
  options.alpha = 0.9f;
  options.momentum = 0.8f;
  options.centered = true;
  options.weight_decay = 0.01f;
  RMSprop rmsprop({&p}, 1e-3f, options);
  run_steps(rmsprop, p, grads);
  require_close(p.value, reference(theta0, grads, 1e-3, options), 1e-6, 1e-5);
  const auto state = rmsprop.state();
  REQUIRE(state.size() == 3);
  CHECK(state[0].first == "w.square_avg");
  CHECK(state[1].first == "w.grad_avg");
  CHECK(state[2].first == "w.momentum_buffer");
}

TEST_CASE("RMSprop's first step is lr / sqrt(1 - alpha) in size: no bias correction", "[07-optimizers][rmsprop]") {
  // v_1 = (1 - alpha) g^2, so g / sqrt(v_1) = sign(g) / sqrt(1 - alpha): 10x lr for alpha = 0.99.
  Parameter p = random_parameter(5);
  const Tensor theta0 = p.value;
  const auto grads = random_gradients(1, 6);
  RMSprop rmsprop({&p}, 1e-3f);
  run_steps(rmsprop, p, grads);
  for (std::size_t i = 0; i < p.value.size(); ++i) {
    const double g = std::abs(grads[0][i]);
    CHECK(std::abs(p.value[i] - theta0[i]) == Approx(1e-3 * g / (0.1 * g + 1e-8)).epsilon(1e-4));  // ~10 lr
  }
}

TEST_CASE("RMSprop's eps: a zero gradient stays a zero step, and gradients near eps are damped by it",
          "[07-optimizers][rmsprop]") {
  // Without eps a parameter that never gets a gradient (an unused embedding row) would take
  // 0 / sqrt(0) = NaN; and a gradient of 1e-9 has sqrt(v_1) = 1e-10, ten times below eps = 1e-8,
  // so its step is lr g / (sqrt(v) + eps) ~ lr / 11, not the 10 lr of larger gradients.
  Parameter p = random_parameter(8);
  const Tensor theta0 = p.value;
  const std::vector<Tensor> grads = zero_and_tiny_gradients(1e-9f);
  RMSprop rmsprop({&p}, 1e-2f);
  run_steps(rmsprop, p, grads);
  for (std::size_t j = 0; j < 3; ++j) CHECK(p.value(0, j) == theta0(0, j));
  require_close(p.value, reference(theta0, grads, 1e-2, {}), 1e-7, 1e-5);
  CHECK(std::abs(p.value(1, 0) - theta0(1, 0)) < 1e-2 * 0.3);
}

TEST_CASE("RMSprop, plain and centered with momentum and weight decay, matches torch.optim.RMSprop",
          "[07-optimizers][rmsprop][pytorch]") {
  check_against_torch("rmsprop", [](Parameter& p) { return std::make_unique<RMSprop>(std::vector<Parameter*>{&p}); });
  check_against_torch("rmsprop_centered", [](Parameter& p) {
    RMSpropOptions o;
    o.alpha = 0.9f, o.momentum = 0.8f, o.centered = true, o.weight_decay = 0.01f;
    return std::make_unique<RMSprop>(std::vector<Parameter*>{&p}, 1e-3f, o);
  });
}

TEST_CASE("RMSprop rejects alpha of 1", "[07-optimizers][rmsprop]") {
  Parameter p = random_parameter(7);
  RMSpropOptions options;
  options.alpha = 1.0f;
  CHECK_THROWS_WITH(RMSprop({&p}, 0.01f, options), Catch::Contains("rmsprop: alpha must be in [0, 1), got 1"));
}
