#include <catch2/catch.hpp>

#include "04-rnn/lstm.hpp"
#include "04-rnn/tests/cell_reference.hpp"
#include "04-rnn/tests/recurrent_checks.hpp"

using namespace dlfs;
using namespace dlfs::test;

TEST_CASE("LSTMCell forward computes gates i, f, g, o, then c' and h', like an Eigen reference", "[04-rnn][lstm]") {
  Rng rng(1);
  LSTMCell cell(5, 4, rng);
  const Tensor x = random_tensor({3, 5}, rng), h = random_tensor({3, 4}, rng), c = random_tensor({3, 4}, rng);
  const RecurrentState next = cell.forward_step(x, {h, c});

  const Affine a = affine_maps(cell, x, h);
  const ArrayD pre = (a.xw + a.hw).array();  // (B, 4H)
  const Eigen::Index H = 4;
  const ArrayD i = sigmoid(pre.middleCols(0, H)), f = sigmoid(pre.middleCols(H, H));
  const ArrayD g = pre.middleCols(2 * H, H).tanh(), o = sigmoid(pre.middleCols(3 * H, H));
  const ArrayD c_next = f * to_double(c).array() + i * g;  // c' = f c + i g
  const ArrayD h_next = o * c_next.tanh();                  // h' = o tanh(c')
  require_close(next.c, from_eigen(c_next.matrix()), 1e-6, 1e-5);
  require_close(next.h, from_eigen(h_next.matrix()), 1e-6, 1e-5);
}

TEST_CASE("LSTMCell backward_step matches central differences for x, h, c and every parameter", "[04-rnn][lstm][grad]") {
  Rng rng(2);
  LSTMCell cell(3, 4, rng);
  check_step_gradients(cell, 2, rng);
}

TEST_CASE("A two-layer LSTM equals its cells stepped T times, layer by layer", "[04-rnn][lstm]") {
  Rng rng(3);
  LSTM lstm(3, 5, rng, 2);
  check_sequence_equals_steps(lstm, 2, 6, rng);
}

TEST_CASE("LSTM backward matches central differences for x, h0, c0 and every parameter of two layers",
          "[04-rnn][lstm][grad]") {
  Rng rng(4);
  LSTM lstm(3, 4, rng, 2);
  check_gradients(lstm, 2, 4, rng);
}

TEST_CASE("LSTM matches torch.nn.LSTM: outputs, final states and all gradients", "[04-rnn][lstm][pytorch]") {
  Rng rng(5);
  LSTM lstm(4, 6, rng, 2);
  check_against_pytorch(lstm, "lstm.safetensors");
}

TEST_CASE("LSTM parameters have PyTorch's names and shapes: four gates of H rows per layer", "[04-rnn][lstm]") {
  Rng rng(6);
  LSTM lstm(3, 5, rng, 2);
  const std::vector<Parameter*> ps = lstm.parameters();
  REQUIRE(ps.size() == 8);
  CHECK(ps[0]->name == "weight_ih_l0");
  CHECK(ps[0]->value.shape() == Shape{20, 3});
  CHECK(ps[1]->name == "weight_hh_l0");
  CHECK(ps[1]->value.shape() == Shape{20, 5});
  CHECK(ps[2]->name == "bias_ih_l0");
  CHECK(ps[3]->name == "bias_hh_l0");
  CHECK(ps[3]->value.shape() == Shape{20});
  CHECK(ps[4]->name == "weight_ih_l1");
  CHECK(ps[4]->value.shape() == Shape{20, 5});
  CHECK(ps[7]->name == "bias_hh_l1");
  CHECK(lstm.name() == "LSTM(3, 5, layers=2)");
  CHECK(lstm.cell(1).name() == "LSTMCell(5, 5)");
}
