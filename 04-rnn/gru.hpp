// Gated recurrent unit (Cho et al. 2014), exactly as torch.nn.GRU computes it: the LSTM's idea
// with one state and three gates. The new state is a gated average of the old state and a
// candidate, so h_{t-1} has a path to h_t that is a mere elementwise scaling (z * h).
//
//   forward   xw = x_t W_ih^T + b_ih,  hw = h_{t-1} W_hh^T + b_hh      (B, 3H), blocks r, z, n
//             r = sigma(xw_r + hw_r)            reset gate: how much of h_{t-1} the candidate sees
//             z = sigma(xw_z + hw_z)            update gate: how much of h_{t-1} to keep
//             n = tanh(xw_n + r * hw_n)         the candidate (r scales W_hn h + b_hn, bias included)
//             h_t = (1 - z) * n + z * h_{t-1}
//
//   backward  given dh_t (from the output and step t+1):
//             dn = dh_t (1 - z),   dz = dh_t (h_{t-1} - n),   dh_{t-1} gets dh_t z directly
//             da_n = dn (1 - n^2)                 the gradient of n's pre-activation
//             dr = da_n * hw_n
//             da_r = dr r (1 - r),  da_z = dz z (1 - z)
//             dxw = (da_r, da_z, da_n),  dhw = (da_r, da_z, da_n * r)
//             Unlike the RNN and the LSTM, dhw differs from dxw (r multiplies only hw_n), and the
//             cell passes a share of dh_{t-1} itself (dh_t z) besides the one through W_hh.
#pragma once

#include "04-rnn/recurrent.hpp"

namespace dlfs {

// One step, like torch.nn.GRUCell: forward_step(x, {h}).h is h'.
class GRUCell : public RecurrentCell {
 public:
  // suffix names the parameters: "" for weight_ih, ..., "_l1" inside a stack.
  GRUCell(std::size_t input_size, std::size_t hidden_size, Rng& rng, const std::string& suffix = "");
  std::string name() const override;  // "GRUCell(4, 6)"

 protected:
  void reserve(std::size_t steps, std::size_t batch) override;
  void step_forward(std::size_t t, std::size_t batch, const float* xw, const float* hw) override;
  void step_backward(std::size_t t, std::size_t batch, const float* dh, float* dc, float* dh_prev, float* dxw,
                     float* dhw) override;

 private:
  Tensor gates_;      // (T, B, 3H): r, z, n after their sigmoid / tanh, for every step
  Tensor hidden_n_;   // (T, B, H): hw_n = h_{t-1} W_hn^T + b_hn, which r scaled (for dr)
};

// A stack of num_layers GRU cells over a batch-first sequence, like torch.nn.GRU(batch_first=True).
class GRU : public Recurrent {
 public:
  GRU(std::size_t input_size, std::size_t hidden_size, Rng& rng, std::size_t num_layers = 1);
  GRUCell& cell(std::size_t layer) { return static_cast<GRUCell&>(Recurrent::cell(layer)); }
};

}  // namespace dlfs
