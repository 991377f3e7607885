#include "03-cnn/models.hpp"

#include <stdexcept>

#include "02-mlp/activations.hpp"
#include "02-mlp/dense.hpp"
#include "02-mlp/flatten.hpp"
#include "03-cnn/conv2d.hpp"
#include "03-cnn/pool.hpp"

namespace dlfs {

const std::vector<std::string> kCnnNames = {"lenet", "alexnet"};

Sequential make_lenet5(Rng& rng) {
  Sequential m;
  // C1: six 5x5 filters. Padding 2 keeps 28x28 (the paper padded its 28x28 digits to 32x32 and
  // used no padding: the same 28x28 maps, the same receptive fields).
  m.emplace<Conv2d>(1, 6, 5, rng, 1, 2);  // (B, 6, 28, 28)
  m.emplace<ReLU>();
  m.emplace<MaxPool2d>(2);                // S2: (B, 6, 14, 14)
  // C3: sixteen 5x5 filters over all six maps (the paper wired each to a subset, to save compute
  // and break symmetry; full connection is what every modern re-implementation uses).
  m.emplace<Conv2d>(6, 16, 5, rng);       // (B, 16, 10, 10)
  m.emplace<ReLU>();
  m.emplace<MaxPool2d>(2);                // S4: (B, 16, 5, 5)
  m.emplace<Flatten>();                   // (B, 400)
  m.emplace<Dense>(400, 120, rng);        // C5 (a 5x5 convolution over a 5x5 map is a dense layer)
  m.emplace<ReLU>();
  m.emplace<Dense>(120, 84, rng);         // F6
  m.emplace<ReLU>();
  m.emplace<Dense>(84, 10, rng, Init::Xavier);  // output: logits for softmax cross-entropy
  return m;
}

Sequential make_alexnet(Rng& rng) {
  Sequential m;
  // Overlapping pooling as in AlexNet (3x3 windows, stride 2); padding 1 halves 28 -> 14 -> 7
  // exactly, like AlexNet's 55 -> 27 -> 13.
  m.emplace<Conv2d>(1, 12, 5, rng, 1, 2);   // (B, 12, 28, 28)   AlexNet: 96 of 11x11, stride 4
  m.emplace<ReLU>();
  m.emplace<MaxPool2d>(3, 2, 1);            // (B, 12, 14, 14)
  m.emplace<Conv2d>(12, 32, 5, rng, 1, 2);  // (B, 32, 14, 14)   AlexNet: 256 of 5x5
  m.emplace<ReLU>();
  m.emplace<MaxPool2d>(3, 2, 1);            // (B, 32, 7, 7)
  m.emplace<Conv2d>(32, 48, 3, rng, 1, 1);  // (B, 48, 7, 7)     AlexNet: 384 of 3x3
  m.emplace<ReLU>();
  m.emplace<Conv2d>(48, 48, 3, rng, 1, 1);  // (B, 48, 7, 7)     AlexNet: 384 of 3x3
  m.emplace<ReLU>();
  m.emplace<Conv2d>(48, 32, 3, rng, 1, 1);  // (B, 32, 7, 7)     AlexNet: 256 of 3x3
  m.emplace<ReLU>();
  m.emplace<MaxPool2d>(3, 2);               // (B, 32, 3, 3)
  m.emplace<Flatten>();                     // (B, 288)
  m.emplace<Dense>(288, 256, rng);          // AlexNet: 4096 (with dropout)
  m.emplace<ReLU>();
  m.emplace<Dense>(256, 256, rng);          // AlexNet: 4096 (with dropout)
  m.emplace<ReLU>();
  m.emplace<Dense>(256, 10, rng, Init::Xavier);
  return m;
}

void set_conv_chunk_bytes(Sequential& model, std::size_t bytes) {
  for (std::size_t i = 0; i < model.size(); ++i)
    if (auto* conv = dynamic_cast<Conv2d*>(&model[i])) conv->set_chunk_bytes(bytes);
}

Sequential make_cnn(const std::string& name, Rng& rng) {
  if (name == "lenet") return make_lenet5(rng);
  if (name == "alexnet") return make_alexnet(rng);
  std::string valid;
  for (const auto& n : kCnnNames) valid += (valid.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown model '" + name + "' (choose one of: " + valid + ")");
}

std::vector<LayerSummary> summarize(Sequential& model, const Shape& input_shape) {
  std::vector<LayerSummary> rows;
  Tensor x(input_shape);
  for (std::size_t i = 0; i < model.size(); ++i) {
    Layer& layer = model[i];
    x = layer.forward(x);
    double macs = 0.0;
    // A convolution does C*KH*KW multiply-adds for each of its B*OC*OH*OW outputs; Dense does
    // `in` for each of its B*out outputs.
    if (auto* conv = dynamic_cast<Conv2d*>(&layer))
      macs = double(x.size()) * double(conv->in_channels() * conv->window().kernel_h * conv->window().kernel_w);
    else if (auto* dense = dynamic_cast<Dense*>(&layer))
      macs = double(x.size()) * double(dense->in_features());
    rows.push_back({layer.name(), x.shape(), parameter_count(layer), macs});
  }
  return rows;
}

}  // namespace dlfs
