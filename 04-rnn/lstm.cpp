#include "04-rnn/lstm.hpp"

#include "common/fast_math.hpp"

namespace dlfs {

LSTMCell::LSTMCell(std::size_t input_size, std::size_t hidden_size, Rng& rng, const std::string& suffix)
    : RecurrentCell(4, true, input_size, hidden_size, suffix, rng) {}

std::string LSTMCell::name() const {
  return "LSTMCell(" + std::to_string(input_size()) + ", " + std::to_string(hidden_size()) + ")";
}

void LSTMCell::reserve(std::size_t steps, std::size_t batch) {
  gates_ = Tensor::uninitialized({steps, batch, 4 * hidden_size()});
}

void LSTMCell::step_forward(std::size_t t, std::size_t batch, const float* xw, const float* hw) {
  const std::size_t H = hidden_size(), n = batch * H;
  const float* c_prev = cells_.data() + t * n;  // (B, H): c_{t-1}
  float* c = cells_.data() + (t + 1) * n;       // (B, H): c_t
  float* h = hidden_.data() + (t + 1) * n;      // (B, H): h_t
  float* gates = gates_.data() + t * 4 * n;     // (B, 4H): i, f, g, o
  for (std::size_t b = 0; b < batch; ++b) {
    const std::size_t row = b * 4 * H;  // this sample's a = xw + hw, four blocks of H
    // The H units are independent: vectorize across them, fast_* inlined as SIMD code.
#pragma omp simd
    for (std::size_t j = 0; j < H; ++j) {
      const float i = fast_sigmoid(xw[row + j] + hw[row + j]);
      const float f = fast_sigmoid(xw[row + H + j] + hw[row + H + j]);
      const float g = fast_tanh(xw[row + 2 * H + j] + hw[row + 2 * H + j]);
      const float o = fast_sigmoid(xw[row + 3 * H + j] + hw[row + 3 * H + j]);
      // c_t = f c_{t-1} + i g;  h_t = o tanh(c_t)
      const float ct = f * c_prev[b * H + j] + i * g;
      c[b * H + j] = ct;
      h[b * H + j] = o * fast_tanh(ct);
      gates[row + j] = i;
      gates[row + H + j] = f;
      gates[row + 2 * H + j] = g;
      gates[row + 3 * H + j] = o;
    }
  }
}

void LSTMCell::step_backward(std::size_t t, std::size_t batch, const float* dh, float* dc, float* dh_prev,
                             float* dxw, float* dhw) {
  const std::size_t H = hidden_size(), n = batch * H;
  const float* c_prev = cells_.data() + t * n;     // (B, H): c_{t-1}
  const float* c = cells_.data() + (t + 1) * n;    // (B, H): c_t
  const float* gates = gates_.data() + t * 4 * n;  // (B, 4H)
  for (std::size_t b = 0; b < batch; ++b) {
    const std::size_t row = b * 4 * H;
    // The H units are independent: vectorize across them, fast_* inlined as SIMD code.
#pragma omp simd
    for (std::size_t j = 0; j < H; ++j) {
      const std::size_t k = b * H + j;
      const float i = gates[row + j], f = gates[row + H + j], g = gates[row + 2 * H + j], o = gates[row + 3 * H + j];
      const float tc = fast_tanh(c[k]);  // recomputed: cheaper to keep than another (T, B, H) cache
      // c_t reached the loss directly (through the next step) and through h_t = o tanh(c_t)
      const float dct = dc[k] + dh[k] * o * (1.0f - tc * tc);
      const float da_i = dct * g * i * (1.0f - i);
      const float da_f = dct * c_prev[k] * f * (1.0f - f);
      const float da_g = dct * i * (1.0f - g * g);
      const float da_o = dh[k] * tc * o * (1.0f - o);
      dxw[row + j] = dhw[row + j] = da_i;
      dxw[row + H + j] = dhw[row + H + j] = da_f;
      dxw[row + 2 * H + j] = dhw[row + 2 * H + j] = da_g;
      dxw[row + 3 * H + j] = dhw[row + 3 * H + j] = da_o;
      dc[k] = dct * f;     // dc_{t-1}: the cell's path back in time
      dh_prev[k] = 0.0f;   // h_{t-1} reaches step t only through W_hh
    }
  }
}

LSTM::LSTM(std::size_t input_size, std::size_t hidden_size, Rng& rng, std::size_t num_layers)
    : Recurrent("LSTM", input_size, hidden_size, num_layers) {
  for (std::size_t l = 0; l < num_layers; ++l)
    add_cell(std::make_unique<LSTMCell>(l == 0 ? input_size : hidden_size, hidden_size, rng, "_l" + std::to_string(l)));
}

}  // namespace dlfs
