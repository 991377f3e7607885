#include <catch2/catch.hpp>

#include "02-mlp/activations.hpp"
#include "02-mlp/dense.hpp"
#include "05-regularization/batch_norm.hpp"
#include "05-regularization/bias_free_conv2d.hpp"
#include "05-regularization/residual.hpp"
#include "05-regularization/tests/layer_checks.hpp"
#include "common/ops.hpp"
#include "tests/support/eigen.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

// Every BN of the block with gamma and beta away from 1 and 0.
void randomize_batch_norms(ResidualBlock& block, Rng& rng) {
  for (Sequential* part : {&block.body(), &block.shortcut()})
    for (std::size_t i = 0; i < part->size(); ++i)
      if (auto* bn = dynamic_cast<BatchNorm*>(&(*part)[i]))
        for (std::size_t c = 0; c < bn->features(); ++c) {
          bn->weight().value[c] = 1.0f + 0.5f * rng.normal();
          bn->bias().value[c] = 0.5f * rng.normal();
        }
}

// One training step and an evaluation forward against PyTorch's BasicBlock (make_fixtures.py).
void check_against_pytorch(ResidualBlock& block, const std::string& file_name) {
  const SafetensorsFile file = read_fixture(file_name);
  load_fixture_state(block, file);
  const double tol = 1e-5;
  block.set_training(true);
  block.zero_grad();
  require_close(block.forward(fixture_tensor(file, "input")), fixture_tensor(file, "output"), tol, 0.0);
  require_close(block.backward(fixture_tensor(file, "doutput")), fixture_tensor(file, "grad.input"), tol, 0.0);
  for (Parameter* p : block.parameters()) {
    INFO(p->name);
    if (p->trainable) require_close(p->grad, fixture_tensor(file, "grad." + p->name), tol, 0.0);
    else require_close(p->value, fixture_tensor(file, "after." + p->name), tol, 0.0);
  }
  block.set_training(false);
  require_close(block.forward(fixture_tensor(file, "eval.input")), fixture_tensor(file, "eval.output"), tol, 0.0);
}

}  // namespace

TEST_CASE("A bias-free convolution is Conv2d with its bias held at 0, and computes no bias gradient",
          "[05-regularization][residual]") {
  auto max_abs = [](const Tensor& t) {
    float m = 0.0f;
    for (std::size_t i = 0; i < t.size(); ++i) m = std::max(m, std::abs(t[i]));
    return m;
  };
  // 3 input channels take im2col's path, 8 the padded planes'.
  for (std::size_t in : {3, 8}) {
    INFO("in channels " << in);
    Rng rng(11);
    BiasFreeConv2d bias_free(in, 4, 3, rng, 1, 1);
    Conv2d plain(in, 4, 3, rng, 1, 1);
    plain.weight().value = bias_free.weight().value;  // plain's bias is 0 too
    Tensor x({2, in, 5, 5});  // (B, C, H, W)
    rng.fill_normal(x, 0.0f, 1.0f);
    Tensor dy({2, 4, 5, 5});  // (B, OC, H, W)
    rng.fill_normal(dy, 0.0f, 1.0f);
    require_close(bias_free.forward(x), plain.forward(x), 0.0, 0.0);
    require_close(bias_free.backward(dy), plain.backward(dy), 0.0, 0.0);
    require_close(bias_free.weight().grad, plain.weight().grad, 0.0, 0.0);
    REQUIRE(max_abs(plain.bias().grad) > 0.0f);       // Conv2d sums dy for its bias
    REQUIRE(max_abs(bias_free.bias().grad) == 0.0f);  // the bias-free one does not
    REQUIRE(bias_free.parameters().size() == 1);      // and its bias is neither saved nor trained
  }
}

