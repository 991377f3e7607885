#include "04-rnn/rnn.hpp"

#include "common/fast_math.hpp"

namespace dlfs {

RNNCell::RNNCell(std::size_t input_size, std::size_t hidden_size, Rng& rng, const std::string& suffix)
    : RecurrentCell(1, false, input_size, hidden_size, suffix, rng) {}

std::string RNNCell::name() const {
  return "RNNCell(" + std::to_string(input_size()) + ", " + std::to_string(hidden_size()) + ")";
}

void RNNCell::step_forward(std::size_t t, std::size_t batch, const float* xw, const float* hw) {
  const std::size_t n = batch * hidden_size();
  float* h = hidden_.data() + (t + 1) * n;  // (B, H): h_t
  // h_t = tanh(xw + hw)
  for (std::size_t i = 0; i < n; ++i) h[i] = fast_tanh(xw[i] + hw[i]);
}

void RNNCell::step_backward(std::size_t t, std::size_t batch, const float* dh, float*, float* dh_prev, float* dxw,
                            float* dhw) {
  const std::size_t n = batch * hidden_size();
  const float* h = hidden_.data() + (t + 1) * n;  // (B, H): h_t
  for (std::size_t i = 0; i < n; ++i) {
    // da = dh (1 - h^2); both affine maps were added into a, so both get da
    const float da = dh[i] * (1.0f - h[i] * h[i]);
    dxw[i] = da;
    dhw[i] = da;
    dh_prev[i] = 0.0f;  // h_{t-1} reaches h_t only through W_hh
  }
}

RNN::RNN(std::size_t input_size, std::size_t hidden_size, Rng& rng, std::size_t num_layers)
    : Recurrent("RNN", input_size, hidden_size, num_layers) {
  for (std::size_t l = 0; l < num_layers; ++l)
    add_cell(std::make_unique<RNNCell>(l == 0 ? input_size : hidden_size, hidden_size, rng, "_l" + std::to_string(l)));
}

}  // namespace dlfs
