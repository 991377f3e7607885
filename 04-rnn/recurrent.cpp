#include "04-rnn/recurrent.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "common/gemm.hpp"

namespace dlfs {

namespace {

// Every row of y (rows, n) set to bias (n): the "+ b" of an affine map, before a GEMM adds on top.
void fill_rows(float* y, std::size_t rows, const Tensor& bias) {
  for (std::size_t r = 0; r < rows; ++r) std::copy(bias.begin(), bias.end(), y + r * bias.size());
}

// db += the sum of the rows of dy (rows, n).
void add_row_sums(const float* dy, std::size_t rows, Tensor& db) {
  const std::size_t n = db.size();
  float* out = db.data();
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < n; ++j) out[j] += dy[r * n + j];
}

// Layer l of a stacked state (L, B, H) as a (B, H) tensor; empty stays empty (zeros).
Tensor layer_of(const Tensor& stacked, std::size_t l) {
  if (stacked.empty()) return Tensor();
  const std::size_t batch = stacked.dim(1), hidden = stacked.dim(2);
  Tensor out = Tensor::uninitialized({batch, hidden});  // (B, H)
  std::copy_n(stacked.data() + l * batch * hidden, batch * hidden, out.data());
  return out;
}

// L tensors (B, H) stacked into (L, B, H); all empty gives empty.
Tensor stack_layers(const std::vector<Tensor>& layers) {
  if (layers.empty() || layers[0].empty()) return Tensor();
  const std::size_t batch = layers[0].dim(0), hidden = layers[0].dim(1);
  Tensor out = Tensor::uninitialized({layers.size(), batch, hidden});  // (L, B, H)
  for (std::size_t l = 0; l < layers.size(); ++l)
    std::copy_n(layers[l].data(), batch * hidden, out.data() + l * batch * hidden);
  return out;
}

// Copies a (B, H) state into row block t of a (T + 1, B, H) sequence of states; empty means zeros.
void put_state(Tensor& states, std::size_t t, const Tensor& state) {
  const std::size_t block = states.dim(1) * states.dim(2);
  float* to = states.data() + t * block;
  if (state.empty())
    std::fill_n(to, block, 0.0f);
  else
    std::copy_n(state.data(), block, to);
}

// Block t of a (T + 1, B, H) sequence of states as a (B, H) tensor.
Tensor get_state(const Tensor& states, std::size_t t) {
  const std::size_t batch = states.dim(1), hidden = states.dim(2);
  Tensor out = Tensor::uninitialized({batch, hidden});  // (B, H)
  std::copy_n(states.data() + t * batch * hidden, batch * hidden, out.data());
  return out;
}

}  // namespace

Tensor swap_batch_and_time(const Tensor& x) {
  if (x.ndim() != 3)
    throw std::invalid_argument("swap_batch_and_time: needs a 3-D tensor, got " + shape_to_string(x.shape()));
  const std::size_t d0 = x.dim(0), d1 = x.dim(1), features = x.dim(2);
  Tensor y = Tensor::uninitialized({d1, d0, features});  // (d1, d0, F)
  for (std::size_t i = 0; i < d0; ++i)
    for (std::size_t j = 0; j < d1; ++j)
      std::copy_n(x.data() + (i * d1 + j) * features, features, y.data() + (j * d0 + i) * features);
  return y;
}

// ---- RecurrentCell ------------------------------------------------------------------------

RecurrentCell::RecurrentCell(std::size_t gate_count, bool has_cell_state, std::size_t input_size,
                             std::size_t hidden_size, const std::string& suffix, Rng& rng)
    : gate_count_(gate_count),
      input_size_(input_size),
      hidden_size_(hidden_size),
      has_cell_state_(has_cell_state),
      weight_ih_("weight_ih" + suffix, Tensor({gate_count * hidden_size, input_size})),
      weight_hh_("weight_hh" + suffix, Tensor({gate_count * hidden_size, hidden_size})),
      bias_ih_("bias_ih" + suffix, Tensor({gate_count * hidden_size})),
      bias_hh_("bias_hh" + suffix, Tensor({gate_count * hidden_size})) {
  if (input_size == 0 || hidden_size == 0)
    throw std::invalid_argument("recurrent cell: input and hidden sizes must be positive");
  // PyTorch's reset_parameters: every parameter from U(-k, k), k = 1/sqrt(H).
  const float k = 1.0f / std::sqrt(float(hidden_size));
  for (Parameter* p : parameters()) rng.fill_uniform(p->value, -k, k);
}

RecurrentState RecurrentCell::forward_step(const Tensor& x, const RecurrentState& state) {
  if (x.ndim() != 2)
    throw std::invalid_argument(name() + ": forward_step takes x of shape (B, I), got " + shape_to_string(x.shape()));
  forward_sequence(x.reshaped({1, x.dim(0), x.dim(1)}), state);  // (1, B, I): one step
  return final_state();
}

