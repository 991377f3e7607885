// Dense (fully connected) layer: every output is a weighted sum of every input plus a bias.
//
//   forward   y = x W^T + b          x (B, in), W (out, in), b (out), y (B, out)
//   backward  dx = dy W              (B, out) . (out, in)  -> (B, in)
//             dW += dy^T x           (out, B) . (B, in)    -> (out, in)
//             db += sum_b dy[b, :]                         -> (out)
//
// W is stored (out, in) like PyTorch's nn.Linear, so its rows are the neurons. Inputs with more
// than two dimensions are treated as (rows, in) over the last axis, so the same layer maps every
// time step of a sequence (chapter 04) or every token (chapter 06).
#pragma once

#include "02-mlp/layer.hpp"
#include "common/random.hpp"

namespace dlfs {

// How to draw the initial weights so signals neither shrink nor explode layer after layer:
//   Xavier (Glorot & Bengio 2010): Var(W) = 2 / (in + out), for tanh and sigmoid
//   He (He et al. 2015):           Var(W) = 2 / in, for ReLU (which zeroes half its inputs)
enum class Init { Xavier, He };

class Dense : public Layer {
 public:
  Dense(std::size_t in_features, std::size_t out_features, Rng& rng, Init init = Init::He);

  Tensor forward(const Tensor& input) override;
  Tensor backward(const Tensor& doutput) override;
  std::vector<Parameter*> parameters() override { return {&weight_, &bias_}; }
  std::string name() const override;

  Parameter& weight() { return weight_; }  // (out, in)
  Parameter& bias() { return bias_; }      // (out)
  std::size_t in_features() const { return in_; }
  std::size_t out_features() const { return out_; }

 private:
  std::size_t in_, out_;
  Parameter weight_;  // (out, in)
  Parameter bias_;    // (out)
  Tensor input_;      // (rows, in): cached x for dW
  Shape input_shape_; // the caller's shape of x, restored on dx
};

}  // namespace dlfs
