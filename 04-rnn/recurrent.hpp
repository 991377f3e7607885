// What the RNN, the LSTM and the GRU share: their parameters, the loop over time, the stack of
// layers, and the state that goes in and comes out. Each cell adds only its own step (rnn.hpp,
// lstm.hpp, gru.hpp); this file is the backpropagation through time around it.
//
// A recurrent layer reads a sequence x_1..x_T and keeps a hidden state h (and an LSTM also a cell
// state c) that each step updates from the previous one:
//
//   h_t = step(x_t, h_{t-1})         t = 1..T, h_0 given (zeros by default)
//
// Every cell's step starts from the same two affine maps, one of the input, one of the state,
// G gates of H units each (G = 1 for the RNN, 4 for the LSTM, 3 for the GRU):
//
//   xw_t = x_t W_ih^T + b_ih         (B, I) . (I, G*H)  -> (B, G*H)
//   hw_t = h_{t-1} W_hh^T + b_hh     (B, H) . (H, G*H)  -> (B, G*H)
//
// and then mixes them elementwise (the cell's own math). The weights are the same at every step.
//
// Forward, where the time goes. xw_t does not depend on the state, so the input projection of all
// T steps is ONE matrix product before the loop: (T*B, I) . (I, G*H). Only hw_t, which needs
// h_{t-1}, is left inside the loop: T products of (B, H) . (H, G*H).
//
// Backward (backpropagation through time). The loss reaches h_t two ways: through the output at
// step t (dL/dy_t, from the layer above) and through h_{t+1}, which was computed from it. So
//
//   dh_t = dy_t + dL/dh_t via step t+1       (and dh_T = dy_T + the gradient on the final state)
//
// and dh_t is known only once step t+1's backward has run: the loop runs backwards, t = T..1.
// Each step's backward turns dh_t (and dc_t) into the gradients of its two affine maps,
// dxw_t and dhw_t (B, G*H), and the part of dh_{t-1} that skips W_hh (the GRU's z h; zero for the
// others). The rest of dh_{t-1} comes through hw_t:
//
//   dh_{t-1} += dhw_t W_hh           (B, G*H) . (G*H, H): the one product inside the backward loop
//
// The weights are shared by all steps, so their gradients are sums over t of each step's
// contribution, and sums over t and over the batch are one product each, after the loop:
//
//   dW_ih += sum_t dxw_t^T x_t       = dXW^T X       (G*H, T*B) . (T*B, I)
//   dW_hh += sum_t dhw_t^T h_{t-1}   = dHW^T H_prev  (G*H, T*B) . (T*B, H)
//   db_ih += sum over rows of dXW,   db_hh += sum over rows of dHW
//   dx_t   = dxw_t W_ih              = dXW W_ih      (T*B, G*H) . (G*H, I)
//
// Layout. The layer takes and returns batch-first tensors (B, T, F) like PyTorch's
// batch_first=True. Inside, a cell works time-major (T, B, F): then the B rows of one step are
// contiguous (a plain (B, F) matrix for the GEMM in the loop), the hidden states h_0..h_T sit one
// after the other in one tensor, and h_0..h_{T-1} are already the H_prev matrix of dW_hh.
#pragma once

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "02-mlp/layer.hpp"
#include "common/random.hpp"

namespace dlfs {

// The state a recurrent layer carries from step to step: h, and for an LSTM also the cell state c.
// For a single cell both are (B, H); for a stack of L layers both are (L, B, H), layer 0 first,
// like PyTorch's h_0 / c_0 and h_n / c_n. An empty tensor means zeros (as an input) or "no such
// state" (c of an RNN or a GRU).
struct RecurrentState {
  Tensor h;
  Tensor c;
};

// What one step's backward returns: dL/dx (B, I), and dL/dh, dL/dc (B, H) of the state it started from.
struct StepGradients {
  Tensor dx;  // (B, I)
  Tensor dh;  // (B, H)
  Tensor dc;  // (B, H), LSTM only; empty otherwise
};

// One recurrent layer: the parameters, the loop over time, and the caches of one sequence.
// RNNCell, LSTMCell and GRUCell derive from it and supply the step (step_forward / step_backward).
class RecurrentCell {
 public:
  virtual ~RecurrentCell() = default;

