// The chapter's networks for 28x28 grayscale images, (B, 1, 28, 28) -> logits (B, 10). Every one
// is a Sequential, so chapter 02's loop, chapter 08's Trainer and model files take them as they are.
// The README lists each layer's output shape and the parameter counts (build/05-regularization/summary).
#pragma once

#include <string>
#include <vector>

#include "02-mlp/sequential.hpp"
#include "03-cnn/models.hpp"
#include "common/random.hpp"

namespace dlfs {

struct ModelOptions {
  std::size_t width = 0;    // channels of the first stage (mlp: units per hidden layer); 0: the model's
                            // default (32 bn-cnn, 1024 mlp, 16 the others)
  bool batch_norm = true;   // bn-cnn, vgg: conv-BN-ReLU blocks; false: conv(with bias)-ReLU, the same otherwise
  float dropout = 0.0f;     // bn-cnn, vgg: Dropout(p) before the last Dense layer when p > 0; mlp: after
                            // every hidden layer
  std::size_t blocks = 3;   // resnet, plain: blocks per stage n; 6n + 2 weighted layers (n = 3: 20)
};

// A CNN of conv-BN-ReLU blocks (w = width, default 32):
//   [Conv2d(1, w, 3x3, padding 1) BN ReLU] [Conv2d(w, w) BN ReLU] MaxPool2d(2)          (B, w, 14, 14)
//   [Conv2d(w, 2w) BN ReLU] [Conv2d(2w, 2w) BN ReLU] MaxPool2d(2)                       (B, 2w, 7, 7)
//   Flatten Dense(2w*49, 128) BatchNorm1d(128) ReLU [Dropout] Dense(128, 10)
// With batch_norm = false the same network without any BN (the convolutions get their biases back):
// the "without" of the batch-norm experiment.
Sequential make_bn_cnn(Rng& rng, const ModelOptions& options = {});

// VGG-style (Simonyan & Zisserman 2014) scaled to 28x28: three stages of two 3x3 convolutions
// (padding 1, so a stage keeps its map size), channels doubling per stage, a 2x2 max pool after
// each; then VGG's fully connected head, narrowed (w = width, default 16):
//   [Conv2d(1, w) BN ReLU] [Conv2d(w, w) BN ReLU] MaxPool2d(2)                          (B, w, 14, 14)
//   [Conv2d(w, 2w) BN ReLU] [Conv2d(2w, 2w) BN ReLU] MaxPool2d(2)                       (B, 2w, 7, 7)
//   [Conv2d(2w, 4w) BN ReLU] [Conv2d(4w, 4w) BN ReLU] MaxPool2d(2)                      (B, 4w, 3, 3)
//   Flatten Dense(4w*9, 256) ReLU [Dropout] Dense(256, 10)
Sequential make_vgg(Rng& rng, const ModelOptions& options = {});

// ResNet for CIFAR (He et al. 2015, section 4.2) on 28x28 (w = width, default 16; n = blocks):
//   Conv2d(1, w, 3x3, padding 1, bias=False) BN ReLU                                    (B, w, 28, 28)
//   n basic blocks (w -> w)                                                             (B, w, 28, 28)
//   1 basic block (w -> 2w, stride 2, projection shortcut), n - 1 blocks (2w -> 2w)     (B, 2w, 14, 14)
//   1 basic block (2w -> 4w, stride 2, projection shortcut), n - 1 blocks (4w -> 4w)    (B, 4w, 7, 7)
//   GlobalAvgPool2d Dense(4w, 10)                                                       (B, 10)
// 6n + 2 weighted layers: the stem, 6n convolutions in the blocks, the Dense (ResNet-20 for n = 3).
Sequential make_resnet(Rng& rng, const ModelOptions& options = {});

// The ResNet without its shortcuts: the same 6n + 2 layers, every convolution conv-BN-ReLU, so
// the two differ only in the "+ x" (He et al.'s "plain" networks, for the degradation experiment).
Sequential make_plain_cnn(Rng& rng, const ModelOptions& options = {});

// A wide MLP for the dropout experiment (Srivastava et al. 2014 used nets like it; w = width, default 1024):
//   Flatten Dense(784, w) ReLU [Dropout] Dense(w, w) ReLU [Dropout] Dense(w, 10)         (B, 10)
// 1.86M weights for 60000 images (at most 10000 in the experiment): enough to memorize the training
// set, which is what dropout is there to stop. No batch norm.
Sequential make_wide_mlp(Rng& rng, const ModelOptions& options = {});

// "bn-cnn", "vgg", "resnet", "plain" or "mlp"; throws std::invalid_argument listing the names otherwise.
Sequential make_regularization_model(const std::string& name, Rng& rng, const ModelOptions& options = {});
extern const std::vector<std::string> kRegularizationModelNames;

// Chapter 03's summary, one row per layer of the network, with the multiply-adds of convolutions
// and Dense layers counted inside residual blocks too. Runs one forward pass of zeros in
// evaluation mode (the running statistics are not touched) and restores the mode.
std::vector<LayerSummary> summarize_network(Sequential& model, const Shape& input_shape);

}  // namespace dlfs
