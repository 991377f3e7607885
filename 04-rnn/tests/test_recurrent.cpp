// What every recurrent layer shares (recurrent.hpp), checked on all three kinds: state in and out,
// stateful mode (truncated BPTT), gradient bookkeeping, initialisation, errors.
#include <catch2/catch.hpp>
#include <cmath>

#include "02-mlp/dense.hpp"
#include "02-mlp/optimizer.hpp"
#include "04-rnn/embedding.hpp"
#include "04-rnn/gru.hpp"
#include "04-rnn/lstm.hpp"
#include "04-rnn/rnn.hpp"
#include "04-rnn/tests/recurrent_checks.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;
using namespace dlfs::test;
using Catch::Contains;

namespace {

// A random state (L, B, H) for h, and for c when the layer has one.
RecurrentState random_state(Recurrent& layer, std::size_t batch, Rng& rng) {
  const Shape shape{layer.num_layers(), batch, layer.hidden_size()};
  return {random_tensor(shape, rng, 0.5f), layer.cell(0).has_cell_state() ? random_tensor(shape, rng, 0.5f) : Tensor()};
}

double max_abs_difference(const Tensor& a, const Tensor& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, double(std::fabs(a[i] - b[i])));
  return m;
}

}  // namespace

TEMPLATE_TEST_CASE("In stateful mode, chunks run one after the other equal one long sequence", "[04-rnn][recurrent][stateful]",
                   RNN, LSTM, GRU) {
  Rng rng(1);
  TestType layer(3, 4, rng, 2);
  const Tensor x = random_tensor({2, 7, 3}, rng);  // (B, T, I)
  const RecurrentState initial = random_state(layer, 2, rng);
  layer.set_initial_state(initial.h, initial.c);
  const Tensor whole = layer.forward(x);  // (B, 7, H)
  const RecurrentState whole_final = layer.final_state();

  layer.set_stateful(true);
  layer.set_initial_state(initial.h, initial.c);  // the first chunk starts where the long run did
  const std::size_t borders[] = {0, 3, 4, 7};     // chunks of 3, 1 and 3 steps
  for (std::size_t k = 0; k + 1 < std::size(borders); ++k) {
    INFO("chunk [" << borders[k] << ", " << borders[k + 1] << ")");
    const Tensor chunk = layer.forward(time_slice(x, borders[k], borders[k + 1]));
    require_close(chunk, time_slice(whole, borders[k], borders[k + 1]), 1e-6, 1e-6);
  }
  require_close(layer.final_state().h, whole_final.h, 1e-6, 1e-6);
  if (!whole_final.c.empty()) require_close(layer.final_state().c, whole_final.c, 1e-6, 1e-6);
}

TEMPLATE_TEST_CASE("In stateful mode, backward stops at the chunk border", "[04-rnn][recurrent][stateful]", RNN, LSTM, GRU) {
  Rng rng(2);
  TestType layer(3, 4, rng, 2);
  const Tensor x = random_tensor({2, 6, 3}, rng);
  const Tensor g = random_tensor({2, 3, 4}, rng);  // dL/dy of the second chunk

  // Stateful: the second chunk continues the first.
  layer.set_stateful(true);
  layer.forward(time_slice(x, 0, 3));
  const RecurrentState border = layer.final_state();
  layer.forward(time_slice(x, 3, 6));
  layer.zero_grad();
  const Tensor dx_stateful = layer.backward(g);
  const std::vector<Tensor> grads_stateful = gradients_of(layer);

  // The same as starting the second chunk from the border's values, taken as constants.
  layer.set_stateful(false);
  layer.set_initial_state(border.h, border.c);
  layer.forward(time_slice(x, 3, 6));
  layer.zero_grad();
  require_close(layer.backward(g), dx_stateful, 0.0, 0.0);
  const std::vector<Tensor> grads_from_border = gradients_of(layer);
  for (std::size_t i = 0; i < grads_stateful.size(); ++i) require_close(grads_stateful[i], grads_from_border[i], 0.0, 0.0);

  // Full backpropagation through all six steps differs: there the gradient also reaches steps 0-2.
  layer.reset_state();
  Tensor g_whole({2, 6, 4});
  for (std::size_t b = 0; b < 2; ++b)
    for (std::size_t t = 3; t < 6; ++t)
      for (std::size_t j = 0; j < 4; ++j) g_whole(b, t, j) = g(b, t - 3, j);
  layer.forward(x);
  layer.zero_grad();
  layer.backward(g_whole);
  CHECK(max_abs_difference(layer.parameters()[1]->grad, grads_stateful[1]) > 1e-4);  // weight_hh_l0
}