TEST_CASE("A residual block computes relu(F(x) + x) with the identity shortcut", "[05-regularization][residual]") {
  Rng rng(1);
  auto block = make_basic_block(3, 3, 1, rng);
  REQUIRE(block->identity_shortcut());
  randomize_batch_norms(*block, rng);
  const Tensor x = random_tensor({2, 3, 5, 5}, rng);
  const Tensor y = block->forward(x);
  const Tensor f = block->body().forward(x);  // F(x) on its own (the same batch: the same statistics)
  const Matrix expected = (as_eigen(f.reshaped({2, 75})) + as_eigen(x.reshaped({2, 75}))).cwiseMax(0.0f);
  require_close(y, from_eigen(expected).reshaped({2, 3, 5, 5}), 1e-6, 1e-6);
}

TEST_CASE("A residual block with a projection shortcut adds BN(conv1x1(x)) and halves the map with stride 2",
          "[05-regularization][residual]") {
  Rng rng(2);
  auto block = make_basic_block(2, 4, 2, rng);
  REQUIRE_FALSE(block->identity_shortcut());
  randomize_batch_norms(*block, rng);
  const Tensor x = random_tensor({2, 2, 5, 5}, rng);
  const Tensor y = block->forward(x);
  REQUIRE(y.shape() == Shape{2, 4, 3, 3});
  const Tensor f = block->body().forward(x), s = block->shortcut().forward(x);
  const Matrix expected = (as_eigen(f.reshaped({2, 36})) + as_eigen(s.reshaped({2, 36}))).cwiseMax(0.0f);
  require_close(y, from_eigen(expected).reshaped({2, 4, 3, 3}), 1e-6, 1e-6);
}

TEST_CASE("Residual block backward matches central differences with the identity shortcut",
          "[05-regularization][residual][grad]") {
  Rng rng(3);
  auto block = make_basic_block(2, 2, 1, rng);
  randomize_batch_norms(*block, rng);
  check_layer_gradients(*block, random_tensor({2, 2, 4, 4}, rng), rng, 3e-3, 3e-3, [] {}, 1e-3);
}

TEST_CASE("Residual block backward matches central differences with the projection shortcut",
          "[05-regularization][residual][grad]") {
  Rng rng(4);
  auto block = make_basic_block(2, 3, 2, rng);
  randomize_batch_norms(*block, rng);
  check_layer_gradients(*block, random_tensor({2, 2, 5, 5}, rng), rng, 3e-3, 3e-3, [] {}, 1e-3);
}

TEST_CASE("Residual block backward matches central differences without the final ReLU (any body)",
          "[05-regularization][residual][grad]") {
  Rng rng(5);
  Sequential body;
  body.emplace<Dense>(4, 6, rng);
  body.emplace<Tanh>();
  body.emplace<Dense>(6, 4, rng);
  ResidualBlock block(std::move(body), Sequential(), false);  // y = x + F(x), a pre-activation style sum
  const Tensor x = random_tensor({3, 4}, rng);
  const Tensor y = block.forward(x);
  const Tensor f = block.body().forward(x);
  require_close(y, f + x, 1e-6, 1e-6);
  check_layer_gradients(block, x, rng);
}

TEST_CASE("A residual block matches PyTorch's basic block with a projection shortcut: outputs, gradients, "
          "running statistics, evaluation",
          "[05-regularization][residual][pytorch]") {
  Rng rng(6);
  auto block = make_basic_block(3, 4, 2, rng);
  check_against_pytorch(*block, "residual_projection.safetensors");
}

TEST_CASE("A residual block matches PyTorch's basic block with the identity shortcut", "[05-regularization][residual][pytorch]") {
  Rng rng(7);
  auto block = make_basic_block(4, 4, 1, rng);
  check_against_pytorch(*block, "residual_identity.safetensors");
}

