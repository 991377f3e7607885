#include "05-regularization/dropout_streams.hpp"

#include <stdexcept>

namespace dlfs {

namespace {

std::string key_of(const std::string& name) { return "dropout." + name + ".rng_state"; }

}  // namespace

NamedDropouts dropouts_of(Sequential& model) {
  NamedDropouts out;
  for (std::size_t i = 0; i < model.size(); ++i)
    if (auto* dropout = dynamic_cast<Dropout*>(&model[i])) out.emplace_back(std::to_string(i), dropout);
  return out;
}

void DropoutStreams::save_state(Trainer&, NamedTensors&, Metadata& metadata) {
  for (const auto& [name, dropout] : layers_) metadata[key_of(name)] = rng_state_to_hex(dropout->rng().state());
}

void DropoutStreams::load_state(Trainer&, const std::string& path, const Metadata& metadata) {
  std::vector<Rng::State> states;  // all read before any is set
  for (const auto& [name, dropout] : layers_) {
    const std::string key = key_of(name);
    const auto it = metadata.find(key);
    if (it == metadata.end()) throw std::runtime_error(path + ": checkpoint metadata has no \"" + key + "\"");
    try {
      states.push_back(rng_state_from_hex(it->second));
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(path + ": checkpoint metadata \"" + key + "\": " + e.what());
    }
  }
  for (std::size_t i = 0; i < layers_.size(); ++i) layers_[i].second->rng().set_state(states[i]);
}

}  // namespace dlfs