TEMPLATE_TEST_CASE("Stateful mode refuses a new batch size until reset_state()", "[04-rnn][recurrent][stateful]", RNN,
                   LSTM, GRU) {
  Rng rng(3);
  TestType layer(3, 4, rng, 1);
  layer.set_stateful(true);
  layer.forward(random_tensor({3, 2, 3}, rng));
  CHECK_THROWS_AS(layer.forward(random_tensor({2, 2, 3}, rng)), std::invalid_argument);
  CHECK_THROWS_WITH(layer.forward(random_tensor({2, 2, 3}, rng)),
                    Contains("stateful mode carries a state for a batch of 3 but the input has a batch of 2") &&
                        Contains("reset_state()"));
  layer.reset_state();
  CHECK_NOTHROW(layer.forward(random_tensor({2, 2, 3}, rng)));
}

TEMPLATE_TEST_CASE("A stateful layer couples the rows of one batch to the next, so the loop refuses to slice it",
                   "[04-rnn][recurrent][stateful]", RNN, LSTM, GRU) {
  // With micro-batches, slice s + 1 would start from slice s's final state: other rows' memory.
  Rng rng(5);
  TestType layer(3, 4, rng, 1);
  CHECK(layer.batch_coupled_layer().empty());
  layer.set_stateful(true);
  CHECK(layer.batch_coupled_layer() == layer.name());
  layer.set_stateful(false);
  CHECK(layer.batch_coupled_layer().empty());
}

TEMPLATE_TEST_CASE("reset_state() starts the next chunk from zeros", "[04-rnn][recurrent][stateful]", RNN, LSTM, GRU) {
  Rng rng(4);
  TestType layer(3, 4, rng, 2);
  const Tensor x1 = random_tensor({2, 3, 3}, rng), x2 = random_tensor({2, 3, 3}, rng);
  const Tensor fresh = layer.forward(x2);  // not stateful: from zeros
  layer.set_stateful(true);
  layer.forward(x1);
  const Tensor carried = layer.forward(x2);
  CHECK(max_abs_difference(carried, fresh) > 1e-4);  // the state carried over changes the output
  layer.reset_state();
  require_close(layer.forward(x2), fresh, 0.0, 0.0);
}

TEMPLATE_TEST_CASE("Switching stateful mode on or off starts the next forward from zeros", "[04-rnn][recurrent][stateful]",
                   RNN, LSTM, GRU) {
  Rng rng(12);
  TestType layer(3, 4, rng, 2);
  const Tensor x1 = random_tensor({2, 3, 3}, rng), x2 = random_tensor({2, 3, 3}, rng);
  const Tensor fresh = layer.forward(x2);
  layer.set_stateful(true);
  layer.forward(x1);
  layer.set_stateful(false);  // off: the carried state is dropped
  require_close(layer.forward(x2), fresh, 0.0, 0.0);
  const RecurrentState initial = random_state(layer, 2, rng);
  layer.set_initial_state(initial.h, initial.c);
  layer.set_stateful(true);  // on: starts from zeros too, not from a state set before
  require_close(layer.forward(x2), fresh, 0.0, 0.0);
}

TEMPLATE_TEST_CASE("An initial state of zeros is the same as none", "[04-rnn][recurrent]", RNN, LSTM, GRU) {
  Rng rng(5);
  TestType layer(3, 4, rng, 2);
  const Tensor x = random_tensor({2, 3, 3}, rng);
  const Tensor from_nothing = layer.forward(x);
  const Tensor zeros({2, 2, 4});
  layer.set_initial_state(zeros, layer.cell(0).has_cell_state() ? zeros : Tensor());
  require_close(layer.forward(x), from_nothing, 0.0, 0.0);
}

TEMPLATE_TEST_CASE("The gradient on the final state is used by the next backward only", "[04-rnn][recurrent]", RNN, LSTM,
                   GRU) {
  Rng rng(6);
  TestType layer(3, 4, rng, 2);
  const Tensor x = random_tensor({2, 3, 3}, rng), g = random_tensor({2, 3, 4}, rng);
  const RecurrentState dfinal = random_state(layer, 2, rng);
  layer.forward(x);
  const Tensor dx_plain = layer.backward(g);
  layer.set_final_state_grad(dfinal.h, dfinal.c);
  const Tensor dx_with_final = layer.backward(g);
  CHECK(max_abs_difference(dx_with_final, dx_plain) > 1e-4);
  require_close(layer.backward(g), dx_plain, 0.0, 0.0);  // used up
}

TEMPLATE_TEST_CASE("Recurrent parameter gradients accumulate across backward calls", "[04-rnn][recurrent]", RNN, LSTM, GRU) {
  Rng rng(7);
  TestType layer(3, 4, rng, 2);
  const Tensor g = random_tensor({2, 3, 4}, rng);
  layer.forward(random_tensor({2, 3, 3}, rng));
  layer.backward(g);
  const std::vector<Tensor> once = gradients_of(layer);
  layer.backward(g);
  for (std::size_t i = 0; i < once.size(); ++i) require_close(layer.parameters()[i]->grad, once[i] * 2.0f);
}

