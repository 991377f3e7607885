#include <catch2/catch.hpp>

#include "02-mlp/activations.hpp"
#include "02-mlp/dense.hpp"
#include "02-mlp/losses.hpp"
#include "02-mlp/mlp.hpp"
#include "02-mlp/sequential.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

TEST_CASE("A whole MLP's gradients match central differences", "[02-mlp][sequential][grad]") {
  Rng rng(1);
  Sequential model;
  model.emplace<Dense>(4, 6, rng, Init::Xavier);
  model.emplace<Tanh>();
  model.emplace<Dense>(6, 5, rng, Init::Xavier);
  model.emplace<Sigmoid>();
  model.emplace<Dense>(5, 3, rng, Init::Xavier);
  Tensor x = random_tensor({3, 4}, rng);
  const std::vector<int> y = {2, 0, 1};
  auto loss = [&] { return softmax_cross_entropy(model.forward(x), y).loss; };

  model.zero_grad();
  const Tensor dx = model.backward(softmax_cross_entropy(model.forward(x), y).grad);
  require_close(dx, numerical_gradient(loss, x, 1e-3), 1e-4, 2e-3);
  for (Parameter* p : model.parameters()) {
    INFO(p->name);
    require_close(p->grad, numerical_gradient(loss, p->value, 1e-3), 1e-4, 2e-3);
  }
}

TEST_CASE("Sequential names parameters by position and describes itself", "[02-mlp][sequential]") {
  Rng rng(2);
  Sequential model = make_mlp(8, {4}, 3, "relu", rng);
  std::vector<std::string> names;
  for (Parameter* p : model.parameters()) names.push_back(p->name);
  CHECK(names == std::vector<std::string>{"1.weight", "1.bias", "3.weight", "3.bias"});
  CHECK(model.name() == "Sequential(Flatten, Dense(8, 4), ReLU, Dense(4, 3))");
  CHECK(parameter_count(model) == 8 * 4 + 4 + 4 * 3 + 3);
}

TEST_CASE("Sequential passes the training mode to every layer", "[02-mlp][sequential]") {
  Rng rng(3);
  Sequential model = make_mlp(2, {2}, 2, "tanh", rng);
  model.set_training(false);
  for (std::size_t i = 0; i < model.size(); ++i) CHECK_FALSE(model[i].training());
  model.set_training(true);
  CHECK(model[3].training());
}

TEST_CASE("Layers without parameters at the front pass on that no input gradient is needed", "[02-mlp][sequential]") {
  // An MLP starts with Flatten: when the network's input needs no gradient, its first Dense layer
  // need not compute one either, and backward stops there, with the same parameter gradients.
  Rng rng(6);
  Sequential skipping = make_mlp(8, {5}, 3, "relu", rng);
  Rng same(6);
  Sequential full = make_mlp(8, {5}, 3, "relu", same);
  skipping.set_needs_input_grad(false);
  CHECK_FALSE(skipping[0].needs_input_grad());  // Flatten
  CHECK_FALSE(skipping[1].needs_input_grad());  // the first Dense: only Flatten comes before it
  CHECK(skipping[2].needs_input_grad());        // ReLU: the Dense before it has parameters
  CHECK(skipping[3].needs_input_grad());
  const Tensor x = random_tensor({4, 2, 4}, rng);  // (B, 2, 4): Flatten makes it (B, 8)
  const std::vector<int> y = {2, 0, 1, 1};
  skipping.zero_grad(), full.zero_grad();
  CHECK(skipping.backward(softmax_cross_entropy(skipping.forward(x), y).grad).empty());
  CHECK(full.backward(softmax_cross_entropy(full.forward(x), y).grad).shape() == x.shape());
  for (std::size_t i = 0; i < full.parameters().size(); ++i)
    require_close(skipping.parameters()[i]->grad, full.parameters()[i]->grad, 0.0, 0.0);
  // Asked again, the front needs it again.
  skipping.set_needs_input_grad(true);
  CHECK(skipping[1].needs_input_grad());
}

TEST_CASE("make_mlp rejects an unknown activation and lists the valid ones", "[02-mlp][sequential]") {
  Rng rng(4);
  CHECK_THROWS_WITH(make_mlp(2, {2}, 2, "swish", rng), Catch::Contains("unknown activation 'swish'") && Catch::Contains("relu, sigmoid"));
  CHECK_THROWS_WITH(make_mlp(2, {0}, 2, "relu", rng), Catch::Contains("at least one unit"));
}

TEST_CASE("parse_hidden_widths reads --hidden's widths and names the flag on anything else", "[02-mlp][sequential]") {
  CHECK(parse_hidden_widths("256,128") == std::vector<std::size_t>{256, 128});
  CHECK(parse_hidden_widths("64") == std::vector<std::size_t>{64});
  for (const char* bad : {"", "256,", "0", "-3", "12x", "256,,128", "100001", "1e3"}) {
    INFO(bad);
    CHECK_THROWS_WITH(parse_hidden_widths(bad), Catch::StartsWith("--hidden: "));
  }
}
