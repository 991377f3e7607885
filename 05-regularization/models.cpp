#include "05-regularization/models.hpp"

#include <memory>
#include <stdexcept>

#include "02-mlp/activations.hpp"
#include "02-mlp/dense.hpp"
#include "02-mlp/flatten.hpp"
#include "03-cnn/conv2d.hpp"
#include "03-cnn/pool.hpp"
#include "05-regularization/batch_norm.hpp"
#include "05-regularization/bias_free_conv2d.hpp"
#include "05-regularization/dropout.hpp"
#include "05-regularization/global_avg_pool.hpp"
#include "05-regularization/residual.hpp"

namespace dlfs {

const std::vector<std::string> kRegularizationModelNames = {"bn-cnn", "vgg", "resnet", "plain", "mlp"};

namespace {

// [Conv2d(in, out, 3x3, stride, padding 1) BN ReLU], or [Conv2d ReLU] without batch norm (the
// convolution then keeps its bias: nothing after it subtracts a mean).
void conv_block(Sequential& m, std::size_t in, std::size_t out, Rng& rng, bool batch_norm, std::size_t stride = 1) {
  if (batch_norm) {
    m.emplace<BiasFreeConv2d>(in, out, 3, rng, stride, 1);
    m.emplace<BatchNorm2d>(out);
  } else {
    m.emplace<Conv2d>(in, out, 3, rng, stride, 1);
  }
  m.emplace<ReLU>();
}

std::size_t width_or(const ModelOptions& options, std::size_t default_width) {
  return options.width ? options.width : default_width;
}

void check_blocks(const ModelOptions& options, const char* who) {
  if (options.blocks == 0) throw std::invalid_argument(std::string(who) + ": needs at least one block per stage");
}

}  // namespace

Sequential make_bn_cnn(Rng& rng, const ModelOptions& options) {
  const std::size_t w = width_or(options, 32);
  const bool bn = options.batch_norm;
  Sequential m;
  conv_block(m, 1, w, rng, bn);          // (B, w, 28, 28)
  conv_block(m, w, w, rng, bn);          // (B, w, 28, 28)
  m.emplace<MaxPool2d>(2);               // (B, w, 14, 14)
  conv_block(m, w, 2 * w, rng, bn);      // (B, 2w, 14, 14)
  conv_block(m, 2 * w, 2 * w, rng, bn);  // (B, 2w, 14, 14)
  m.emplace<MaxPool2d>(2);               // (B, 2w, 7, 7)
  m.emplace<Flatten>();                  // (B, 2w*49)
  m.emplace<Dense>(2 * w * 49, 128, rng);  // (B, 128)
  if (bn) m.emplace<BatchNorm1d>(128);
  m.emplace<ReLU>();
  if (options.dropout > 0.0f) m.emplace<Dropout>(options.dropout, rng);
  m.emplace<Dense>(128, 10, rng, Init::Xavier);  // (B, 10)
  return m;
}

Sequential make_vgg(Rng& rng, const ModelOptions& options) {
  const std::size_t w = width_or(options, 16);
  const bool bn = options.batch_norm;
  Sequential m;
  std::size_t in = 1, size = 28;
  for (std::size_t out : {w, 2 * w, 4 * w}) {  // channels double per stage
    conv_block(m, in, out, rng, bn);            // (B, out, size, size)
    conv_block(m, out, out, rng, bn);           // (B, out, size, size)
    m.emplace<MaxPool2d>(2);                    // (B, out, size/2, size/2): 28 -> 14 -> 7 -> 3
    in = out, size /= 2;
  }
  m.emplace<Flatten>();                         // (B, 4w*9)
  m.emplace<Dense>(in * size * size, 256, rng); // (B, 256)
  m.emplace<ReLU>();
  if (options.dropout > 0.0f) m.emplace<Dropout>(options.dropout, rng);
  m.emplace<Dense>(256, 10, rng, Init::Xavier); // (B, 10)
  return m;
}

Sequential make_resnet(Rng& rng, const ModelOptions& options) {
  check_blocks(options, "make_resnet");
  const std::size_t w = width_or(options, 16), n = options.blocks;
  Sequential m;
  m.emplace<BiasFreeConv2d>(1, w, 3, rng, 1, 1);  // stem: (B, w, 28, 28)
  m.emplace<BatchNorm2d>(w);
  m.emplace<ReLU>();
  std::size_t in = w;
  for (std::size_t stage = 0; stage < 3; ++stage) {
    const std::size_t out = w << stage;  // w, 2w, 4w
    for (std::size_t block = 0; block < n; ++block) {
      // The first block of stages 2 and 3 halves the map (stride 2) and doubles the channels.
      const std::size_t stride = stage > 0 && block == 0 ? 2 : 1;
      m.add(make_basic_block(in, out, stride, rng));  // (B, out, 28 >> stage, 28 >> stage)
      in = out;
    }
  }
  m.emplace<GlobalAvgPool2d>();                 // (B, 4w)
  m.emplace<Dense>(in, 10, rng, Init::Xavier);  // (B, 10)
  return m;
}

Sequential make_plain_cnn(Rng& rng, const ModelOptions& options) {
  check_blocks(options, "make_plain_cnn");
  const std::size_t w = width_or(options, 16), n = options.blocks;
  Sequential m;
  conv_block(m, 1, w, rng, true);  // stem: (B, w, 28, 28)
  std::size_t in = w;
  for (std::size_t stage = 0; stage < 3; ++stage) {
    const std::size_t out = w << stage;
    for (std::size_t block = 0; block < n; ++block) {
      const std::size_t stride = stage > 0 && block == 0 ? 2 : 1;
      conv_block(m, in, out, rng, true, stride);  // a basic block's two convolutions, without the "+ x"
      conv_block(m, out, out, rng, true);         // (B, out, 28 >> stage, 28 >> stage)
      in = out;
    }
  }
  m.emplace<GlobalAvgPool2d>();                 // (B, 4w)
  m.emplace<Dense>(in, 10, rng, Init::Xavier);  // (B, 10)
  return m;
}

Sequential make_wide_mlp(Rng& rng, const ModelOptions& options) {
  const std::size_t w = width_or(options, 1024);
  Sequential m;
  m.emplace<Flatten>();  // (B, 784)
  std::size_t in = 28 * 28;
  for (int layer = 0; layer < 2; ++layer) {
    m.emplace<Dense>(in, w, rng);  // (B, w)
    m.emplace<ReLU>();
    // Inverted dropout after each hidden layer: no unit can rely on one particular other unit.
    if (options.dropout > 0.0f) m.emplace<Dropout>(options.dropout, rng);
    in = w;
  }
  m.emplace<Dense>(w, 10, rng, Init::Xavier);  // (B, 10)
  return m;
}

Sequential make_regularization_model(const std::string& name, Rng& rng, const ModelOptions& options) {
  if (name == "bn-cnn") return make_bn_cnn(rng, options);
  if (name == "vgg") return make_vgg(rng, options);
  if (name == "resnet") return make_resnet(rng, options);
  if (name == "plain") return make_plain_cnn(rng, options);
  if (name == "mlp") return make_wide_mlp(rng, options);
  std::string valid;
  for (const auto& n : kRegularizationModelNames) valid += (valid.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown model '" + name + "' (choose one of: " + valid + ")");
}

namespace {

// x through one layer, adding the multiply-adds of every convolution and Dense layer it holds.
Tensor forward_counting(Layer& layer, const Tensor& x, double& macs) {
  if (auto* block = dynamic_cast<ResidualBlock*>(&layer)) {
    Tensor y = x;
    for (std::size_t i = 0; i < block->body().size(); ++i) y = forward_counting(block->body()[i], y, macs);
    Tensor s = x;
    for (std::size_t i = 0; i < block->shortcut().size(); ++i) s = forward_counting(block->shortcut()[i], s, macs);
    return layer.forward(x);
  }
  Tensor y = layer.forward(x);
  // A convolution does C*KH*KW multiply-adds for each of its outputs; Dense does `in` for each.
  if (auto* conv = dynamic_cast<Conv2d*>(&layer))
    macs += double(y.size()) * double(conv->in_channels() * conv->window().kernel_h * conv->window().kernel_w);
  else if (auto* dense = dynamic_cast<Dense*>(&layer))
    macs += double(y.size()) * double(dense->in_features());
  return y;
}

}  // namespace

std::vector<LayerSummary> summarize_network(Sequential& model, const Shape& input_shape) {
  // In evaluation mode (batch norm's running statistics, no dropout), and back in the caller's
  // mode on every way out: a forward pass that throws (a wrong input shape) included.
  struct ModeScope {
    Sequential& model;
    bool was_training = model.training();
    ~ModeScope() { model.set_training(was_training); }
  } scope{model};
  model.set_training(false);
  std::vector<LayerSummary> rows;
  Tensor x(input_shape);
  for (std::size_t i = 0; i < model.size(); ++i) {
    double macs = 0.0;
    x = forward_counting(model[i], x, macs);
    rows.push_back({model[i].name(), x.shape(), parameter_count(model[i]), macs});
  }
  return rows;
}

}  // namespace dlfs
