#include "02-mlp/sequential.hpp"

namespace dlfs {

std::size_t parameter_count(Layer& layer) {
  std::size_t n = 0;
  for (Parameter* p : layer.parameters())
    if (p->trainable) n += p->value.size();
  return n;
}

Sequential& Sequential::add(std::unique_ptr<Layer> layer) {
  const std::string prefix = std::to_string(layers_.size()) + ".";
  for (Parameter* p : layer->parameters()) p->name = prefix + p->name;
  layer->set_training(training_);
  layers_.push_back(std::move(layer));
  pass_on_input_grad();
  return *this;
}

// A layer needs dL/d(its input) only for something before it: the network's input, when the
// caller wants its gradient, or a layer with trainable parameters. Layers without parameters at
// the front pass the "not needed" on: an MLP's Flatten spares its first Dense layer dL/dx, 784 x
// 256 multiply-adds per example that would have been thrown away.
void Sequential::pass_on_input_grad() {
  bool needed = needs_input_grad_;
  for (auto& layer : layers_) {
    layer->set_needs_input_grad(needed);
    needed = needed || parameter_count(*layer) > 0;
  }
}

Tensor Sequential::forward(const Tensor& input) {
  if (layers_.empty()) return input;
  Tensor x = layers_.front()->forward(input);
  for (std::size_t i = 1; i < layers_.size(); ++i) x = layers_[i]->forward(x);
  return x;
}

Tensor Sequential::backward(const Tensor& doutput) {
  if (layers_.empty()) return doutput;
  Tensor grad = layers_.back()->backward(doutput);
  for (std::size_t i = layers_.size() - 1; i-- > 0;) {
    if (!layers_[i + 1]->needs_input_grad()) return Tensor();  // nothing before it has a gradient to take
    grad = layers_[i]->backward(grad);
  }
  return grad;
}

std::vector<Parameter*> Sequential::parameters() {
  std::vector<Parameter*> all;
  for (auto& layer : layers_)
    for (Parameter* p : layer->parameters()) all.push_back(p);
  return all;
}

std::string Sequential::name() const {
  std::string s = "Sequential(";
  for (std::size_t i = 0; i < layers_.size(); ++i) s += (i ? ", " : "") + layers_[i]->name();
  return s + ")";
}

std::string Sequential::batch_coupled_layer() const {
  for (const auto& layer : layers_)
    if (std::string coupled = layer->batch_coupled_layer(); !coupled.empty()) return coupled;
  return {};
}

void Sequential::set_training(bool training) {
  Layer::set_training(training);
  for (auto& layer : layers_) layer->set_training(training);
}

void Sequential::set_needs_input_grad(bool needed) {
  Layer::set_needs_input_grad(needed);
  pass_on_input_grad();
}

}  // namespace dlfs
