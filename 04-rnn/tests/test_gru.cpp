#include <catch2/catch.hpp>

#include "04-rnn/gru.hpp"
#include "04-rnn/tests/cell_reference.hpp"
#include "04-rnn/tests/recurrent_checks.hpp"

using namespace dlfs;
using namespace dlfs::test;

TEST_CASE("GRUCell forward computes r, z, n = tanh(xw_n + r (W_hn h + b_hn)) and h' like an Eigen reference",
          "[04-rnn][gru]") {
  Rng rng(1);
  GRUCell cell(5, 4, rng);
  const Tensor x = random_tensor({3, 5}, rng), h = random_tensor({3, 4}, rng);
  const RecurrentState next = cell.forward_step(x, {h, {}});

  const Affine a = affine_maps(cell, x, h);
  const ArrayD xw = a.xw.array(), hw = a.hw.array();  // (B, 3H) each
  const Eigen::Index H = 4;
  const ArrayD r = sigmoid(xw.middleCols(0, H) + hw.middleCols(0, H));
  const ArrayD z = sigmoid(xw.middleCols(H, H) + hw.middleCols(H, H));
  const ArrayD n = (xw.middleCols(2 * H, H) + r * hw.middleCols(2 * H, H)).tanh();
  const ArrayD h_next = (1.0 - z) * n + z * to_double(h).array();  // h' = (1 - z) n + z h
  require_close(next.h, from_eigen(h_next.matrix()), 1e-6, 1e-5);
  CHECK(next.c.empty());
}

TEST_CASE("GRUCell backward_step matches central differences for x, h and every parameter", "[04-rnn][gru][grad]") {
  Rng rng(2);
  GRUCell cell(3, 4, rng);
  check_step_gradients(cell, 2, rng);
}

TEST_CASE("A two-layer GRU equals its cells stepped T times, layer by layer", "[04-rnn][gru]") {
  Rng rng(3);
  GRU gru(3, 5, rng, 2);
  check_sequence_equals_steps(gru, 2, 6, rng);
}

TEST_CASE("GRU backward matches central differences for x, h0 and every parameter of two layers", "[04-rnn][gru][grad]") {
  Rng rng(4);
  GRU gru(3, 4, rng, 2);
  check_gradients(gru, 2, 4, rng);
}

TEST_CASE("GRU matches torch.nn.GRU: outputs, final states and all gradients", "[04-rnn][gru][pytorch]") {
  Rng rng(5);
  GRU gru(4, 6, rng, 2);
  check_against_pytorch(gru, "gru.safetensors");
}

TEST_CASE("GRU parameters have PyTorch's names and shapes: three gates of H rows per layer", "[04-rnn][gru]") {
  Rng rng(6);
  GRU gru(3, 5, rng, 2);
  const std::vector<Parameter*> ps = gru.parameters();
  REQUIRE(ps.size() == 8);
  CHECK(ps[0]->name == "weight_ih_l0");
  CHECK(ps[0]->value.shape() == Shape{15, 3});
  CHECK(ps[1]->name == "weight_hh_l0");
  CHECK(ps[1]->value.shape() == Shape{15, 5});
  CHECK(ps[2]->name == "bias_ih_l0");
  CHECK(ps[3]->name == "bias_hh_l0");
  CHECK(ps[3]->value.shape() == Shape{15});
  CHECK(ps[4]->name == "weight_ih_l1");
  CHECK(ps[4]->value.shape() == Shape{15, 5});
  CHECK(ps[7]->name == "bias_hh_l1");
  CHECK(gru.name() == "GRU(3, 5, layers=2)");
  CHECK(gru.cell(1).name() == "GRUCell(5, 5)");
}