TEST_CASE("A residual block's parameters are named after its parts, also inside a network",
          "[05-regularization][residual]") {
  Rng rng(8);
  Sequential net;
  net.emplace<ReLU>();
  net.add(make_basic_block(2, 4, 2, rng));
  std::vector<std::string> names;
  for (Parameter* p : net.parameters()) names.push_back(p->name);
  const std::vector<std::string> expected = {
      "1.body.0.weight",     "1.body.1.weight",         "1.body.1.bias",          "1.body.1.running_mean",
      "1.body.1.running_var", "1.body.3.weight",        "1.body.4.weight",        "1.body.4.bias",
      "1.body.4.running_mean", "1.body.4.running_var",  "1.shortcut.0.weight",    "1.shortcut.1.weight",
      "1.shortcut.1.bias",   "1.shortcut.1.running_mean", "1.shortcut.1.running_var"};
  CHECK(names == expected);
  // conv 4*2*9 + BN 2*4 + conv 4*4*9 + BN 2*4 + conv1x1 4*2 + BN 2*4 (no conv biases)
  CHECK(parameter_count(net) == 72 + 8 + 144 + 8 + 8 + 8);
}

TEST_CASE("Switching mode reaches every layer inside a residual block, through an enclosing Sequential",
          "[05-regularization][residual]") {
  Rng rng(9);
  Sequential net;
  net.add(make_basic_block(2, 3, 2, rng));
  auto& block = dynamic_cast<ResidualBlock&>(net[0]);
  auto all_in_mode = [&](bool training) {
    bool all = block.training() == training;
    for (Sequential* part : {&block.body(), &block.shortcut()})
      for (std::size_t i = 0; i < part->size(); ++i) all = all && (*part)[i].training() == training;
    return all;
  };
  CHECK(all_in_mode(true));
  CHECK(net.batch_coupled_layer() == "BatchNorm2d(3)");
  net.set_training(false);
  CHECK(all_in_mode(false));
  CHECK(net.batch_coupled_layer().empty());
  net.set_training(true);
  CHECK(all_in_mode(true));
}

TEST_CASE("A residual block as a network's first layer skips dx but still fills every parameter gradient",
          "[05-regularization][residual]") {
  Rng rng(10);
  auto block = make_basic_block(2, 3, 2, rng);
  const Tensor x = random_tensor({2, 2, 5, 5}, rng);
  const Tensor g = random_tensor({2, 3, 3, 3}, rng);
  block->forward(x);
  block->zero_grad();
  block->backward(g);
  std::vector<Tensor> grads;
  for (Parameter* p : block->parameters()) grads.push_back(p->grad);
  block->set_needs_input_grad(false);
  block->forward(x);
  block->zero_grad();
  CHECK(block->backward(g).empty());
  const std::vector<Parameter*> ps = block->parameters();
  for (std::size_t i = 0; i < ps.size(); ++i) {
    INFO(ps[i]->name);
    require_close(ps[i]->grad, grads[i], 0.0, 0.0);
  }
}

TEST_CASE("A residual block whose body changes the shape needs a projection shortcut", "[05-regularization][residual]") {
  Rng rng(11);
  Sequential body;
  body.emplace<Dense>(4, 5, rng);
  ResidualBlock block(std::move(body));
  CHECK_THROWS_WITH(block.forward(Tensor({2, 4})), Catch::Contains("needs a projection shortcut"));
}

TEST_CASE("A residual block's backward passes dy only where its output is positive, and checks its shape",
          "[05-regularization][residual]") {
  Rng rng(12);
  Sequential body;
  body.emplace<Dense>(4, 4, rng);
  ResidualBlock block(std::move(body));
  const Tensor x = random_tensor({3, 4}, rng), g = random_tensor({3, 4}, rng);  // (3, 4)
  CHECK_THROWS_WITH(block.backward(g), Catch::Contains("ResidualBlock::backward: output gradient of shape (3, 4)"));
  const Tensor y = block.forward(x);
  block.backward(g);
  // The body is one Dense layer, so its weight gradient is dsum^T x with dsum = g where y > 0, else 0.
  Tensor dsum({3, 4});
  for (std::size_t i = 0; i < g.size(); ++i) dsum[i] = y[i] > 0.0f ? g[i] : 0.0f;
  require_close(block.parameters()[0]->grad, from_eigen(as_eigen(dsum).transpose() * as_eigen(x)), 1e-6, 1e-6);
  CHECK_THROWS_WITH(block.backward(Tensor({2, 4})), Catch::Contains("(2, 4) does not match the forward output (3, 4)"));
}
