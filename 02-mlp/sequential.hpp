// Sequential: layers applied one after another, y = f_n(...f_2(f_1(x))).
// Backward runs the chain rule in reverse: each layer turns dL/d(its output) into dL/d(its input).
#pragma once

#include <memory>
#include <vector>

#include "02-mlp/layer.hpp"

namespace dlfs {

class Sequential : public Layer {
 public:
  Sequential() = default;

  // Appends a layer and prefixes its parameter names with its position ("2.weight").
  Sequential& add(std::unique_ptr<Layer> layer);
  template <class L, class... Args>
  L& emplace(Args&&... args) {
    auto layer = std::make_unique<L>(std::forward<Args>(args)...);
    L& ref = *layer;
    add(std::move(layer));
    return ref;
  }

  Tensor forward(const Tensor& input) override;
  Tensor backward(const Tensor& doutput) override;
  std::vector<Parameter*> parameters() override;
  std::string name() const override;
  void set_training(bool training) override;
  void set_needs_input_grad(bool needed) override;
  std::string batch_coupled_layer() const override;

  std::size_t size() const { return layers_.size(); }
  Layer& operator[](std::size_t i) { return *layers_[i]; }

 private:
  void pass_on_input_grad();

  std::vector<std::unique_ptr<Layer>> layers_;
};

}  // namespace dlfs
