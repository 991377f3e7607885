#include "04-rnn/gru.hpp"

#include "common/fast_math.hpp"

namespace dlfs {

GRUCell::GRUCell(std::size_t input_size, std::size_t hidden_size, Rng& rng, const std::string& suffix)
    : RecurrentCell(3, false, input_size, hidden_size, suffix, rng) {}

std::string GRUCell::name() const {
  return "GRUCell(" + std::to_string(input_size()) + ", " + std::to_string(hidden_size()) + ")";
}

void GRUCell::reserve(std::size_t steps, std::size_t batch) {
  gates_ = Tensor::uninitialized({steps, batch, 3 * hidden_size()});
  hidden_n_ = Tensor::uninitialized({steps, batch, hidden_size()});
}

void GRUCell::step_forward(std::size_t t, std::size_t batch, const float* xw, const float* hw) {
  const std::size_t H = hidden_size(), n = batch * H;
  const float* h_prev = hidden_.data() + t * n;  // (B, H): h_{t-1}
  float* h = hidden_.data() + (t + 1) * n;       // (B, H): h_t
  float* gates = gates_.data() + t * 3 * n;      // (B, 3H): r, z, n
  float* hidden_n = hidden_n_.data() + t * n;    // (B, H)
  for (std::size_t b = 0; b < batch; ++b) {
    const std::size_t row = b * 3 * H;  // this sample's xw and hw, three blocks of H
    // The H units are independent: vectorize across them, fast_* inlined as SIMD code.
#pragma omp simd
    for (std::size_t j = 0; j < H; ++j) {
      const std::size_t k = b * H + j;
      const float r = fast_sigmoid(xw[row + j] + hw[row + j]);
      const float z = fast_sigmoid(xw[row + H + j] + hw[row + H + j]);
      const float hn = hw[row + 2 * H + j];  // W_hn h_{t-1} + b_hn
      const float cand = fast_tanh(xw[row + 2 * H + j] + r * hn);
      // h_t = (1 - z) n + z h_{t-1}
      h[k] = (1.0f - z) * cand + z * h_prev[k];
      gates[row + j] = r;
      gates[row + H + j] = z;
      gates[row + 2 * H + j] = cand;
      hidden_n[k] = hn;
    }
  }
}

void GRUCell::step_backward(std::size_t t, std::size_t batch, const float* dh, float*, float* dh_prev, float* dxw,
                            float* dhw) {
  const std::size_t H = hidden_size(), n = batch * H;
  const float* h_prev = hidden_.data() + t * n;    // (B, H): h_{t-1}
  const float* gates = gates_.data() + t * 3 * n;  // (B, 3H)
  const float* hidden_n = hidden_n_.data() + t * n;
  for (std::size_t b = 0; b < batch; ++b) {
    const std::size_t row = b * 3 * H;
    // The H units are independent: vectorize across them, fast_* inlined as SIMD code.
#pragma omp simd
    for (std::size_t j = 0; j < H; ++j) {
      const std::size_t k = b * H + j;
      const float r = gates[row + j], z = gates[row + H + j], cand = gates[row + 2 * H + j];
      // h_t = (1 - z) n + z h_{t-1}
      const float dn = dh[k] * (1.0f - z);
      const float dz = dh[k] * (h_prev[k] - cand);
      // n = tanh(xw_n + r hw_n)
      const float da_n = dn * (1.0f - cand * cand);
      const float dr = da_n * hidden_n[k];
      const float da_r = dr * r * (1.0f - r);
      const float da_z = dz * z * (1.0f - z);
      dxw[row + j] = dhw[row + j] = da_r;
      dxw[row + H + j] = dhw[row + H + j] = da_z;
      dxw[row + 2 * H + j] = da_n;
      dhw[row + 2 * H + j] = da_n * r;  // r scaled hw_n on its way into n
      dh_prev[k] = dh[k] * z;           // the direct path z h_{t-1}
    }
  }
}

GRU::GRU(std::size_t input_size, std::size_t hidden_size, Rng& rng, std::size_t num_layers)
    : Recurrent("GRU", input_size, hidden_size, num_layers) {
  for (std::size_t l = 0; l < num_layers; ++l)
    add_cell(std::make_unique<GRUCell>(l == 0 ? input_size : hidden_size, hidden_size, rng, "_l" + std::to_string(l)));
}

}  // namespace dlfs