  // "LSTMCell(4, 6)"
  virtual std::string name() const = 0;

  std::size_t input_size() const { return input_size_; }    // I
  std::size_t hidden_size() const { return hidden_size_; }  // H
  std::size_t gate_count() const { return gate_count_; }    // G
  bool has_cell_state() const { return has_cell_state_; }   // true for the LSTM

  // weight_ih, weight_hh, bias_ih, bias_hh (with the suffix given to the constructor: "_l0").
  std::vector<Parameter*> parameters() { return {&weight_ih_, &weight_hh_, &bias_ih_, &bias_hh_}; }
  Parameter& weight_ih() { return weight_ih_; }  // (G*H, I)
  Parameter& weight_hh() { return weight_hh_; }  // (G*H, H)
  Parameter& bias_ih() { return bias_ih_; }      // (G*H)
  Parameter& bias_hh() { return bias_hh_; }      // (G*H)

  // ---- One step on its own, like torch.nn.LSTMCell (a sequence of length 1) ------------------
  // x (B, I), state.h (B, H), state.c (B, H) for an LSTM (empty: zeros) -> the next state.
  RecurrentState forward_step(const Tensor& x, const RecurrentState& state);
  // dnext: dL/dh' and (LSTM) dL/dc' of the state the last forward_step returned (empty dc: 0).
  // Returns dL/dx and dL/d(state) and adds into the parameter gradients.
  StepGradients backward_step(const RecurrentState& dnext);

  // ---- A whole sequence, time-major: what the sequence layers call ----------------------------
  // x (T, B, I), initial state (B, H) each (empty: zeros) -> h_1..h_T (T, B, H).
  Tensor forward_sequence(const Tensor& x, const RecurrentState& initial);
  // h_T and (LSTM) c_T of the last forward, (B, H) each.
  RecurrentState final_state() const;
  // dhidden (T, B, H): dL/dh_t through the outputs; dfinal: dL/dh_T, dL/dc_T through the final
  // state (empty: 0). Returns dL/dx (T, B, I), or an empty tensor when need_dx is false, and adds
  // into the parameter gradients. dL/dh_0, dL/dc_0 are then in initial_state_grad().
  Tensor backward_sequence(const Tensor& dhidden, const RecurrentState& dfinal, bool need_dx = true);
  const RecurrentState& initial_state_grad() const { return dinitial_; }  // (B, H) each

 protected:
  // Parameters are named weight_ih<suffix>, ..., shaped and initialised like PyTorch's:
  // every entry (biases too) from U(-1/sqrt(H), 1/sqrt(H)).
  RecurrentCell(std::size_t gate_count, bool has_cell_state, std::size_t input_size, std::size_t hidden_size,
                const std::string& suffix, Rng& rng);

  // Allocates the cell's own caches for a sequence of T steps of batch B.
  virtual void reserve(std::size_t steps, std::size_t batch) = 0;
  // Step t (0-based: x[t] and h_prev = hidden_[t] give hidden_[t+1]; an LSTM also reads cells_[t]
  // and writes cells_[t+1]). xw and hw are (B, G*H): x W_ih^T + b_ih and h_prev W_hh^T + b_hh.
  virtual void step_forward(std::size_t t, std::size_t batch, const float* xw, const float* hw) = 0;
  // The backward of step t. dh (B, H) is the whole dL/dh of hidden_[t+1]; an LSTM's dc (B, H) holds
  // dL/dc of cells_[t+1] on entry and must hold dL/dc of cells_[t] on exit (nullptr for the others).
  // Writes dxw, dhw (B, G*H), the gradients of the two affine maps, and dh_prev (B, H), the part of
  // dL/dh_prev that does not pass through W_hh.
  virtual void step_backward(std::size_t t, std::size_t batch, const float* dh, float* dc, float* dh_prev,
                             float* dxw, float* dhw) = 0;

  Tensor hidden_;  // (T + 1, B, H): h_0 (the initial state), h_1, ..., h_T
  Tensor cells_;   // (T + 1, B, H): c_0, ..., c_T (LSTM only; empty otherwise)

