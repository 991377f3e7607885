// Global average pooling (Lin, Chen & Yan 2014, "Network in Network"): each feature map becomes its
// mean, so a network ends in one number per channel whatever the image size, with no parameters:
//
//   forward   y[b,c]     = (1 / (H W)) sum_{h,w} x[b,c,h,w]      (B, C, H, W) -> (B, C)
//   backward  dx[b,c,h,w] = dy[b,c] / (H W)                      every pixel had the same weight 1/(HW)
//
// ResNet uses it in place of VGG's large fully connected layers: a 64 x 7 x 7 map would need
// 3136 x 10 weights to reach the logits, its 64 means need 640.
#pragma once

#include "02-mlp/layer.hpp"

namespace dlfs {

class GlobalAvgPool2d : public Layer {
 public:
  Tensor forward(const Tensor& input) override;     // (B, C, H, W) -> (B, C)
  Tensor backward(const Tensor& doutput) override;  // (B, C) -> (B, C, H, W)
  std::string name() const override { return "GlobalAvgPool2d"; }

 private:
  Shape input_shape_;  // (B, C, H, W)
};

}  // namespace dlfs
