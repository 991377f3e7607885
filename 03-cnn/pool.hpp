// Pooling: summarise each window of each channel by one number, shrinking H x W (usually by the
// stride) with no parameters. Every channel is pooled on its own, so C stays C:
//   x (B, C, H, W) -> y (B, C, OH, OW), with OH, OW from the window formula (window.hpp).
//
// Max pooling keeps the strongest response in the window: a small shift of a feature inside the
// window leaves y unchanged (a little translation invariance), and the map gets smaller so the
// next convolution sees a larger part of the image. Average pooling keeps the mean, as LeNet-5's
// "subsampling" layers did (theirs also had a trainable scale and bias).
#pragma once

#include <cstdint>
#include <vector>

#include "02-mlp/layer.hpp"
#include "03-cnn/window.hpp"

namespace dlfs {

// y[b,c,i,j] = max_{u,v} x[b, c, i*SH - PH + u, j*SW - PW + v]   (padding cells never win)
//
// Backward: y is locally the identity of the one input that won (the others could change a little
// without changing y), so the winner receives dy and every other input 0:
//   dx[b, c, argmax(b,c,i,j)] += dy[b,c,i,j]
// The forward pass records the winner of every window (argmax_), so backward is a scatter.
// "+=": with overlapping windows (stride < kernel) one input can win several windows.
//
// Ties: the FIRST maximum in the window, scanning rows u then columns v, wins and takes the whole
// gradient (PyTorch's CPU kernel does the same). Any choice is a valid subgradient; splitting it
// would be too, but "first wins" keeps the argmax a single index.
//
// Padding may be at most half the kernel (as in PyTorch), so every window holds a real pixel.
class MaxPool2d : public Layer {
 public:
  explicit MaxPool2d(const Window& window);
  // A square window; stride 0 means "equal to the kernel" (non-overlapping windows).
  explicit MaxPool2d(std::size_t kernel, std::size_t stride = 0, std::size_t padding = 0);

  Tensor forward(const Tensor& input) override;     // (B, C, H, W) -> (B, C, OH, OW)
  Tensor backward(const Tensor& doutput) override;  // (B, C, OH, OW) -> (B, C, H, W)
  std::string name() const override;                // "MaxPool2d(2x2, stride 2, padding 0)"
  const Window& window() const { return window_; }

  // For each output, the winning input's index h*W + w within its (H, W) plane.  (B, C, OH, OW)
  const std::vector<std::uint32_t>& argmax() const { return argmax_; }

 private:
  // forward() for the common 2x2 window with stride 2 and no padding: the same result, faster.
  void forward_2x2(const Tensor& input, Tensor& y);

  Window window_;
  Shape input_shape_;                 // (B, C, H, W)
  std::vector<std::uint32_t> argmax_;  // (B, C, OH, OW)
};

// y[b,c,i,j] = (1 / n) sum_{u,v} x[b, c, i*SH - PH + u, j*SW - PW + v]
//
// Which n? count_padding = true divides by the full window KH*KW, the padding counting as zeros
// (PyTorch's default, count_include_pad=True); false divides by the number of real pixels in the
// window, so a border window is the mean of what it actually covers. Without padding the two agree.
//
// Backward: y is linear in the window, dy/dx = 1/n for each of its pixels, so
//   dx[b, c, h, w] += dy[b,c,i,j] / n   for every window (i, j) containing (h, w).
class AvgPool2d : public Layer {
 public:
  explicit AvgPool2d(const Window& window, bool count_padding = true);
  explicit AvgPool2d(std::size_t kernel, std::size_t stride = 0, std::size_t padding = 0, bool count_padding = true);

  Tensor forward(const Tensor& input) override;     // (B, C, H, W) -> (B, C, OH, OW)
  Tensor backward(const Tensor& doutput) override;  // (B, C, OH, OW) -> (B, C, H, W)
  std::string name() const override;                // "AvgPool2d(2x2, stride 2, padding 0)"
  const Window& window() const { return window_; }

 private:
  Window window_;
  bool count_padding_;
  Shape input_shape_;  // (B, C, H, W)
};

}  // namespace dlfs