StepGradients RecurrentCell::backward_step(const RecurrentState& dnext) {
  if (hidden_.ndim() != 3 || hidden_.dim(0) != 2)
    throw std::logic_error(name() + ": backward_step needs a forward_step first");
  const std::size_t batch = hidden_.dim(1);
  // The step's output is its new state, so all of dL/dh' arrives as the final state's gradient.
  Tensor dx = backward_sequence(Tensor({1, batch, hidden_size_}), dnext);  // (1, B, I)
  return {std::move(dx).reshaped({batch, input_size_}), dinitial_.h, dinitial_.c};
}

Tensor RecurrentCell::forward_sequence(const Tensor& x, const RecurrentState& initial) {
  if (x.ndim() != 3 || x.dim(2) != input_size_ || x.dim(0) == 0 || x.dim(1) == 0)
    throw std::invalid_argument(name() + ": input of shape " + shape_to_string(x.shape()) +
                                " is not (T, B, " + std::to_string(input_size_) + ") with T, B > 0");
  const std::size_t steps = x.dim(0), batch = x.dim(1), H = hidden_size_, GH = gate_count_ * H;
  const Shape state_shape{batch, H};
  if (!initial.h.empty() && initial.h.shape() != state_shape)
    throw std::invalid_argument(name() + ": initial h of shape " + shape_to_string(initial.h.shape()) +
                                ", expected " + shape_to_string(state_shape));
  if (!initial.c.empty() && (!has_cell_state_ || initial.c.shape() != state_shape))
    throw std::invalid_argument(name() + (has_cell_state_ ? ": initial c of shape " + shape_to_string(initial.c.shape()) +
                                                                ", expected " + shape_to_string(state_shape)
                                                          : std::string(": has no cell state c")));

  input_ = x;                                                // (T, B, I)
  hidden_ = Tensor::uninitialized({steps + 1, batch, H});    // (T + 1, B, H)
  put_state(hidden_, 0, initial.h);
  if (has_cell_state_) {
    cells_ = Tensor::uninitialized({steps + 1, batch, H});   // (T + 1, B, H)
    put_state(cells_, 0, initial.c);
  }
  reserve(steps, batch);

  // xw = x W_ih^T + b_ih for all T steps at once: ONE GEMM (T*B, I) . (I, G*H).
  Tensor xw = Tensor::uninitialized({steps, batch, GH});    // (T, B, G*H)
  fill_rows(xw.data(), steps * batch, bias_ih_.value);
  sgemm(Trans::No, Trans::Yes, steps * batch, GH, input_size_, 1.0f, x.data(), input_size_,
        weight_ih_.value.data(), input_size_, 1.0f, xw.data(), GH);

  // The recurrence: only hw = h_{t-1} W_hh^T + b_hh waits for the previous step.
  Tensor hw = Tensor::uninitialized({batch, GH});           // (B, G*H)
  for (std::size_t t = 0; t < steps; ++t) {
    fill_rows(hw.data(), batch, bias_hh_.value);
    sgemm(Trans::No, Trans::Yes, batch, GH, H, 1.0f, hidden_.data() + t * batch * H, H,
          weight_hh_.value.data(), H, 1.0f, hw.data(), GH);
    step_forward(t, batch, xw.data() + t * batch * GH, hw.data());
  }

  Tensor out = Tensor::uninitialized({steps, batch, H});    // (T, B, H): h_1..h_T
  std::copy_n(hidden_.data() + batch * H, steps * batch * H, out.data());
  return out;
}

RecurrentState RecurrentCell::final_state() const {
  if (hidden_.ndim() != 3) throw std::logic_error(name() + ": final_state needs a forward first");
  const std::size_t steps = hidden_.dim(0) - 1;
  return {get_state(hidden_, steps), has_cell_state_ ? get_state(cells_, steps) : Tensor()};
}

