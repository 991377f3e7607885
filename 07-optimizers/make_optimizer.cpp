#include "07-optimizers/make_optimizer.hpp"

#include <stdexcept>

#include "07-optimizers/adagrad.hpp"
#include "07-optimizers/adam.hpp"
#include "07-optimizers/rmsprop.hpp"
#include "07-optimizers/sgd_momentum.hpp"

namespace dlfs {

const std::vector<std::string> kOptimizerNames = {"sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adamw"};

std::unique_ptr<Optimizer> make_optimizer(const std::string& name, std::vector<Parameter*> parameters,
                                          float learning_rate) {
  if (name == "sgd") return std::make_unique<SGDMomentum>(std::move(parameters), learning_rate);
  if (name == "momentum" || name == "nesterov") {
    SGDOptions options;
    options.momentum = 0.9f;
    options.nesterov = name == "nesterov";
    return std::make_unique<SGDMomentum>(std::move(parameters), learning_rate, options);
  }
  if (name == "rmsprop") return std::make_unique<RMSprop>(std::move(parameters), learning_rate);
  if (name == "adagrad") return std::make_unique<Adagrad>(std::move(parameters), learning_rate);
  if (name == "adam") return std::make_unique<Adam>(std::move(parameters), learning_rate);
  if (name == "adamw") return std::make_unique<AdamW>(std::move(parameters), learning_rate);
  std::string valid;
  for (const auto& n : kOptimizerNames) valid += (valid.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown optimizer '" + name + "' (choose one of: " + valid + ")");
}

}  // namespace dlfs
