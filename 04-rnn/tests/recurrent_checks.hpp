// The checks every recurrent layer (RNN, LSTM, GRU) must pass, written once: test_rnn.cpp,
// test_lstm.cpp and test_gru.cpp each run them on their own kind.
#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "04-rnn/recurrent.hpp"
#include "common/ops.hpp"
#include "common/safetensors.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/require_close.hpp"

namespace dlfs::test {

// ---- Small tensor surgery the checks need (copies, written out plainly) ------------------------

// Time step t of a batch-first (B, T, F) tensor: (B, F).
inline Tensor time_step(const Tensor& x, std::size_t t) {
  const std::size_t batch = x.dim(0), features = x.dim(2);
  Tensor out({batch, features});
  for (std::size_t b = 0; b < batch; ++b)
    for (std::size_t f = 0; f < features; ++f) out(b, f) = x(b, t, f);
  return out;
}

// Steps [begin, end) of a batch-first (B, T, F) tensor: (B, end - begin, F).
inline Tensor time_slice(const Tensor& x, std::size_t begin, std::size_t end) {
  const std::size_t batch = x.dim(0), features = x.dim(2);
  Tensor out({batch, end - begin, features});
  for (std::size_t b = 0; b < batch; ++b)
    for (std::size_t t = begin; t < end; ++t)
      for (std::size_t f = 0; f < features; ++f) out(b, t - begin, f) = x(b, t, f);
  return out;
}

// Layer l of a stacked state (L, B, H): (B, H). Empty stays empty.
inline Tensor layer_slice(const Tensor& state, std::size_t l) {
  if (state.empty()) return Tensor();
  Tensor out({state.dim(1), state.dim(2)});
  for (std::size_t b = 0; b < state.dim(1); ++b)
    for (std::size_t j = 0; j < state.dim(2); ++j) out(b, j) = state(l, b, j);
  return out;
}

// Every parameter gradient of a layer, copied, in parameters() order.
inline std::vector<Tensor> gradients_of(Layer& layer) {
  std::vector<Tensor> out;
  for (Parameter* p : layer.parameters()) out.push_back(p->grad);
  return out;
}

// ---- PyTorch fixtures ---------------------------------------------------------------------------

// Loads PyTorch's weights into the layer by name (every parameter of the file, and only those, must
// match by name and shape: a saved model maps one to one), runs the fixture's input and initial state
// through it, and compares the outputs, the final states and every gradient with PyTorch's to 1e-5.
inline void check_against_pytorch(Recurrent& layer, const std::string& file_name) {
  const SafetensorsFile file = read_fixture(file_name);
  const bool lstm = layer.cell(0).has_cell_state();
  std::size_t file_parameters = 0;
  for (const auto& [name, tensor] : file.tensors)
    if (name.rfind("weight_", 0) == 0 || name.rfind("bias_", 0) == 0) ++file_parameters;
  CHECK(file_parameters == layer.parameters().size());
  for (Parameter* p : layer.parameters()) {
    INFO("parameter " << p->name);
    const Tensor& value = fixture_tensor(file, p->name);
    REQUIRE(value.shape() == p->value.shape());
    p->value.copy_from(value);
  }
  const Tensor empty;
  const Tensor& c0 = lstm ? fixture_tensor(file, "c0") : empty;
  layer.set_initial_state(fixture_tensor(file, "h0"), c0);
  const Tensor output = layer.forward(fixture_tensor(file, "input"));  // (B, T, H)
  const RecurrentState final_state = layer.final_state();
  const double tol = 1e-5;
  require_close(output, fixture_tensor(file, "output"), tol, 0.0);
  require_close(final_state.h, fixture_tensor(file, "h_n"), tol, 0.0);
  if (lstm) require_close(final_state.c, fixture_tensor(file, "c_n"), tol, 0.0);

  layer.zero_grad();
  layer.set_final_state_grad(fixture_tensor(file, "dh_n"), lstm ? fixture_tensor(file, "dc_n") : empty);
  const Tensor dinput = layer.backward(fixture_tensor(file, "doutput"));
  const RecurrentState dinitial = layer.initial_state_grad();
  require_close(dinput, fixture_tensor(file, "grad.input"), tol, 0.0);
  require_close(dinitial.h, fixture_tensor(file, "grad.h0"), tol, 0.0);
  if (lstm) require_close(dinitial.c, fixture_tensor(file, "grad.c0"), tol, 0.0);
  for (Parameter* p : layer.parameters()) {
    INFO("gradient of " << p->name);
    require_close(p->grad, fixture_tensor(file, "grad." + p->name), tol, 0.0);
  }
}

// ---- The sequence layer is its cells stepped T times --------------------------------------------

inline void check_sequence_equals_steps(Recurrent& layer, std::size_t batch, std::size_t steps, Rng& rng) {
  const std::size_t L = layer.num_layers(), H = layer.hidden_size();
  const bool lstm = layer.cell(0).has_cell_state();
  const Tensor x = random_tensor({batch, steps, layer.input_size()}, rng);  // (B, T, I)
  const Tensor h0 = random_tensor({L, batch, H}, rng, 0.5f);
  const Tensor c0 = lstm ? random_tensor({L, batch, H}, rng, 0.5f) : Tensor();
  layer.set_initial_state(h0, c0);
  const Tensor output = layer.forward(x);  // (B, T, H)
  const RecurrentState final_state = layer.final_state();

  // Layer by layer, step by step: layer l's inputs are layer l-1's outputs.
  std::vector<Tensor> inputs;  // T tensors (B, features)
  for (std::size_t t = 0; t < steps; ++t) inputs.push_back(time_step(x, t));
  for (std::size_t l = 0; l < L; ++l) {
    RecurrentState state{layer_slice(h0, l), layer_slice(c0, l)};
    for (std::size_t t = 0; t < steps; ++t) {
      state = layer.cell(l).forward_step(inputs[t], state);
      inputs[t] = state.h;
    }
    INFO("layer " << l);
    require_close(layer_slice(final_state.h, l), state.h, 1e-6, 1e-6);
    if (lstm) require_close(layer_slice(final_state.c, l), state.c, 1e-6, 1e-6);
  }
  for (std::size_t t = 0; t < steps; ++t) {
    INFO("step " << t);
    require_close(time_step(output, t), inputs[t], 1e-6, 1e-6);
  }
}

// ---- Backward against central differences -------------------------------------------------------

// L = sum(output G_out) + sum(h_n G_h) (+ sum(c_n G_c)) with random G: every output and every
// final state carries a different, non-uniform weight.
inline void check_gradients(Recurrent& layer, std::size_t batch, std::size_t steps, Rng& rng) {
  const std::size_t L = layer.num_layers(), H = layer.hidden_size();
  const bool lstm = layer.cell(0).has_cell_state();
  Tensor x = random_tensor({batch, steps, layer.input_size()}, rng);  // (B, T, I)
  Tensor h0 = random_tensor({L, batch, H}, rng, 0.5f);
  Tensor c0 = lstm ? random_tensor({L, batch, H}, rng, 0.5f) : Tensor();
  const Tensor g_out = random_tensor({batch, steps, H}, rng);
  const Tensor g_h = random_tensor({L, batch, H}, rng);
  const Tensor g_c = lstm ? random_tensor({L, batch, H}, rng) : Tensor();
  auto loss = [&] {
    layer.set_initial_state(h0, c0);
    const Tensor y = layer.forward(x);
    const RecurrentState s = layer.final_state();
    return dot(y, g_out) + dot(s.h, g_h) + (lstm ? dot(s.c, g_c) : 0.0);
  };

  loss();
  layer.zero_grad();
  layer.set_final_state_grad(g_h, g_c);
  const Tensor dx = layer.backward(g_out);
  const RecurrentState dinitial = layer.initial_state_grad();
  const double atol = 1e-3, rtol = 1e-3;
  {
    INFO("dL/dx");
    require_close(dx, numerical_gradient(loss, x), atol, rtol);
  }
  {
    INFO("dL/dh0");
    require_close(dinitial.h, numerical_gradient(loss, h0), atol, rtol);
  }
  if (lstm) {
    INFO("dL/dc0");
    require_close(dinitial.c, numerical_gradient(loss, c0), atol, rtol);
  }
  for (Parameter* p : layer.parameters()) {
    INFO("dL/d" << p->name);
    require_close(p->grad, numerical_gradient(loss, p->value), atol, rtol);
  }
}

// One cell's step on its own: dL/dx, dL/dh (and dL/dc), and every parameter.
inline void check_step_gradients(RecurrentCell& cell, std::size_t batch, Rng& rng) {
  const std::size_t H = cell.hidden_size();
  const bool lstm = cell.has_cell_state();
  Tensor x = random_tensor({batch, cell.input_size()}, rng);
  Tensor h = random_tensor({batch, H}, rng, 0.5f);
  Tensor c = lstm ? random_tensor({batch, H}, rng, 0.5f) : Tensor();
  const Tensor g_h = random_tensor({batch, H}, rng);
  const Tensor g_c = lstm ? random_tensor({batch, H}, rng) : Tensor();
  auto loss = [&] {
    const RecurrentState next = cell.forward_step(x, {h, c});
    return dot(next.h, g_h) + (lstm ? dot(next.c, g_c) : 0.0);
  };
  loss();
  for (Parameter* p : cell.parameters()) p->grad.zero();
  const StepGradients grads = cell.backward_step({g_h, g_c});
  require_close(grads.dx, numerical_gradient(loss, x), 1e-3, 1e-3);
  require_close(grads.dh, numerical_gradient(loss, h), 1e-3, 1e-3);
  if (lstm) require_close(grads.dc, numerical_gradient(loss, c), 1e-3, 1e-3);
  else CHECK(grads.dc.empty());
  for (Parameter* p : cell.parameters()) {
    INFO("dL/d" << p->name);
    require_close(p->grad, numerical_gradient(loss, p->value), 1e-3, 1e-3);
  }
}

}  // namespace dlfs::test