Tensor RecurrentCell::backward_sequence(const Tensor& dhidden, const RecurrentState& dfinal, bool need_dx) {
  if (hidden_.ndim() != 3) throw std::logic_error(name() + ": backward needs a forward first");
  const std::size_t steps = hidden_.dim(0) - 1, batch = hidden_.dim(1), H = hidden_size_, GH = gate_count_ * H;
  const Shape state_shape{batch, H};
  if (dhidden.shape() != Shape{steps, batch, H})
    throw std::invalid_argument(name() + ": gradient of shape " + shape_to_string(dhidden.shape()) +
                                " does not match the forward's hidden states " +
                                shape_to_string({steps, batch, H}));
  if ((!dfinal.h.empty() && dfinal.h.shape() != state_shape) ||
      (!dfinal.c.empty() && (!has_cell_state_ || dfinal.c.shape() != state_shape)))
    throw std::invalid_argument(name() + ": final state gradient does not match the final state " +
                                shape_to_string(state_shape));

  Tensor dxw = Tensor::uninitialized({steps, batch, GH});  // (T, B, G*H): dL/d(x W_ih^T + b_ih)
  Tensor dhw = Tensor::uninitialized({steps, batch, GH});  // (T, B, G*H): dL/d(h W_hh^T + b_hh)
  Tensor dh = dfinal.h.empty() ? Tensor(state_shape) : dfinal.h;  // (B, H): dL/dh_t, carried back in time
  Tensor dc;                                                      // (B, H): dL/dc_t (LSTM)
  if (has_cell_state_) dc = dfinal.c.empty() ? Tensor(state_shape) : dfinal.c;
  Tensor dh_prev = Tensor::uninitialized(state_shape);            // (B, H): dL/dh_{t-1}

  // Backwards in time: dh_t is complete only after step t+1's backward has added its share.
  for (std::size_t t = steps; t-- > 0;) {
    // dh_t = the gradient through the output y_t = h_t + the one through step t+1 (already in dh)
    const float* dy = dhidden.data() + t * batch * H;
    for (std::size_t i = 0; i < batch * H; ++i) dh[i] += dy[i];
    float* dxw_t = dxw.data() + t * batch * GH;
    float* dhw_t = dhw.data() + t * batch * GH;
    step_backward(t, batch, dh.data(), has_cell_state_ ? dc.data() : nullptr, dh_prev.data(), dxw_t, dhw_t);
    // dh_{t-1} += dhw_t W_hh: the one product left inside the loop
    sgemm(Trans::No, Trans::No, batch, H, GH, 1.0f, dhw_t, GH, weight_hh_.value.data(), H, 1.0f,
          dh_prev.data(), H);
    std::swap(dh, dh_prev);
  }
  dinitial_ = {dh, dc};

  // The weights are shared by all steps: their gradients sum over t, and each sum is ONE GEMM.
  // dW_ih += dXW^T X       (G*H, T*B) . (T*B, I)
  sgemm(Trans::Yes, Trans::No, GH, input_size_, steps * batch, 1.0f, dxw.data(), GH, input_.data(), input_size_,
        1.0f, weight_ih_.grad.data(), input_size_);
  // dW_hh += dHW^T H_prev  (G*H, T*B) . (T*B, H), H_prev = h_0..h_{T-1}: the first T blocks of hidden_
  sgemm(Trans::Yes, Trans::No, GH, H, steps * batch, 1.0f, dhw.data(), GH, hidden_.data(), H, 1.0f,
        weight_hh_.grad.data(), H);
  add_row_sums(dxw.data(), steps * batch, bias_ih_.grad);
  add_row_sums(dhw.data(), steps * batch, bias_hh_.grad);

  if (!need_dx) return Tensor();
  // dX = dXW W_ih          (T*B, G*H) . (G*H, I)
  Tensor dx = Tensor::uninitialized({steps, batch, input_size_});  // (T, B, I)
  sgemm(Trans::No, Trans::No, steps * batch, input_size_, GH, 1.0f, dxw.data(), GH, weight_ih_.value.data(),
        input_size_, 0.0f, dx.data(), input_size_);
  return dx;
}

// ---- Recurrent: the stack -------------------------------------------------------------------

Recurrent::Recurrent(std::string kind, std::size_t input_size, std::size_t hidden_size, std::size_t num_layers)
    : kind_(std::move(kind)), input_size_(input_size), hidden_size_(hidden_size) {
  if (num_layers == 0) throw std::invalid_argument(kind_ + ": needs at least one layer");
}

void Recurrent::add_cell(std::unique_ptr<RecurrentCell> cell) {
  const std::size_t expected_input = cells_.empty() ? input_size_ : hidden_size_;
  if (cell->input_size() != expected_input || cell->hidden_size() != hidden_size_)
    throw std::logic_error(kind_ + ": layer " + std::to_string(cells_.size()) + " is " + cell->name());
  cells_.push_back(std::move(cell));
}

std::string Recurrent::name() const {
  return kind_ + "(" + std::to_string(input_size_) + ", " + std::to_string(hidden_size_) +
         ", layers=" + std::to_string(cells_.size()) + ")";
}

RecurrentCell& Recurrent::cell(std::size_t layer) {
  if (layer >= cells_.size())
    throw std::out_of_range(name() + ": no layer " + std::to_string(layer));
  return *cells_[layer];
}

std::vector<Parameter*> Recurrent::parameters() {
  std::vector<Parameter*> out;
  for (auto& cell : cells_)
    for (Parameter* p : cell->parameters()) out.push_back(p);
  return out;
}

