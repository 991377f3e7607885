// Long short-term memory (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000),
// exactly as torch.nn.LSTM computes it. Besides h the cell carries a second state, the cell c,
// which each step changes only by elementwise scaling and adding: a path along which gradients
// pass through time without being multiplied by W_hh at every step.
//
//   forward   a = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh          (B, 4H), blocks in the order
//             i = sigma(a_i)     input gate: how much of g to write        i, f, g, o (PyTorch's)
//             f = sigma(a_f)     forget gate: how much of c to keep
//             g = tanh(a_g)      the candidate values
//             o = sigma(a_o)     output gate: how much of the cell to show
//             c_t = f * c_{t-1} + i * g
//             h_t = o * tanh(c_t)
//
//   backward  given dh_t (from the output and step t+1) and dc_t (from step t+1):
//             do  = dh_t * tanh(c_t)
//             dc  = dc_t + dh_t * o * (1 - tanh(c_t)^2)      both ways c_t reached the loss
//             di  = dc * g,   dg = dc * i,   df = dc * c_{t-1}
//             dc_{t-1} = dc * f                              the cell's own path back in time
//             da_i = di i (1 - i), da_f = df f (1 - f), da_g = dg (1 - g^2), da_o = do o (1 - o)
//             dxw = dhw = da                                 (recurrent.hpp does the rest)
//
// If f stays near 1, dc_{t-1} ~ dc_t: the gradient crosses many steps undiminished.
#pragma once

#include "04-rnn/recurrent.hpp"

namespace dlfs {

// One step, like torch.nn.LSTMCell: forward_step(x, {h, c}) returns {h', c'}.
class LSTMCell : public RecurrentCell {
 public:
  // suffix names the parameters: "" for weight_ih, ..., "_l1" inside a stack.
  LSTMCell(std::size_t input_size, std::size_t hidden_size, Rng& rng, const std::string& suffix = "");
  std::string name() const override;  // "LSTMCell(4, 6)"

 protected:
  void reserve(std::size_t steps, std::size_t batch) override;
  void step_forward(std::size_t t, std::size_t batch, const float* xw, const float* hw) override;
  void step_backward(std::size_t t, std::size_t batch, const float* dh, float* dc, float* dh_prev, float* dxw,
                     float* dhw) override;

 private:
  Tensor gates_;  // (T, B, 4H): i, f, g, o after their sigmoid / tanh, for every step
  // (cells_ (T + 1, B, H), c_0..c_T, lives in RecurrentCell next to hidden_)
};

// A stack of num_layers LSTM cells over a batch-first sequence, like torch.nn.LSTM(batch_first=True).
class LSTM : public Recurrent {
 public:
  LSTM(std::size_t input_size, std::size_t hidden_size, Rng& rng, std::size_t num_layers = 1);
  LSTMCell& cell(std::size_t layer) { return static_cast<LSTMCell&>(Recurrent::cell(layer)); }
};

}  // namespace dlfs