TEMPLATE_TEST_CASE("Without needs_input_grad, backward returns nothing but fills the same parameter gradients",
                   "[04-rnn][recurrent]", RNN, LSTM, GRU) {
  Rng rng(8);
  TestType layer(3, 4, rng, 2);
  const Tensor x = random_tensor({2, 3, 3}, rng), g = random_tensor({2, 3, 4}, rng);
  layer.forward(x);
  layer.backward(g);
  const std::vector<Tensor> expected = gradients_of(layer);
  layer.zero_grad();
  layer.set_needs_input_grad(false);
  layer.forward(x);
  CHECK(layer.backward(g).empty());
  for (std::size_t i = 0; i < expected.size(); ++i) require_close(layer.parameters()[i]->grad, expected[i], 0.0, 0.0);
}

TEMPLATE_TEST_CASE("Recurrent weights and biases start in U(-1/sqrt(H), 1/sqrt(H)), like PyTorch's", "[04-rnn][recurrent][init]",
                   RNN, LSTM, GRU) {
  Rng rng(9);
  TestType layer(20, 16, rng, 2);
  const double k = 0.25;  // 1/sqrt(16)
  double s = 0, s2 = 0, n = 0, lo = 0, hi = 0;
  for (Parameter* p : layer.parameters()) {
    INFO(p->name);
    CHECK(sum(p->value) != 0.0);  // biases too
    for (float v : p->value) {
      lo = std::min(lo, double(v)), hi = std::max(hi, double(v));
      s += v, s2 += double(v) * v, n += 1;
    }
  }
  CHECK(lo >= -k);
  CHECK(hi < k);
  // U(-k, k) has mean 0 and variance k^2 / 3.
  CHECK(std::fabs(s / n) < 0.01);
  CHECK(s2 / n - (s / n) * (s / n) == Approx(k * k / 3).epsilon(0.05));
}

TEST_CASE("Recurrent layers name wrong shapes and states they do not have", "[04-rnn][recurrent]") {
  Rng rng(10);
  LSTM lstm(3, 4, rng, 2);
  CHECK_THROWS_WITH(lstm.forward(Tensor({2, 5, 2})), Contains("LSTM(3, 4, layers=2): input of shape (2, 5, 2) is not (B, T, 3)"));
  CHECK_THROWS_WITH(lstm.set_initial_state(Tensor({1, 2, 4})), Contains("h0 of shape (1, 2, 4) is not (2, B, 4)"));
  CHECK_THROWS_WITH(lstm.set_initial_state(Tensor({2, 2, 4}), Tensor({2, 3, 4})), Contains("c0 of shape (2, 3, 4) is not (2, 2, 4)"));
  CHECK_THROWS_AS(lstm.backward(Tensor({2, 5, 4})), std::logic_error);  // no forward yet
  lstm.set_initial_state(Tensor({2, 3, 4}));
  CHECK_THROWS_WITH(lstm.forward(Tensor({2, 5, 3})), Contains("the initial state is for a batch of 3 but the input has a batch of 2"));
  lstm.reset_state();
  lstm.forward(Tensor({2, 5, 3}));
  CHECK_THROWS_WITH(lstm.backward(Tensor({2, 4, 4})), Contains("output gradient of shape (2, 4, 4) does not match the forward output (2, 5, 4)"));

  GRU gru(3, 4, rng);
  CHECK_THROWS_WITH(gru.set_initial_state(Tensor({1, 2, 4}), Tensor({1, 2, 4})), Contains("GRU(3, 4, layers=1): has no cell state c0"));
  CHECK_THROWS_WITH(gru.set_final_state_grad(Tensor({1, 2, 4}), Tensor({1, 2, 4})), Contains("has no cell state c_n"));
  CHECK_THROWS_AS(RNN(3, 4, rng, 0), std::invalid_argument);
}

TEST_CASE("A cell's forward_step from an empty state starts from zeros", "[04-rnn][recurrent]") {
  Rng rng(11);
  LSTMCell cell(3, 4, rng);
  const Tensor x = random_tensor({2, 3}, rng), zeros({2, 4});
  const RecurrentState from_empty = cell.forward_step(x, {});
  const RecurrentState from_zeros = cell.forward_step(x, {zeros, zeros});
  require_close(from_empty.h, from_zeros.h, 0.0, 0.0);
  require_close(from_empty.c, from_zeros.c, 0.0, 0.0);
  GRUCell gru(3, 4, rng);
  CHECK_THROWS_WITH(gru.forward_step(x, {zeros, zeros}), Contains("GRUCell(3, 4): has no cell state c"));
}

