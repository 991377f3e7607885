// A Conv2d without a bias, for a convolution that a batch norm follows (PyTorch: bias=False).
//
// Batch norm subtracts each channel's mean, so a per-channel constant added before it comes out
// again: y = BN(conv(x) + b) = BN(conv(x)) in training, and the gradient reaching b is exactly
// sum over the channel of dx = 0 (the README shows it). Such a bias is a parameter that cannot
// learn; dropping it also makes the model's tensors those of torch's conv-BN networks.
//
// It is chapter 03's Conv2d, unchanged, with its bias held at 0: the bias is left out of
// parameters() (so it is neither saved nor optimized), and learns_bias() tells Conv2d's backward
// pass not to compute its gradient.
#pragma once

#include "03-cnn/conv2d.hpp"

namespace dlfs {

class BiasFreeConv2d : public Conv2d {
 public:
  BiasFreeConv2d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel, Rng& rng,
                 std::size_t stride = 1, std::size_t padding = 0);

  std::vector<Parameter*> parameters() override { return {&weight()}; }
  std::string name() const override;  // "Conv2d(16, 32, 3x3, stride 2, padding 1, bias=False)"

 protected:
  bool learns_bias() const override { return false; }
};

}  // namespace dlfs
