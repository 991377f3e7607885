#include <catch2/catch.hpp>
#include <cmath>

#include "05-regularization/tests/layer_checks.hpp"
#include "06-transformer/positional_encoding.hpp"

using namespace dlfs;
using namespace dlfs::test;

TEST_CASE("the sinusoidal table holds sin and cos of t / 10000^(2i / D)", "[06-transformer][positions]") {
  const std::size_t C = 50, D = 6;
  const Tensor P = sinusoidal_table(C, D);
  REQUIRE(P.shape() == Shape{C, D});
  for (std::size_t j = 0; j < D; ++j) CHECK(P(0, j) == (j % 2 == 0 ? 0.0f : 1.0f));  // sin 0, cos 0
  for (std::size_t t : {1, 7, 49})
    for (std::size_t j = 0; j < D; ++j) {
      const double angle = double(t) / std::pow(10000.0, double(2 * (j / 2)) / double(D));
      CHECK(P(t, j) == Approx(j % 2 == 0 ? std::sin(angle) : std::cos(angle)).margin(1e-7));
    }
}

TEST_CASE("the sinusoidal table equals the PyTorch fixture's, computed the same way", "[06-transformer][positions][pytorch]") {
  const SafetensorsFile file = read_fixture("gpt_untied.safetensors");
  const Tensor& expected = fixture_tensor(file, "position_table");
  require_close(sinusoidal_table(expected.dim(0), expected.dim(1)), expected, 1e-7, 0.0);
}

TEST_CASE("k positions later, every sine/cosine pair of the table is the same pair rotated by k times its frequency",
          "[06-transformer][positions]") {
  // (sin((t + k) w), cos((t + k) w)) = R(k w) (sin(t w), cos(t w)): a fixed linear map for each k,
  // the same at every t, which is what lets attention express "k positions back".
  const std::size_t D = 8;
  const Tensor P = sinusoidal_table(40, D);
  for (std::size_t k : {1, 5, 17})
    for (std::size_t t : {0, 3, 20})
      for (std::size_t i = 0; i < D / 2; ++i) {
        const double w = 1.0 / std::pow(10000.0, double(2 * i) / double(D));
        const double s = P(t, 2 * i), c = P(t, 2 * i + 1);
        CHECK(P(t + k, 2 * i) == Approx(s * std::cos(k * w) + c * std::sin(k * w)).margin(2e-6));
        CHECK(P(t + k, 2 * i + 1) == Approx(c * std::cos(k * w) - s * std::sin(k * w)).margin(2e-6));
      }
}

TEST_CASE("sinusoidal positions add row start + t to position t and pass the gradient through unchanged",
          "[06-transformer][positions]") {
  Rng rng(1);
  SinusoidalPositions positions(10, 4);
  CHECK(positions.parameters().empty());
  CHECK(positions.name() == "SinusoidalPositions(10, 4)");
  const Tensor x = random_tensor({2, 3, 4}, rng);
  const Tensor y = positions.forward_from(x, 5);
  for (std::size_t b = 0; b < 2; ++b)
    for (std::size_t t = 0; t < 3; ++t)
      for (std::size_t j = 0; j < 4; ++j) CHECK(y(b, t, j) == x(b, t, j) + positions.table()(5 + t, j));
  const Tensor g = random_tensor({2, 3, 4}, rng);
  require_close(positions.backward(g), g, 0.0, 0.0);
}

TEST_CASE("learned positions: backward matches central differences for the input and the table",
          "[06-transformer][positions][grad]") {
  Rng rng(2);
  LearnedPositions positions(6, 3, rng);
  check_layer_gradients(positions, random_tensor({2, 4, 3}, rng), rng, 1e-3, 1e-3);
}

TEST_CASE("learned positions from an offset: rows start .. start + T - 1 get the batch's summed gradient, the rest none",
          "[06-transformer][positions][grad]") {
  Rng rng(3);
  LearnedPositions positions(8, 2, rng);
  const Tensor x = random_tensor({3, 4, 2}, rng);
  positions.forward_from(x, 3);
  const Tensor g = random_tensor({3, 4, 2}, rng);
  positions.zero_grad();
  positions.backward(g);
  Tensor expected({8, 2});
  for (std::size_t b = 0; b < 3; ++b)
    for (std::size_t t = 0; t < 4; ++t)
      for (std::size_t j = 0; j < 2; ++j) expected(3 + t, j) += g(b, t, j);
  require_close(positions.weight().grad, expected, 1e-6, 0.0);
}

TEST_CASE("learned positions are a parameter named weight, (context, D), drawn from N(0, 0.02^2)",
          "[06-transformer][positions]") {
  Rng rng(4);
  LearnedPositions positions(64, 128, rng);
  const std::vector<Parameter*> ps = positions.parameters();
  REQUIRE(ps.size() == 1);
  CHECK(ps[0]->name == "weight");
  CHECK(ps[0]->value.shape() == Shape{64, 128});
  double squares = 0.0;
  for (float v : ps[0]->value) squares += double(v) * v;
  CHECK(std::sqrt(squares / double(ps[0]->value.size())) == Approx(0.02).epsilon(0.05));
  CHECK(positions.name() == "LearnedPositions(64, 128)");
}

TEST_CASE("positions past the context and inputs that are not (B, T, D) are refused, naming the layer",
          "[06-transformer][positions]") {
  Rng rng(5);
  LearnedPositions positions(8, 4, rng);
  CHECK_THROWS_WITH(positions.forward(Tensor({1, 9, 4})),
                    Catch::Contains("LearnedPositions(8, 4): positions 0 to 8 do not fit the context of 8 positions"));
  CHECK_THROWS_WITH(positions.forward_from(Tensor({1, 3, 4}), 6), Catch::Contains("positions 6 to 8"));
  CHECK_THROWS_WITH(positions.forward(Tensor({1, 3, 5})), Catch::Contains("is not (B, T, 4)"));
  CHECK_THROWS_WITH(positions.forward(Tensor({3, 4})), Catch::Contains("input of shape (3, 4)"));
  CHECK_THROWS_AS(SinusoidalPositions(0, 4), std::invalid_argument);
}
