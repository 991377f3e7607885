#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "04-rnn/embedding.hpp"
#include "04-rnn/tests/recurrent_checks.hpp"
#include "tests/support/eigen.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

// The ids as a one-hot matrix (B*T, N): an embedding lookup is one_hot(ids) W.
Matrix one_hot(const Tensor& ids, std::size_t n) {
  Matrix m = Matrix::Zero(Eigen::Index(ids.size()), Eigen::Index(n));
  for (std::size_t i = 0; i < ids.size(); ++i) m(Eigen::Index(i), Eigen::Index(ids[i])) = 1.0f;
  return m;
}

// (B, T) ids with repeats: 3 appears four times, 1 twice.
const Tensor kIds({2, 4}, {3, 1, 3, 0, 6, 3, 1, 3});

}  // namespace

TEST_CASE("Embedding forward picks rows of the weight, like one_hot(ids) W in Eigen", "[04-rnn][embedding]") {
  Rng rng(1);
  Embedding embedding(7, 5, rng);
  const Tensor y = embedding.forward(kIds);  // (B, T, D)
  CHECK(y.shape() == Shape{2, 4, 5});
  const Matrix expected = one_hot(kIds, 7) * as_eigen(embedding.weight().value);
  require_close(y.reshaped({8, 5}), from_eigen(expected), 0.0, 0.0);  // a copy: exact
}

TEST_CASE("Embedding backward scatter-adds: repeated ids sum their gradients, like one_hot(ids)^T dY",
          "[04-rnn][embedding]") {
  Rng rng(2);
  Embedding embedding(7, 5, rng);
  embedding.forward(kIds);
  const Tensor dy = random_tensor({2, 4, 5}, rng);
  CHECK(embedding.backward(dy).empty());  // ids have no gradient
  const Matrix expected = one_hot(kIds, 7).transpose() * as_eigen(dy.reshaped({8, 5}));
  require_close(embedding.weight().grad, from_eigen(expected), 1e-6, 1e-6);
  // Row 3 is the sum of the four gradients of id 3 (positions 0, 2, 5 and 7); unused rows stay 0.
  for (std::size_t j = 0; j < 5; ++j) {
    CHECK(embedding.weight().grad(3, j) == Approx(dy(0, 0, j) + dy(0, 2, j) + dy(1, 1, j) + dy(1, 3, j)));
    CHECK(embedding.weight().grad(2, j) == 0.0f);
  }
}

TEST_CASE("Embedding backward matches central differences for the weight", "[04-rnn][embedding][grad]") {
  Rng rng(3);
  Embedding embedding(7, 3, rng);
  const Tensor g = random_tensor({2, 4, 3}, rng);
  auto loss = [&] { return dot(embedding.forward(kIds), g); };
  loss();
  embedding.zero_grad();
  embedding.backward(g);
  require_close(embedding.weight().grad, numerical_gradient(loss, embedding.weight().value), 1e-3, 1e-3);
}

TEST_CASE("Embedding accumulates its gradient across backward calls", "[04-rnn][embedding]") {
  Rng rng(4);
  Embedding embedding(7, 2, rng);
  embedding.forward(kIds);
  const Tensor dy = random_tensor({2, 4, 2}, rng);
  embedding.backward(dy);
  const Tensor once = embedding.weight().grad;
  embedding.backward(dy);
  require_close(embedding.weight().grad, once * 2.0f);
}

TEST_CASE("Embedding matches torch.nn.Embedding, repeated ids included", "[04-rnn][embedding][pytorch]") {
  const SafetensorsFile file = read_fixture("embedding.safetensors");
  Rng rng(5);
  Embedding embedding(10, 4, rng);
  embedding.weight().value.copy_from(fixture_tensor(file, "weight"));
  require_close(embedding.forward(fixture_tensor(file, "ids")), fixture_tensor(file, "output"), 1e-5, 0.0);
  embedding.zero_grad();
  embedding.backward(fixture_tensor(file, "doutput"));
  require_close(embedding.weight().grad, fixture_tensor(file, "grad.weight"), 1e-5, 0.0);
}

TEST_CASE("Embedding refuses an id that is not an integer in [0, N), naming it", "[04-rnn][embedding]") {
  Rng rng(6);
  Embedding embedding(10, 4, rng);
  using Catch::Contains;
  CHECK_THROWS_WITH(embedding.forward(Tensor({1, 3}, {1, 2.5f, 3})),
                    Contains("Embedding(10, 4): id 2.5 at flat position 1") && Contains("[0, 10)"));
  CHECK_THROWS_WITH(embedding.forward(Tensor({2}, {10, 0})), Contains("id 10 at flat position 0"));
  CHECK_THROWS_WITH(embedding.forward(Tensor({2}, {0, -1})), Contains("id -1 at flat position 1"));
  CHECK_THROWS_AS(embedding.forward(Tensor({1}, {std::numeric_limits<float>::quiet_NaN()})), std::invalid_argument);
  CHECK_NOTHROW(embedding.forward(Tensor({2}, {0, 9})));
}

TEST_CASE("Embedding weights start as N(0, 1), like PyTorch's", "[04-rnn][embedding][init]") {
  Rng rng(7);
  Embedding embedding(300, 100, rng);
  double s = 0, s2 = 0;
  for (float v : embedding.weight().value) s += v, s2 += double(v) * v;
  const double n = double(embedding.weight().value.size()), mean = s / n;
  CHECK(std::fabs(mean) < 0.02);
  CHECK(s2 / n - mean * mean == Approx(1.0).epsilon(0.03));
  CHECK(embedding.name() == "Embedding(300, 100)");
  CHECK(embedding.parameters().size() == 1);
  CHECK(embedding.parameters()[0]->name == "weight");
}
