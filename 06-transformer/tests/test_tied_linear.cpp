#include <catch2/catch.hpp>

#include "05-regularization/tests/layer_checks.hpp"
#include "06-transformer/tied_linear.hpp"
#include "tests/support/eigen.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

// A (V, D) = (5, 3) weight owned outside the layer, as the GPT's token embedding is.
Parameter owned_weight(Rng& rng) { return Parameter("token_embedding.weight", random_tensor({5, 3}, rng)); }

}  // namespace

TEST_CASE("TiedLinear is x W^T forward and adds dy^T x into the owner's gradient, like Eigen",
          "[06-transformer][tied]") {
  Rng rng(1);
  Parameter w = owned_weight(rng);
  TiedLinear head(w);
  CHECK(head.name() == "TiedLinear(3, 5, weight=token_embedding.weight)");
  CHECK(head.parameters().empty());  // listed, saved and stepped by the owner only
  const Tensor x = random_tensor({2, 4, 3}, rng);  // (B, T, D)
  const Tensor y = head.forward(x);                // (B, T, V)
  REQUIRE(y.shape() == Shape{2, 4, 5});
  const MatrixD X = as_eigen(x.reshaped({8, 3})).cast<double>(), W = as_eigen(w.value).cast<double>();
  require_close(y.reshaped({8, 5}), from_eigen((X * W.transpose()).eval()), 1e-6, 1e-5);

  const Tensor dy = random_tensor({2, 4, 5}, rng);  // (B, T, V)
  const MatrixD DY = as_eigen(dy.reshaped({8, 5})).cast<double>();
  const Tensor before = random_tensor({5, 3}, rng);  // what the owner's own backward put there
  w.grad.copy_from(before);
  const Tensor dx = head.backward(dy);
  REQUIRE(dx.shape() == x.shape());
  require_close(dx.reshaped({8, 3}), from_eigen((DY * W).eval()), 1e-6, 1e-5);
  const MatrixD expected = as_eigen(before).cast<double>() + DY.transpose() * X;
  require_close(w.grad, from_eigen(expected), 1e-6, 1e-5);  // added to, not overwritten
}

TEST_CASE("TiedLinear's backward matches central differences for the input and the shared weight",
          "[06-transformer][tied][grad]") {
  Rng rng(2);
  Parameter w = owned_weight(rng);
  TiedLinear head(w);
  Tensor x = random_tensor({3, 3}, rng);          // (rows, D)
  const Tensor g = random_tensor({3, 5}, rng);    // (rows, V): L = sum(y G)
  auto loss = [&] { return dot(head.forward(x), g); };
  loss();
  w.grad.zero();
  const Tensor dx = head.backward(g);
  require_close(dx, numerical_gradient(loss, x, 1e-2), 1e-3, 1e-3);
  const Tensor dw = w.grad;
  require_close(dw, numerical_gradient(loss, w.value, 1e-2), 1e-3, 1e-3);
}

TEST_CASE("TiedLinear refuses a weight that is not a matrix and inputs of the wrong width", "[06-transformer][tied]") {
  Parameter vector("v", Tensor({4}));
  CHECK_THROWS_WITH(TiedLinear(vector), Catch::Contains("the weight v of shape (4) is not a matrix"));
  Rng rng(3);
  Parameter w = owned_weight(rng);
  TiedLinear head(w);
  CHECK_THROWS_WITH(head.forward(Tensor({2, 4})), Catch::Contains("does not end in 3 features"));
  head.forward(Tensor({2, 3}));
  CHECK_THROWS_WITH(head.backward(Tensor({2, 4})), Catch::Contains("does not match the forward output"));
}
