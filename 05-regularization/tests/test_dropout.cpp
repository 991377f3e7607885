#include <catch2/catch.hpp>
#include <cmath>

#include "05-regularization/dropout.hpp"
#include "05-regularization/tests/layer_checks.hpp"
#include "common/ops.hpp"

using namespace dlfs;
using namespace dlfs::test;

TEST_CASE("Dropout in evaluation mode is the identity, forward and backward", "[05-regularization][dropout]") {
  Rng rng(1);
  Dropout dropout(0.5f, rng);
  dropout.set_training(false);
  const Tensor x = random_tensor({4, 7}, rng);
  require_close(dropout.forward(x), x, 0.0, 0.0);
  const Tensor dy = random_tensor({4, 7}, rng);
  require_close(dropout.backward(dy), dy, 0.0, 0.0);
}

TEST_CASE("Dropout zeroes a fraction p of units and scales the kept ones by 1 / (1 - p)", "[05-regularization][dropout]") {
  Rng rng(2);
  const float p = 0.3f;
  Dropout dropout(p, rng);
  const std::size_t n = 100000;
  const Tensor x = random_tensor({100, n / 100}, rng);
  const Tensor y = dropout.forward(x);
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float m = dropout.mask()[i];
    REQUIRE((m == 0.0f || m == 1.0f / (1.0f - p)));
    REQUIRE(y[i] == m * x[i]);
    dropped += m == 0.0f;
  }
  // A binomial count: mean n p, standard deviation sqrt(n p (1 - p)) = 145; allow 5 of them.
  CHECK(std::fabs(double(dropped) - n * double(p)) < 5 * std::sqrt(n * double(p) * (1 - double(p))));
}

TEST_CASE("Dropout keeps the expected value: the mean output equals the input within sampling error",
          "[05-regularization][dropout]") {
  Rng rng(3);
  for (float p : {0.1f, 0.5f, 0.8f}) {
    INFO("p = " << p);
    Dropout dropout(p, rng);
    const std::size_t n = 200000;
    const Tensor x({n, 1}, 1.5f);
    const double mean = sum(dropout.forward(x)) / double(n);
    // Each y_i is 1.5 m_i with E[m_i] = 1 and Var[m_i] = p / (1 - p): the mean of n has standard
    // deviation 1.5 sqrt(p / ((1 - p) n)); allow 5 of them.
    const double sigma = 1.5 * std::sqrt(double(p) / ((1.0 - double(p)) * double(n)));
    CHECK(std::fabs(mean - 1.5) < 5 * sigma);
  }
}

TEST_CASE("Dropout backward applies the forward's mask", "[05-regularization][dropout]") {
  Rng rng(4);
  Dropout dropout(0.5f, rng);
  const Tensor x = random_tensor({8, 16}, rng);
  dropout.forward(x);
  const Tensor mask = dropout.mask();
  const Tensor dy = random_tensor({8, 16}, rng);
  const Tensor dx = dropout.backward(dy);
  for (std::size_t i = 0; i < dx.size(); ++i) REQUIRE(dx[i] == mask[i] * dy[i]);
  // A second forward draws a new mask; the backward after it follows the new one.
  dropout.forward(x);
  bool differs = false;
  for (std::size_t i = 0; i < mask.size(); ++i) differs |= mask[i] != dropout.mask()[i];
  CHECK(differs);
  const Tensor dx2 = dropout.backward(dy);
  for (std::size_t i = 0; i < dx2.size(); ++i) REQUIRE(dx2[i] == dropout.mask()[i] * dy[i]);
}

TEST_CASE("Dropout backward matches central differences with the mask held fixed", "[05-regularization][dropout][grad]") {
  Rng rng(5);
  Dropout dropout(0.4f, rng);
  const Rng::State start = dropout.rng().state();
  // Rewinding the layer's stream before each forward replays the same mask, so y(x) is one function.
  check_layer_gradients(dropout, random_tensor({3, 5, 4}, rng), rng, 1e-3, 1e-3,
                        [&] { dropout.rng().set_state(start); });
}

TEST_CASE("Dropout masks repeat from the seed, and two layers of one network draw different ones",
          "[05-regularization][dropout]") {
  Rng a(6), b(6);
  Dropout first(0.5f, a), second(0.5f, a), again(0.5f, b);
  const Tensor x({4, 32}, 1.0f);
  const Tensor y1 = first.forward(x), y2 = second.forward(x), y3 = again.forward(x);
  require_close(y3, y1, 0.0, 0.0);
  bool differs = false;
  for (std::size_t i = 0; i < y1.size(); ++i) differs |= y1[i] != y2[i];
  CHECK(differs);
}

TEST_CASE("Dropout rejects p outside [0, 1) and p = 0 is the identity", "[05-regularization][dropout]") {
  Rng rng(7);
  CHECK_THROWS_AS(Dropout(1.0f, rng), std::invalid_argument);
  CHECK_THROWS_AS(Dropout(-0.1f, rng), std::invalid_argument);
  Dropout none(0.0f, rng);
  const Tensor x = random_tensor({3, 3}, rng);
  require_close(none.forward(x), x, 0.0, 0.0);
  CHECK(none.name() == "Dropout(p=0)");
  CHECK(Dropout(0.25f, rng).name() == "Dropout(p=0.25)");
}
