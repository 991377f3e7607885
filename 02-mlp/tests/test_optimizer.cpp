#include <catch2/catch.hpp>

#include "02-mlp/dense.hpp"
#include "02-mlp/optimizer.hpp"
#include "common/ops.hpp"
#include "tests/support/eigen.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

TEST_CASE("SGD steps every parameter against its gradient", "[02-mlp][optimizer]") {
  Rng rng(1);
  Dense dense(3, 2, rng);
  rng.fill_normal(dense.weight().grad, 0, 1);
  rng.fill_normal(dense.bias().grad, 0, 1);
  const Tensor w0 = dense.weight().value, gw = dense.weight().grad;
  SGD sgd(dense.parameters(), 0.1f);
  sgd.step();
  require_close(dense.weight().value, from_eigen((as_eigen(w0) - 0.1f * as_eigen(gw)).eval()));
  sgd.zero_grad();
  CHECK(sum(dense.weight().grad) == 0.0);
  CHECK(sgd.state().empty());
}

TEST_CASE("Optimizers leave non-trainable parameters alone", "[02-mlp][optimizer]") {
  Parameter frozen("running_mean", Tensor({2}, {1, 2}));
  frozen.trainable = false;
  frozen.grad.fill(5);
  SGD sgd({&frozen}, 1.0f);
  sgd.step();
  require_close(frozen.value, Tensor({2}, {1, 2}));
}
