#include <catch2/catch.hpp>

#include "04-rnn/rnn.hpp"
#include "04-rnn/tests/cell_reference.hpp"
#include "04-rnn/tests/recurrent_checks.hpp"

using namespace dlfs;
using namespace dlfs::test;

TEST_CASE("RNNCell forward computes tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) like an Eigen reference", "[04-rnn][rnn]") {
  Rng rng(1);
  RNNCell cell(5, 4, rng);
  const Tensor x = random_tensor({3, 5}, rng), h = random_tensor({3, 4}, rng);
  const RecurrentState next = cell.forward_step(x, {h, {}});
  const Affine a = affine_maps(cell, x, h);
  require_close(next.h, from_eigen((a.xw + a.hw).array().tanh().matrix()), 1e-6, 1e-5);
  CHECK(next.c.empty());
}

TEST_CASE("RNNCell backward_step matches central differences for x, h and every parameter", "[04-rnn][rnn][grad]") {
  Rng rng(2);
  RNNCell cell(3, 4, rng);
  check_step_gradients(cell, 2, rng);
}

TEST_CASE("A two-layer RNN equals its cells stepped T times, layer by layer", "[04-rnn][rnn]") {
  Rng rng(3);
  RNN rnn(3, 5, rng, 2);
  check_sequence_equals_steps(rnn, 2, 6, rng);
}

TEST_CASE("RNN backward matches central differences for x, h0 and every parameter of two layers", "[04-rnn][rnn][grad]") {
  Rng rng(4);
  RNN rnn(3, 4, rng, 2);
  check_gradients(rnn, 2, 4, rng);
}

TEST_CASE("RNN matches torch.nn.RNN: outputs, final states and all gradients", "[04-rnn][rnn][pytorch]") {
  Rng rng(5);
  RNN rnn(4, 6, rng, 2);
  check_against_pytorch(rnn, "rnn.safetensors");
}

TEST_CASE("RNN parameters have PyTorch's names and shapes: one block of H rows per layer", "[04-rnn][rnn]") {
  Rng rng(6);
  RNN rnn(3, 5, rng, 2);
  const std::vector<Parameter*> ps = rnn.parameters();
  REQUIRE(ps.size() == 8);
  CHECK(ps[0]->name == "weight_ih_l0");
  CHECK(ps[0]->value.shape() == Shape{5, 3});
  CHECK(ps[1]->name == "weight_hh_l0");
  CHECK(ps[1]->value.shape() == Shape{5, 5});
  CHECK(ps[2]->name == "bias_ih_l0");
  CHECK(ps[3]->name == "bias_hh_l0");
  CHECK(ps[3]->value.shape() == Shape{5});
  CHECK(ps[4]->name == "weight_ih_l1");
  CHECK(ps[4]->value.shape() == Shape{5, 5});
  CHECK(ps[7]->name == "bias_hh_l1");
  CHECK(rnn.name() == "RNN(3, 5, layers=2)");
  CHECK(rnn.cell(0).name() == "RNNCell(3, 5)");
}
