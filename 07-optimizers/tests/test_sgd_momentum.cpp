#include <catch2/catch.hpp>

#include "02-mlp/dense.hpp"
#include "07-optimizers/sgd_momentum.hpp"
#include "07-optimizers/tests/optimizer_steps.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

// PyTorch's SGD written out with Eigen: g = dL/dtheta + lambda theta; b = mu b + g;
// theta -= lr (nesterov ? g + mu b : b), or theta -= lr g without momentum.
Tensor reference(const Tensor& theta0, const std::vector<Tensor>& grads, double lr, SGDOptions o, MatrixD* velocity = nullptr) {
  MatrixD theta = as_double(theta0), b = MatrixD::Zero(theta.rows(), theta.cols());
  for (const Tensor& grad : grads) {
    const MatrixD g = as_double(grad) + o.weight_decay * theta;
    if (o.momentum == 0.0f) {
      theta -= lr * g;
      continue;
    }
    b = o.momentum * b + g;
    theta -= lr * (o.nesterov ? MatrixD(g + o.momentum * b) : b);
  }
  if (velocity) *velocity = b;
  return from_eigen(theta);
}

}  // namespace

TEST_CASE("SGD without momentum takes exactly chapter 02's SGD steps", "[07-optimizers][sgd]") {
  Parameter a = random_parameter(1), b = random_parameter(1);
  const auto grads = random_gradients(3, 2);
  SGDMomentum ours({&a}, 0.1f);
  SGD plain({&b}, 0.1f);
  run_steps(ours, a, grads);
  run_steps(plain, b, grads);
  require_close(a.value, b.value, 0.0, 0.0);
  CHECK(ours.state().empty());
  CHECK(ours.name() == "sgd");
}

TEST_CASE("SGD with momentum matches three steps of b = mu b + g computed with Eigen", "[07-optimizers][sgd][momentum]") {
  Parameter p = random_parameter(3);
  const Tensor theta0 = p.value;
  const auto grads = random_gradients(3, 4);
  SGDOptions options;
  options.momentum = 0.9f;
  SGDMomentum sgd({&p}, 0.01f, options);
  run_steps(sgd, p, grads);
  MatrixD velocity;
  require_close(p.value, reference(theta0, grads, 0.01, options, &velocity), 1e-6, 1e-5);
  // The velocity is exposed by name, for checkpoints.
  const auto state = sgd.state();
  REQUIRE(state.size() == 1);
  CHECK(state[0].first == "w.momentum_buffer");
  require_close(*state[0].second, from_eigen(velocity), 1e-5, 1e-5);
  CHECK(sgd.name() == "sgd-momentum");
}

TEST_CASE("SGD with Nesterov momentum matches three steps of theta -= lr (g + mu b) computed with Eigen",
          "[07-optimizers][sgd][nesterov]") {
  Parameter p = random_parameter(5);
  const Tensor theta0 = p.value;
  const auto grads = random_gradients(3, 6);
  SGDOptions options;
  options.momentum = 0.9f;
  options.nesterov = true;
  SGDMomentum sgd({&p}, 0.01f, options);
  run_steps(sgd, p, grads);
  require_close(p.value, reference(theta0, grads, 0.01, options), 1e-6, 1e-5);
  CHECK(sgd.name() == "sgd-nesterov");
}

TEST_CASE("SGD weight decay adds lambda theta to the gradient before the momentum", "[07-optimizers][sgd][weight-decay]") {
  Parameter p = random_parameter(7);
  const Tensor theta0 = p.value;
  const auto grads = random_gradients(3, 8);
  SGDOptions options;
  options.momentum = 0.5f;
  options.weight_decay = 0.1f;
  SGDMomentum sgd({&p}, 0.05f, options);
  run_steps(sgd, p, grads);
  require_close(p.value, reference(theta0, grads, 0.05, options), 1e-6, 1e-5);
}

TEST_CASE("SGD with momentum names one velocity per parameter after the parameter", "[07-optimizers][sgd][state]") {
  Rng rng(9);
  Dense dense(3, 2, rng);
  SGDOptions options;
  options.momentum = 0.9f;
  SGDMomentum sgd(dense.parameters(), 0.1f, options);
  const auto state = sgd.state();
  REQUIRE(state.size() == 2);
  CHECK(state[0].first == "weight.momentum_buffer");
  CHECK(state[0].second->shape() == Shape{2, 3});
  CHECK(state[1].first == "bias.momentum_buffer");
  CHECK(state[1].second->shape() == Shape{2});
}

TEST_CASE("SGD with momentum, weight decay and Nesterov matches torch.optim.SGD", "[07-optimizers][sgd][pytorch]") {
  check_against_torch("sgd_momentum", [](Parameter& p) {
    SGDOptions o;
    o.momentum = 0.9f, o.weight_decay = 0.01f;
    return std::make_unique<SGDMomentum>(std::vector<Parameter*>{&p}, 0.1f, o);
  });
  check_against_torch("sgd_nesterov", [](Parameter& p) {
    SGDOptions o;
    o.momentum = 0.9f, o.nesterov = true;
    return std::make_unique<SGDMomentum>(std::vector<Parameter*>{&p}, 0.1f, o);
  });
}

TEST_CASE("SGD rejects a negative rate, momentum of 1 and Nesterov without momentum", "[07-optimizers][sgd]") {
  Parameter p = random_parameter(10);
  SGDOptions bad_momentum;
  bad_momentum.momentum = 1.0f;
  SGDOptions nesterov_alone;
  nesterov_alone.nesterov = true;
  CHECK_THROWS_WITH(SGDMomentum({&p}, -0.1f), Catch::Contains("sgd: learning rate must be >= 0, got -0.1"));
  CHECK_THROWS_WITH(SGDMomentum({&p}, 0.1f, bad_momentum), Catch::Contains("momentum must be in [0, 1), got 1"));
  CHECK_THROWS_WITH(SGDMomentum({&p}, 0.1f, nesterov_alone), Catch::Contains("Nesterov momentum needs momentum > 0"));
}