 private:
  std::size_t gate_count_, input_size_, hidden_size_;
  bool has_cell_state_;
  Parameter weight_ih_;  // (G*H, I)
  Parameter weight_hh_;  // (G*H, H)
  Parameter bias_ih_;    // (G*H)
  Parameter bias_hh_;    // (G*H)
  Tensor input_;         // (T, B, I): x, for dW_ih
  RecurrentState dinitial_;  // dL/dh_0, dL/dc_0 (B, H) after backward_sequence
};

// A stack of recurrent layers over a batch-first sequence, like torch.nn.RNN / LSTM / GRU with
// batch_first=True: layer 0 reads x, layer l reads layer l-1's h_1..h_T, and the output is the
// top layer's h_1..h_T. Parameters are weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, then
// _l1, ..., so a model maps one to one onto PyTorch's state_dict.
//
// State in and out, (L, B, H) like PyTorch:
//   set_initial_state(h0, c0)   every forward starts from h0 (and c0) until reset_state();
//                               by default, and after reset_state(), from zeros
//   final_state()               h_n, c_n of the last forward
//   set_final_state_grad(dh_n, dc_n)  dL/dh_n, dL/dc_n for the NEXT backward only (else 0)
//   initial_state_grad()        dL/dh0, dL/dc0 after a backward
//
// Stateful mode, for truncated backpropagation through time. A long sequence (a book, a year of
// readings) is cut into chunks of T steps, trained one after the other. With set_stateful(true)
// each forward starts from the final state of the previous forward, so the layer's memory runs on
// across chunk borders, but the state is carried as values only: backward stops at the chunk's
// h_0 and never flows into the previous chunk (whose caches are gone anyway). So the forward pass
// sees the whole history while gradients span at most T steps, and the cost of a step does not
// grow with the length of the text. reset_state() starts again from zeros (at the start of each
// epoch, or of an unrelated sequence). Row b of every chunk must continue row b of the previous
// one, so the batch size cannot change while a state is carried: forward throws
// std::invalid_argument if it does (reset_state() first).
class Recurrent : public Layer {
 public:
  Tensor forward(const Tensor& input) override;     // (B, T, I) -> (B, T, H)
  Tensor backward(const Tensor& doutput) override;  // (B, T, H) -> (B, T, I)
  std::vector<Parameter*> parameters() override;
  std::string name() const override;  // "LSTM(64, 256, layers=2)"

  std::size_t input_size() const { return input_size_; }
  std::size_t hidden_size() const { return hidden_size_; }
  std::size_t num_layers() const { return cells_.size(); }
  RecurrentCell& cell(std::size_t layer);

  void set_initial_state(const Tensor& h0, const Tensor& c0 = Tensor());  // (L, B, H) each
  RecurrentState final_state() const;                                      // (L, B, H) each
  void set_final_state_grad(const Tensor& dh_n, const Tensor& dc_n = Tensor());
  RecurrentState initial_state_grad() const;                               // (L, B, H) each

  // Switching either way also resets the state.
  void set_stateful(bool stateful);
  bool stateful() const { return stateful_; }
  void reset_state();
  // While stateful, row b of one forward continues row b of the last: micro-batches or replicas
  // would start one slice from another slice's rows, so the training loop must refuse them.
  std::string batch_coupled_layer() const override { return stateful_ ? name() : std::string(); }

 protected:
  // kind is "RNN", "LSTM" or "GRU"; the derived class then adds its num_layers (> 0) cells.
  Recurrent(std::string kind, std::size_t input_size, std::size_t hidden_size, std::size_t num_layers);
  void add_cell(std::unique_ptr<RecurrentCell> cell);

 private:
  void check_state(const Tensor& state, const char* what, std::size_t batch) const;

  std::string kind_;
  std::size_t input_size_, hidden_size_;
  std::vector<std::unique_ptr<RecurrentCell>> cells_;  // layer 0 first
  RecurrentState initial_;  // (L, B, H) each, or empty: zeros
  RecurrentState dfinal_;   // (L, B, H) each, or empty: the next backward's dL/dh_n, dL/dc_n
  bool stateful_ = false;
  std::size_t batch_ = 0, steps_ = 0;  // B and T of the last forward
};

// (B, T, F) <-> (T, B, F): swaps the first two axes (a copy). Its own inverse.
Tensor swap_batch_and_time(const Tensor& x);

}  // namespace dlfs
