#include "02-mlp/mlp.hpp"

#include <algorithm>
#include <stdexcept>

#include "02-mlp/activations.hpp"
#include "02-mlp/dense.hpp"
#include "02-mlp/flatten.hpp"

namespace dlfs {

const std::vector<std::string> kActivationNames = {"relu", "sigmoid", "tanh", "leaky_relu", "gelu"};

std::unique_ptr<Layer> make_activation(const std::string& name) {
  if (name == "relu") return std::make_unique<ReLU>();
  if (name == "sigmoid") return std::make_unique<Sigmoid>();
  if (name == "tanh") return std::make_unique<Tanh>();
  if (name == "leaky_relu") return std::make_unique<LeakyReLU>();
  if (name == "gelu") return std::make_unique<GELU>();
  std::string valid;
  for (const auto& n : kActivationNames) valid += (valid.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown activation '" + name + "' (choose one of: " + valid + ")");
}

Sequential make_mlp(std::size_t inputs, const std::vector<std::size_t>& hidden, std::size_t outputs,
                    const std::string& activation, Rng& rng) {
  make_activation(activation);  // validate before building anything
  const Init init = (activation == "sigmoid" || activation == "tanh") ? Init::Xavier : Init::He;
  Sequential model;
  model.emplace<Flatten>();  // images (B, 1, 28, 28) arrive as (B, 784)
  std::size_t width = inputs;
  for (std::size_t h : hidden) {
    if (h == 0) throw std::invalid_argument("make_mlp: a hidden layer needs at least one unit");
    model.emplace<Dense>(width, h, rng, init);
    model.add(make_activation(activation));
    width = h;
  }
  // The output layer feeds softmax cross-entropy; Xavier keeps the first logits small.
  model.emplace<Dense>(width, outputs, rng, Init::Xavier);
  return model;
}

std::vector<std::size_t> parse_hidden_widths(const std::string& text) {
  std::vector<std::size_t> widths;
  if (text.empty()) throw std::invalid_argument("--hidden: no widths given (expected e.g. 256,128)");
  for (std::size_t begin = 0; begin <= text.size();) {  // every item between commas, a last empty one too
    const std::size_t comma = std::min(text.find(',', begin), text.size());
    const std::string item = text.substr(begin, comma - begin);
    begin = comma + 1;
    std::size_t used = 0;
    long value = -1;
    try {
      value = std::stol(item, &used);
    } catch (const std::exception&) {
    }
    if (used != item.size() || value <= 0 || value > 100000)
      throw std::invalid_argument("--hidden: '" + item + "' is not a layer width from 1 to 100000 (expected e.g. 256,128)");
    widths.push_back(std::size_t(value));
  }
  return widths;
}

}  // namespace dlfs
