#include "09-distributed/models.hpp"

#include <algorithm>
#include <stdexcept>

#include "02-mlp/mlp.hpp"
#include "03-cnn/models.hpp"

namespace dlfs {

const std::vector<std::string> kDistributedModelNames = {"mlp", "lenet", "alexnet", "bn-cnn", "vgg",
                                                         "resnet", "plain", "charlm"};

bool is_character_model(const std::string& name) { return name == "charlm"; }

// Chapter 05's networks with batch norm. Not every name chapter 05 knows: its "mlp" (the dropout
// experiment's wide MLP) is not one of them, and here "mlp" is chapter 02's.
bool has_batch_norm(const std::string& name) {
  return name == "bn-cnn" || name == "vgg" || name == "resnet" || name == "plain";
}

Sequential make_model(const std::string& name, const ModelSettings& settings, Rng& rng) {
  if (name == "mlp") return make_mlp(28 * 28, settings.mlp_hidden, 10, settings.mlp_activation, rng);
  if (name == "charlm") return make_char_model(settings.charlm, settings.vocabulary, rng);
  if (has_batch_norm(name)) return make_regularization_model(name, rng, settings.cnn);
  if (std::find(kCnnNames.begin(), kCnnNames.end(), name) != kCnnNames.end()) return make_cnn(name, rng);
  std::string valid;
  for (const std::string& n : kDistributedModelNames) valid += (valid.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown model '" + name + "' (" + valid + ")");
}

}  // namespace dlfs
