#include "07-optimizers/optimizer_state.hpp"

#include <sstream>
#include <stdexcept>

namespace dlfs {

void check_hyperparameter(bool ok, const std::string& who, const std::string& rule, float value) {
  if (ok) return;
  std::ostringstream message;
  message << who << ": " << rule << ", got " << value;
  throw std::invalid_argument(message.str());
}

std::vector<Tensor> zeros_like(const std::vector<Parameter*>& params, float value) {
  std::vector<Tensor> out;
  out.reserve(params.size());
  for (const Parameter* p : params) out.emplace_back(p->value.shape(), value);
  return out;
}

void add_named_state(NamedState& out, const std::vector<Parameter*>& params,
                     std::vector<Tensor>& tensors, const std::string& suffix) {
  for (std::size_t i = 0; i < params.size(); ++i) out.emplace_back(params[i]->name + "." + suffix, &tensors[i]);
}

}  // namespace dlfs
