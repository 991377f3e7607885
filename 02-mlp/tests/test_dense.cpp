#include <catch2/catch.hpp>
#include <cmath>

#include "02-mlp/dense.hpp"
#include "02-mlp/tests/layer_fixture.hpp"
#include "common/ops.hpp"
#include "tests/support/eigen.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {
Eigen::Map<const Eigen::RowVectorXf> as_row(const Tensor& t) { return {t.data(), Eigen::Index(t.size())}; }
}  // namespace

TEST_CASE("Dense forward computes x W^T + b like Eigen", "[02-mlp][dense]") {
  Rng rng(1);
  Dense dense(5, 3, rng);
  rng.fill_normal(dense.bias().value, 0, 1);
  const Tensor x = random_tensor({4, 5}, rng);  // (B, in)
  const Tensor y = dense.forward(x);            // (B, out)
  Matrix expected = as_eigen(x) * as_eigen(dense.weight().value).transpose();
  expected.rowwise() += as_row(dense.bias().value);
  require_close(y, from_eigen(expected));
}

TEST_CASE("Dense backward matches the closed form computed with Eigen", "[02-mlp][dense]") {
  Rng rng(2);
  Dense dense(6, 4, rng);
  const Tensor x = random_tensor({5, 6}, rng), dy = random_tensor({5, 4}, rng);
  dense.forward(x);
  const Tensor dx = dense.backward(dy);
  // dx = dy W;  dW = dy^T x;  db = column sums of dy
  require_close(dx, from_eigen((as_eigen(dy) * as_eigen(dense.weight().value)).eval()));
  require_close(dense.weight().grad, from_eigen((as_eigen(dy).transpose() * as_eigen(x)).eval()));
  require_close(dense.bias().grad, from_eigen(as_eigen(dy).colwise().sum()).reshaped({4}));
}

TEST_CASE("Dense backward matches central differences for x, W and b", "[02-mlp][dense][grad]") {
  Rng rng(3);
  Dense dense(4, 3, rng);
  rng.fill_normal(dense.bias().value, 0, 1);
  Tensor x = random_tensor({2, 4}, rng);
  const Tensor g = random_tensor({2, 3}, rng);  // upstream gradient: L = sum(y * g)
  auto loss = [&] { return dot(dense.forward(x), g); };

  dense.forward(x);
  dense.zero_grad();
  const Tensor dx = dense.backward(g);
  require_close(dx, numerical_gradient(loss, x), 1e-3, 1e-3);
  require_close(dense.weight().grad, numerical_gradient(loss, dense.weight().value), 1e-3, 1e-3);
  require_close(dense.bias().grad, numerical_gradient(loss, dense.bias().value), 1e-3, 1e-3);
}

TEST_CASE("Dense accumulates parameter gradients across backward calls", "[02-mlp][dense]") {
  Rng rng(4);
  Dense dense(3, 2, rng);
  const Tensor x = random_tensor({2, 3}, rng), g = random_tensor({2, 2}, rng);
  dense.forward(x);
  dense.backward(g);
  const Tensor once = dense.weight().grad, bias_once = dense.bias().grad;
  dense.backward(g);
  require_close(dense.weight().grad, once * 2.0f);
  require_close(dense.bias().grad, bias_once * 2.0f);
}

TEST_CASE("Dense maps the last axis of a 3-D input", "[02-mlp][dense]") {
  Rng rng(5);
  Dense dense(4, 2, rng);
  const Tensor x = random_tensor({2, 3, 4}, rng);  // (B, T, in)
  const Tensor y = dense.forward(x);               // (B, T, out)
  CHECK(y.shape() == Shape{2, 3, 2});
  const Tensor y2 = dense.forward(x.reshaped({6, 4}));
  require_close(y.reshaped({6, 2}), y2);
  dense.forward(x);
  CHECK(dense.backward(random_tensor({2, 3, 2}, rng)).shape() == Shape{2, 3, 4});
}

TEST_CASE("Dense skips the input gradient when told the input is data", "[02-mlp][dense]") {
  Rng rng(6);
  Dense dense(3, 2, rng);
  dense.set_needs_input_grad(false);
  dense.forward(random_tensor({2, 3}, rng));
  CHECK(dense.backward(random_tensor({2, 2}, rng)).empty());
  CHECK(sum(dense.weight().grad) != 0.0);
}

TEST_CASE("Dense names a wrong input width", "[02-mlp][dense]") {
  Rng rng(7);
  Dense dense(3, 2, rng);
  CHECK_THROWS_WITH(dense.forward(Tensor({2, 4})), Catch::Contains("Dense(3, 2): input of shape (2, 4)"));
}

TEST_CASE("Xavier and He initialisations have the variances they promise", "[02-mlp][dense][init]") {
  Rng rng(8);
  auto variance = [](const Tensor& w) {
    double s = 0, s2 = 0;
    for (float v : w) s += v, s2 += double(v) * v;
    const double n = double(w.size()), m = s / n;
    return s2 / n - m * m;
  };
  Dense he(400, 300, rng, Init::He), xavier(400, 300, rng, Init::Xavier);
  CHECK(variance(he.weight().value) == Approx(2.0 / 400).epsilon(0.03));
  CHECK(variance(xavier.weight().value) == Approx(2.0 / 700).epsilon(0.03));
  CHECK(sum(he.bias().value) == 0.0);
}

TEST_CASE("Dense matches torch.nn.Linear: weight (out, in) by name, forward and every gradient",
          "[02-mlp][dense][pytorch]") {
  Rng rng(7);
  Dense linear(5, 4, rng);
  test::check_layer_against_fixture(linear, test::read_fixture("layers.safetensors"), "linear.");
}
