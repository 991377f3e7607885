#include <catch2/catch.hpp>
#include <cmath>
#include <memory>

#include "tests/support/eigen_unsupported.hpp"

#include "02-mlp/activations.hpp"
#include "02-mlp/tests/layer_fixture.hpp"
#include "tests/support/eigen.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

using Array = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Tensor tensor_of(const Array& a) { return from_eigen(a.matrix()); }

// Inputs kept away from ReLU's kink at 0, where the derivative does not exist.
Tensor inputs(Rng& rng) {
  Tensor x = random_tensor({3, 5}, rng, 2.0f);
  for (float& v : x)
    if (std::fabs(v) < 0.05f) v = 0.3f;
  return x;
}

void check_gradient(Layer& layer, Rng& rng) {
  Tensor x = inputs(rng);
  const Tensor g = random_tensor(x.shape(), rng);
  auto loss = [&] { return dot(layer.forward(x), g); };
  layer.forward(x);
  const Tensor dx = layer.backward(g);
  INFO(layer.name());
  require_close(dx, numerical_gradient(loss, x, 1e-3), 2e-3, 2e-3);
}

}  // namespace

TEST_CASE("Activations match Eigen's array functions", "[02-mlp][activations]") {
  Rng rng(1);
  const Tensor x = inputs(rng);
  const Array a = as_eigen(x).array();
  Sigmoid sigmoid;
  Tanh tanh_layer;
  ReLU relu;
  LeakyReLU leaky(0.1f);
  GELU gelu;
  require_close(sigmoid.forward(x), tensor_of(1.0f / (1.0f + (-a).exp())));
  require_close(tanh_layer.forward(x), tensor_of(a.tanh()));
  require_close(relu.forward(x), tensor_of(a.max(0.0f)));
  require_close(leaky.forward(x), tensor_of((a > 0).select(a, 0.1f * a)));
  require_close(gelu.forward(x), tensor_of(0.5f * a * (1.0f + (a * float(M_SQRT1_2)).erf())));
}

TEST_CASE("Activation backward passes match central differences", "[02-mlp][activations][grad]") {
  Rng rng(2);
  Sigmoid sigmoid;
  Tanh tanh_layer;
  ReLU relu;
  LeakyReLU leaky(0.1f);
  GELU gelu;
  Softmax softmax_layer;
  for (Layer* layer : std::initializer_list<Layer*>{&sigmoid, &tanh_layer, &relu, &leaky, &gelu, &softmax_layer})
    check_gradient(*layer, rng);
}

TEST_CASE("Activation backward passes match their closed forms computed with Eigen", "[02-mlp][activations]") {
  Rng rng(3);
  const Tensor x = inputs(rng), g = random_tensor(x.shape(), rng);
  const Array a = as_eigen(x).array(), dy = as_eigen(g).array();
  Sigmoid sigmoid;
  sigmoid.forward(x);
  const Array s = 1.0f / (1.0f + (-a).exp());
  require_close(sigmoid.backward(g), tensor_of(dy * s * (1.0f - s)));
  Tanh tanh_layer;
  tanh_layer.forward(x);
  require_close(tanh_layer.backward(g), tensor_of(dy * (1.0f - a.tanh().square())));
  GELU gelu;
  gelu.forward(x);
  const Array cdf = 0.5f * (1.0f + (a * float(M_SQRT1_2)).erf());
  const Array pdf = (-0.5f * a.square()).exp() / std::sqrt(2.0f * float(M_PI));
  require_close(gelu.backward(g), tensor_of(dy * (cdf + a * pdf)));
  ReLU relu;
  relu.forward(x);
  require_close(relu.backward(g), tensor_of((a > 0).select(dy, 0.0f)));
  LeakyReLU leaky(0.1f);
  leaky.forward(x);
  require_close(leaky.backward(g), tensor_of((a > 0).select(dy, 0.1f * dy)));
  // Softmax over each row: dx = s (dy - sum_i dy_i s_i), the Jacobian s_i (delta_ij - s_j) applied.
  Softmax softmax_layer;
  const Array sm = as_eigen(softmax_layer.forward(x)).array();
  const Array dot_rows = (dy * sm).rowwise().sum();
  require_close(softmax_layer.backward(g), tensor_of(sm * (dy.colwise() - dot_rows.col(0))));
}

TEST_CASE("Softmax rows sum to one and match Eigen, even for huge logits", "[02-mlp][activations][softmax]") {
  const Tensor x({2, 3}, {1000.0f, 1001.0f, 1002.0f, -5.0f, 0.0f, 5.0f});
  Softmax layer;
  const Tensor s = layer.forward(x);
  Array shifted = as_eigen(x).array().colwise() - as_eigen(x).array().rowwise().maxCoeff();
  Array e = shifted.exp();
  Array expected = e.colwise() / e.rowwise().sum();
  require_close(s, tensor_of(expected));
  for (float v : s) CHECK(std::isfinite(v));
}

TEST_CASE("Sigmoid saturates without overflow or NaN", "[02-mlp][activations]") {
  Sigmoid sigmoid;
  const Tensor y = sigmoid.forward(Tensor({1, 2}, {-1000.0f, 1000.0f}));
  CHECK(y[0] == 0.0f);
  CHECK(y[1] == 1.0f);
  const Tensor dx = sigmoid.backward(Tensor({1, 2}, {1.0f, 1.0f}));
  CHECK(dx[0] == 0.0f);
  CHECK(dx[1] == 0.0f);
}

TEST_CASE("ReLU's backward is dy where x > 0 and 0 elsewhere, exactly, from the forward pass it follows",
          "[02-mlp][activations]") {
  Rng rng(4);
  const Tensor x = random_tensor({3, 5}, rng), g = random_tensor({3, 5}, rng);  // (3, 5)
  ReLU relu;
  CHECK_THROWS_WITH(relu.backward(g), Catch::Contains("ReLU::backward: output gradient of shape (3, 5)"));
  relu.forward(Tensor({8, 5}));  // a larger batch first: its mask storage is reused below
  relu.forward(x);
  const Tensor dx = relu.backward(g);
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(dx[i] == (x[i] > 0.0f ? g[i] : 0.0f));
  CHECK_THROWS_WITH(relu.backward(Tensor({8, 5})),
                    Catch::Contains("(8, 5) does not match the forward output (3, 5)"));
}

TEST_CASE("Every activation and Softmax match PyTorch's, with PyTorch's defaults (LeakyReLU's slope 0.01, GELU's erf form)",
          "[02-mlp][activations][pytorch]") {
  const SafetensorsFile file = test::read_fixture("layers.safetensors");
  Sigmoid sigmoid;
  Tanh tanh_layer;
  ReLU relu;
  LeakyReLU leaky_relu;  // the default slope
  GELU gelu;
  Softmax softmax;
  for (const auto& [prefix, layer] : {std::pair<std::string, Layer*>{"sigmoid.", &sigmoid}, {"tanh.", &tanh_layer},
                                      {"relu.", &relu}, {"leaky_relu.", &leaky_relu}, {"gelu.", &gelu},
                                      {"softmax.", &softmax}}) {
    INFO(prefix);
    test::check_layer_against_fixture(*layer, file, prefix);
  }
}
