// The chapter's two networks for 28x28 grayscale images (B, 1, 28, 28) -> logits (B, 10), and a
// per-layer summary (output shape, parameters, multiply-adds) that the example prints.
// The README compares both, layer by layer, with the papers they come from.
#pragma once

#include <string>
#include <vector>

#include "02-mlp/sequential.hpp"
#include "common/random.hpp"

namespace dlfs {

// LeNet-5 (LeCun et al. 1998) in its common modern form, the network bench/lenet_torch.py builds in PyTorch:
//   Conv2d(1, 6, 5x5, padding 2) ReLU MaxPool2d(2)    (B, 6, 14, 14)  the padding makes 28x28 act like the paper's 32x32
//   Conv2d(6, 16, 5x5)           ReLU MaxPool2d(2)    (B, 16, 5, 5)
//   Flatten Dense(400, 120) ReLU Dense(120, 84) ReLU Dense(84, 10)
// 61 706 parameters.
Sequential make_lenet5(Rng& rng);

// AlexNet (Krizhevsky et al. 2012) scaled to 28x28x1: five 3x3/5x5 convolutions with ReLU,
// three overlapping 3x3 stride-2 max pools, three fully connected layers; channels 1/8 and FC
// widths 1/16 of the original (every choice is argued in the README):
//   Conv2d(1, 12, 5x5, padding 2)  ReLU MaxPool2d(3x3, stride 2, padding 1)   (B, 12, 14, 14)
//   Conv2d(12, 32, 5x5, padding 2) ReLU MaxPool2d(3x3, stride 2, padding 1)   (B, 32, 7, 7)
//   Conv2d(32, 48, 3x3, padding 1) ReLU
//   Conv2d(48, 48, 3x3, padding 1) ReLU
//   Conv2d(48, 32, 3x3, padding 1) ReLU MaxPool2d(3x3, stride 2)              (B, 32, 3, 3)
//   Flatten Dense(288, 256) ReLU Dense(256, 256) ReLU Dense(256, 10)
Sequential make_alexnet(Rng& rng);

// Conv2d::set_chunk_bytes for every convolution of a network (the example's --conv-chunk-kb).
void set_conv_chunk_bytes(Sequential& model, std::size_t bytes);

// "lenet" or "alexnet"; throws std::invalid_argument listing the names otherwise.
Sequential make_cnn(const std::string& name, Rng& rng);
extern const std::vector<std::string> kCnnNames;

struct LayerSummary {
  std::string name;           // the layer's name()
  Shape output;               // its output shape for the given input shape
  std::size_t parameters;     // learnable scalars
  double multiply_adds;       // per forward pass of the whole input (convolutions and Dense only)
};

// Runs one forward pass of zeros of `input_shape` through the model and records each layer.
std::vector<LayerSummary> summarize(Sequential& model, const Shape& input_shape);

}  // namespace dlfs
