// Dropout (Srivastava et al. 2014), in its "inverted" form: during training every unit is kept with
// probability 1 - p and zeroed with probability p, and the kept ones are scaled by 1 / (1 - p):
//
//   forward (training)    m_i = 1 / (1 - p) with probability 1 - p, else 0     (drawn anew every call)
//                         y_i = m_i x_i
//   forward (evaluation)  y = x
//   backward (training)   dx_i = m_i dy_i     (the same mask: y is linear in x for a fixed m)
//   backward (evaluation) dx = dy
//
// E[m_i] = (1 - p) / (1 - p) = 1, so E[y] = x: the scaling happens at training time and evaluation
// needs no correction (the original paper scaled the weights by 1 - p at test time instead).
// A network trained this way cannot rely on any single unit being present, so it learns redundant
// features; evaluating without dropout approximates averaging the 2^n thinned networks.
//
// The mask comes from a random stream the layer owns, seeded once at construction, so a seeded run
// repeats exactly and two Dropout layers of one network draw different masks.
#pragma once

#include <cstdint>

#include "02-mlp/layer.hpp"
#include "common/random.hpp"

namespace dlfs {

class Dropout : public Layer {
 public:
  // p in [0, 1): the probability of zeroing a unit. The layer's stream is seeded from rng (one
  // draw), so building a network from one seeded Rng fixes every dropout mask it will ever draw.
  Dropout(float p, Rng& rng);

  Tensor forward(const Tensor& input) override;     // (B, ...) -> (B, ...)
  Tensor backward(const Tensor& doutput) override;  // (B, ...) -> (B, ...)
  std::string name() const override;                // "Dropout(p=0.5)"

  float p() const { return p_; }
  // The last training forward's mask m (0 or 1 / (1 - p) per element), same shape as its input.
  const Tensor& mask() const { return mask_; }
  // The layer's own stream (its state can be saved and restored to repeat masks).
  Rng& rng() { return rng_; }

 private:
  float p_;
  Rng rng_;
  Tensor mask_;          // (B, ...): m of the last training forward
  bool masked_ = false;  // the last forward ran in training mode (and so backward applies mask_)
};

}  // namespace dlfs
