// The vanilla (Elman) recurrent network: one tanh layer whose input is x_t and its own last output.
//
//   forward   h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)     x_t (B, I), h_t (B, H)
//             (G = 1 gate: W_ih (H, I), W_hh (H, H), b_ih, b_hh (H), as torch.nn.RNN with tanh)
//
//   backward  with a_t = the argument of tanh, and dh_t = dL/dh_t (from the output and from step t+1):
//             da_t = dh_t * (1 - h_t^2)                      tanh' from the cached output h_t
//             a_t = xw_t + hw_t, so dxw_t = dhw_t = da_t      (recurrent.hpp turns them into
//             dx_t, dh_{t-1} = da_t W_hh and the weight gradients)
//
// Through T steps dh_0 = dh_T * prod_t (diag(1 - h_t^2) W_hh): a product of T Jacobians, which
// shrinks to nothing or blows up unless they stay near norm 1. That is the vanishing / exploding
// gradient problem the LSTM and the GRU were built to fix.
#pragma once

#include "04-rnn/recurrent.hpp"

namespace dlfs {

// One step, like torch.nn.RNNCell: forward_step(x, {h}).h is h'. Caches nothing beyond the
// hidden states (tanh' needs only h_t).
class RNNCell : public RecurrentCell {
 public:
  // suffix names the parameters: "" for weight_ih, ..., "_l1" inside a stack.
  RNNCell(std::size_t input_size, std::size_t hidden_size, Rng& rng, const std::string& suffix = "");
  std::string name() const override;  // "RNNCell(4, 6)"

 protected:
  void reserve(std::size_t, std::size_t) override {}
  void step_forward(std::size_t t, std::size_t batch, const float* xw, const float* hw) override;
  void step_backward(std::size_t t, std::size_t batch, const float* dh, float* dc, float* dh_prev, float* dxw,
                     float* dhw) override;
};

// A stack of num_layers RNN cells over a batch-first sequence, like torch.nn.RNN(batch_first=True).
class RNN : public Recurrent {
 public:
  RNN(std::size_t input_size, std::size_t hidden_size, Rng& rng, std::size_t num_layers = 1);
  RNNCell& cell(std::size_t layer) { return static_cast<RNNCell&>(Recurrent::cell(layer)); }
};

}  // namespace dlfs
