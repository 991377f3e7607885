#include <catch2/catch.hpp>

#include "05-regularization/layer_norm.hpp"
#include "05-regularization/tests/layer_checks.hpp"
#include "tests/support/eigen.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

void randomize_affine(LayerNorm& ln, Rng& rng) {
  for (std::size_t j = 0; j < ln.features(); ++j) {
    ln.weight().value[j] = 1.0f + 0.5f * rng.normal();
    ln.bias().value[j] = 0.5f * rng.normal();
  }
}

}  // namespace

TEST_CASE("LayerNorm forward normalizes every row over its last dimension, like an Eigen reference",
          "[05-regularization][layernorm]") {
  Rng rng(1);
  LayerNorm ln(6);
  randomize_affine(ln, rng);
  Tensor x = random_tensor({2, 3, 6}, rng, 3.0f);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] += float(i / 6);  // a different mean per row
  const Tensor y = ln.forward(x);

  const MatrixD X = as_eigen(x.reshaped({6, 6})).cast<double>();
  const Eigen::VectorXd mu = X.rowwise().mean();
  const MatrixD centered = X.colwise() - mu;
  const Eigen::ArrayXd rstd = (centered.array().square().rowwise().mean() + 1e-5).rsqrt();  // biased variance
  const Eigen::RowVectorXd gamma = Eigen::Map<const Eigen::RowVectorXf>(ln.weight().value.data(), 6).cast<double>();
  const Eigen::RowVectorXd beta = Eigen::Map<const Eigen::RowVectorXf>(ln.bias().value.data(), 6).cast<double>();
  const MatrixD expected = ((centered.array().colwise() * rstd).rowwise() * gamma.array()).rowwise() + beta.array();
  require_close(y, from_eigen(expected).reshaped({2, 3, 6}), 1e-5, 1e-5);
}

TEST_CASE("LayerNorm backward matches central differences", "[05-regularization][layernorm][grad]") {
  Rng rng(2);
  LayerNorm ln(5);
  randomize_affine(ln, rng);
  check_layer_gradients(ln, random_tensor({2, 3, 5}, rng, 2.0f), rng, 2e-3, 2e-3);
}

TEST_CASE("LayerNorm is the same in training and evaluation, and one row does not see the others",
          "[05-regularization][layernorm]") {
  Rng rng(3);
  LayerNorm ln(4);
  randomize_affine(ln, rng);
  const Tensor x = random_tensor({3, 4}, rng);
  const Tensor y_train = ln.forward(x);
  ln.set_training(false);
  require_close(ln.forward(x), y_train, 0.0, 0.0);
  const Tensor y_row = ln.forward(Tensor({1, 4}, std::vector<float>(x.data() + 4, x.data() + 8)));
  for (std::size_t j = 0; j < 4; ++j) REQUIRE(y_row[j] == y_train[4 + j]);
  CHECK(ln.batch_coupled_layer().empty());
}

TEST_CASE("LayerNorm matches torch.nn.LayerNorm: output and all gradients", "[05-regularization][layernorm][pytorch]") {
  LayerNorm ln(6);
  const SafetensorsFile file = read_fixture("layernorm.safetensors");
  load_fixture_state(ln, file);
  const double tol = 1e-5;
  require_close(ln.forward(fixture_tensor(file, "input")), fixture_tensor(file, "output"), tol, 0.0);
  ln.zero_grad();
  require_close(ln.backward(fixture_tensor(file, "doutput")), fixture_tensor(file, "grad.input"), tol, 0.0);
  require_close(ln.weight().grad, fixture_tensor(file, "grad.weight"), tol, 0.0);
  require_close(ln.bias().grad, fixture_tensor(file, "grad.bias"), tol, 0.0);
}

TEST_CASE("LayerNorm has PyTorch's parameter names and defaults, and checks its input", "[05-regularization][layernorm]") {
  LayerNorm ln(8);
  const std::vector<Parameter*> ps = ln.parameters();
  REQUIRE(ps.size() == 2);
  CHECK(ps[0]->name == "weight");
  CHECK(ps[1]->name == "bias");
  require_close(ln.weight().value, Tensor({8}, 1.0f), 0.0, 0.0);
  require_close(ln.bias().value, Tensor({8}), 0.0, 0.0);
  CHECK(ln.name() == "LayerNorm(8)");
  CHECK(ln.eps() == 1e-5f);
  CHECK_THROWS_WITH(ln.forward(Tensor({2, 7})), Catch::Contains("LayerNorm(8)"));
}
