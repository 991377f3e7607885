// LastStep: the last time step of a sequence forward, the gradient into that step only backward.
#include <catch2/catch.hpp>

#include "02-mlp/dense.hpp"
#include "02-mlp/sequential.hpp"
#include "04-rnn/gru.hpp"
#include "04-rnn/last_step.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;
using Catch::Matchers::Contains;

TEST_CASE("LastStep forward returns the last time step of every sequence", "[04-rnn][last_step]") {
  Rng rng(1);
  const Tensor x = random_tensor({3, 4, 5}, rng);  // (B, T, H)
  LastStep last;
  const Tensor y = last.forward(x);  // (B, H)
  REQUIRE(y.shape() == Shape{3, 5});
  Tensor expected({3, 5});
  for (std::size_t b = 0; b < 3; ++b)
    for (std::size_t j = 0; j < 5; ++j) expected(b, j) = x(b, 3, j);
  require_close(y, expected, 0.0, 0.0);
}

TEST_CASE("LastStep backward matches central differences and is zero before the last step",
          "[04-rnn][last_step][grad]") {
  Rng rng(2);
  Tensor x = random_tensor({2, 3, 4}, rng);  // (B, T, H)
  const Tensor g = random_tensor({2, 4}, rng);  // dL/dy
  LastStep last;
  last.forward(x);
  const Tensor dx = last.backward(g);
  REQUIRE(dx.shape() == x.shape());
  const Tensor numeric = numerical_gradient([&] { return dot(last.forward(x), g); }, x);
  require_close(dx, numeric, 1e-3, 1e-3);
  for (std::size_t b = 0; b < 2; ++b)
    for (std::size_t t = 0; t < 2; ++t)
      for (std::size_t j = 0; j < 4; ++j) CHECK(dx(b, t, j) == 0.0f);
}

TEST_CASE("GRU, LastStep and Dense backpropagate to every input step (central differences)",
          "[04-rnn][last_step][grad]") {
  Rng rng(3);
  Sequential model;
  model.emplace<GRU>(3, 4, rng);
  model.emplace<LastStep>();
  model.emplace<Dense>(4, 1, rng, Init::Xavier);
  Tensor x = random_tensor({2, 5, 3}, rng);  // (B, T, I)
  const Tensor g = random_tensor({2, 1}, rng);
  model.forward(x);
  const Tensor dx = model.backward(g);  // (B, T, I)
  const Tensor numeric = numerical_gradient([&] { return dot(model.forward(x), g); }, x);
  require_close(dx, numeric, 2e-3, 2e-3);
  // The loss reads h_T only, yet the first step's inputs matter: through the recurrence.
  double first_step = 0;
  for (std::size_t b = 0; b < 2; ++b)
    for (std::size_t i = 0; i < 3; ++i) first_step += std::abs(dx(b, 0, i));
  CHECK(first_step > 1e-4);
}

TEST_CASE("LastStep refuses an input that is not a sequence", "[04-rnn][last_step]") {
  LastStep last;
  CHECK_THROWS_WITH(last.forward(Tensor({2, 3})), Contains("(B, T, H)"));
  CHECK_THROWS_WITH(last.forward(Tensor({2, 0, 3})), Contains("T > 0"));
}