TEST_CASE("swap_batch_and_time moves element (b, t, f) to (t, b, f) and back", "[04-rnn][recurrent]") {
  Tensor x({2, 3, 4});
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i);
  const Tensor y = swap_batch_and_time(x);
  REQUIRE(y.shape() == Shape{3, 2, 4});
  for (std::size_t b = 0; b < 2; ++b)
    for (std::size_t t = 0; t < 3; ++t)
      for (std::size_t f = 0; f < 4; ++f) CHECK(y(t, b, f) == x(b, t, f));
  require_close(swap_batch_and_time(y), x, 0.0, 0.0);
}

TEMPLATE_TEST_CASE("A saved recurrent layer loads by name into a fresh one and computes the same", "[04-rnn][recurrent][save]",
                   RNN, LSTM, GRU) {
  Rng rng(13);
  TestType saved(3, 4, rng, 2), loaded(3, 4, rng, 2);
  const std::string path = scratch_dir("04-rnn-save-" + saved.name()) + "/model.safetensors";
  save_model(path, saved.name(), named_values(saved.parameters()));
  load_model(path, loaded.name(), named_values(loaded.parameters()));
  const Tensor x = random_tensor({2, 3, 3}, rng);
  require_close(loaded.forward(x), saved.forward(x), 0.0, 0.0);
  TestType other(3, 4, rng, 1);  // one layer: another architecture
  CHECK_THROWS_WITH(load_model(path, other.name(), named_values(other.parameters())), Contains("architecture mismatch"));
}

// Embedding -> recurrent layer -> Dense on the last step, trained with SGD to name the FIRST token
// of a sequence of random tokens: only a state that remembers across all the steps can do it.
TEMPLATE_TEST_CASE("Embedding, a recurrent layer and Dense learn to recall the first token of a sequence",
                   "[04-rnn][recurrent][learn]", RNN, LSTM, GRU) {
  const std::size_t vocab = 4, batch = 32, steps = 5, hidden = 16;
  Rng rng(14);
  Embedding embedding(vocab, 8, rng);
  TestType recurrent(8, hidden, rng, 1);
  Dense head(hidden, vocab, rng, Init::Xavier);
  std::vector<Parameter*> params = embedding.parameters();
  for (Layer* layer : std::initializer_list<Layer*>{&recurrent, &head})
    for (Parameter* p : layer->parameters()) params.push_back(p);
  SGD sgd(params, 0.5f);

  // Mean cross-entropy of softmax(logits) against the targets; fills dlogits (B, vocab).
  auto cross_entropy = [&](const Tensor& logits, const std::vector<std::size_t>& targets, Tensor& dlogits) {
    double loss = 0;
    for (std::size_t b = 0; b < batch; ++b) {
      float m = logits(b, 0);
      for (std::size_t k = 1; k < vocab; ++k) m = std::max(m, logits(b, k));
      double z = 0;
      for (std::size_t k = 0; k < vocab; ++k) z += std::exp(double(logits(b, k) - m));
      for (std::size_t k = 0; k < vocab; ++k) {
        const double p = std::exp(double(logits(b, k) - m)) / z;
        dlogits(b, k) = float((p - (k == targets[b] ? 1.0 : 0.0)) / double(batch));
      }
      loss -= (double(logits(b, targets[b]) - m) - std::log(z)) / double(batch);
    }
    return loss;
  };

  std::vector<double> losses;
  for (int step = 0; step < 300; ++step) {
    Tensor ids({batch, steps});  // (B, T)
    std::vector<std::size_t> targets(batch);
    for (std::size_t b = 0; b < batch; ++b) {
      for (std::size_t t = 0; t < steps; ++t) ids(b, t) = float(rng.below(vocab));
      targets[b] = std::size_t(ids(b, 0));
    }
    const Tensor hs = recurrent.forward(embedding.forward(ids));  // (B, T, H)
    const Tensor logits = head.forward(time_step(hs, steps - 1));  // (B, vocab)
    Tensor dlogits({batch, vocab});
    losses.push_back(cross_entropy(logits, targets, dlogits));
    sgd.zero_grad();
    Tensor dhs({batch, steps, hidden});  // only the last step's output reaches the loss
    const Tensor dlast = head.backward(dlogits);
    for (std::size_t b = 0; b < batch; ++b)
      for (std::size_t j = 0; j < hidden; ++j) dhs(b, steps - 1, j) = dlast(b, j);
    embedding.backward(recurrent.backward(dhs));
    sgd.step();
  }
  const double first = (losses[0] + losses[1] + losses[2]) / 3;
  const double last = (losses[297] + losses[298] + losses[299]) / 3;
  INFO("mean loss of the first three steps " << first << ", of the last three " << last);
  CHECK(first > 1.2);  // about ln 4 = 1.386: chance
  CHECK(last < 0.5);   // a third of chance: the first token is remembered
}