// A stacked state (L, B, H) must match this stack; batch 0 accepts any batch.
void Recurrent::check_state(const Tensor& state, const char* what, std::size_t batch) const {
  if (state.empty()) return;
  if (state.ndim() != 3 || state.dim(0) != cells_.size() || state.dim(2) != hidden_size_ ||
      (batch != 0 && state.dim(1) != batch))
    throw std::invalid_argument(name() + ": " + what + " of shape " + shape_to_string(state.shape()) + " is not (" +
                                std::to_string(cells_.size()) + ", " + (batch ? std::to_string(batch) : "B") + ", " +
                                std::to_string(hidden_size_) + ")");
}

void Recurrent::set_initial_state(const Tensor& h0, const Tensor& c0) {
  const bool lstm = !cells_.empty() && cells_[0]->has_cell_state();
  if (!c0.empty() && !lstm) throw std::invalid_argument(name() + ": has no cell state c0");
  check_state(h0, "h0", 0);
  check_state(c0, "c0", h0.empty() ? 0 : h0.dim(1));
  initial_ = {h0, c0};
}

void Recurrent::reset_state() { initial_ = {}; }

void Recurrent::set_stateful(bool stateful) {
  stateful_ = stateful;
  reset_state();
}

Tensor Recurrent::forward(const Tensor& input) {
  if (input.ndim() != 3 || input.dim(2) != input_size_)
    throw std::invalid_argument(name() + ": input of shape " + shape_to_string(input.shape()) + " is not (B, T, " +
                                std::to_string(input_size_) + ")");
  const std::size_t batch = input.dim(0);
  for (const Tensor* s : {&initial_.h, &initial_.c})
    if (!s->empty() && s->dim(1) != batch)
      throw std::invalid_argument(
          name() + (stateful_ ? ": stateful mode carries a state for a batch of " : ": the initial state is for a batch of ") +
          std::to_string(s->dim(1)) + " but the input has a batch of " + std::to_string(batch) +
          (stateful_ ? "; call reset_state() before changing the batch size" : ""));

  Tensor x = swap_batch_and_time(input);  // (T, B, I): each step's rows contiguous
  for (std::size_t l = 0; l < cells_.size(); ++l)
    x = cells_[l]->forward_sequence(x, {layer_of(initial_.h, l), layer_of(initial_.c, l)});  // (T, B, H)
  batch_ = batch;
  steps_ = input.dim(1);
  // Truncated BPTT: the next chunk starts from these values; its backward stops at them.
  if (stateful_) initial_ = final_state();
  return swap_batch_and_time(x);  // (B, T, H)
}

Tensor Recurrent::backward(const Tensor& doutput) {
  if (batch_ == 0) throw std::logic_error(name() + ": backward needs a forward first");
  if (doutput.shape() != Shape{batch_, steps_, hidden_size_})
    throw std::invalid_argument(name() + ": output gradient of shape " + shape_to_string(doutput.shape()) +
                                " does not match the forward output " + shape_to_string({batch_, steps_, hidden_size_}));
  check_state(dfinal_.h, "dh_n", batch_);
  check_state(dfinal_.c, "dc_n", batch_);
  Tensor d = swap_batch_and_time(doutput);  // (T, B, H): dL/dh_t of the top layer
  // Down the stack: each layer's dL/dx is the gradient on the outputs of the layer below.
  for (std::size_t l = cells_.size(); l-- > 0;)
    d = cells_[l]->backward_sequence(d, {layer_of(dfinal_.h, l), layer_of(dfinal_.c, l)},
                                     l > 0 || needs_input_grad_);
  dfinal_ = {};  // used once
  if (!needs_input_grad_) return Tensor();
  return swap_batch_and_time(d);  // (B, T, I)
}

RecurrentState Recurrent::final_state() const {
  std::vector<Tensor> h, c;
  for (const auto& cell : cells_) {
    RecurrentState s = cell->final_state();
    h.push_back(std::move(s.h));
    c.push_back(std::move(s.c));
  }
  return {stack_layers(h), stack_layers(c)};
}

void Recurrent::set_final_state_grad(const Tensor& dh_n, const Tensor& dc_n) {
  const bool lstm = !cells_.empty() && cells_[0]->has_cell_state();
  if (!dc_n.empty() && !lstm) throw std::invalid_argument(name() + ": has no cell state c_n");
  check_state(dh_n, "dh_n", 0);
  check_state(dc_n, "dc_n", dh_n.empty() ? 0 : dh_n.dim(1));
  dfinal_ = {dh_n, dc_n};
}

RecurrentState Recurrent::initial_state_grad() const {
  std::vector<Tensor> h, c;
  for (const auto& cell : cells_) {
    h.push_back(cell->initial_state_grad().h);
    c.push_back(cell->initial_state_grad().c);
  }
  return {stack_layers(h), stack_layers(c)};
}

}  // namespace dlfs
