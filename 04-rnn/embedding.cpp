#include "04-rnn/embedding.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace dlfs {

Embedding::Embedding(std::size_t num_embeddings, std::size_t embedding_dim, Rng& rng)
    : num_(num_embeddings), dim_(embedding_dim), weight_("weight", Tensor({num_embeddings, embedding_dim})) {
  if (num_ == 0 || dim_ == 0) throw std::invalid_argument(name() + ": sizes must be positive");
  if (num_ > (std::size_t(1) << 24))
    throw std::invalid_argument(name() + ": ids travel as floats, which hold integers exactly only up to 2^24");
  rng.fill_normal(weight_.value, 0.0f, 1.0f);
}

std::string Embedding::name() const {
  return "Embedding(" + std::to_string(num_) + ", " + std::to_string(dim_) + ")";
}

Tensor Embedding::forward(const Tensor& ids) {
  std::vector<std::size_t> checked(ids.size());  // the cache changes only once every id is good
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const float id = ids[i];
    // NaN fails every comparison, so it is refused here too.
    if (!(id >= 0.0f && id < float(num_) && std::floor(id) == id)) {
      std::ostringstream msg;
      msg << name() << ": id " << id << " at flat position " << i << " of the input "
          << shape_to_string(ids.shape()) << " is not an integer in [0, " << num_ << ")";
      throw std::invalid_argument(msg.str());
    }
    checked[i] = std::size_t(id);
  }
  ids_ = std::move(checked);
  Shape out_shape = ids.shape();
  out_shape.push_back(dim_);
  Tensor y = Tensor::uninitialized(out_shape);  // (..., D)
  // y[i, :] = W[id_i, :]
  for (std::size_t i = 0; i < ids_.size(); ++i)
    std::copy_n(weight_.value.data() + ids_[i] * dim_, dim_, y.data() + i * dim_);
  return y;
}

Tensor Embedding::backward(const Tensor& doutput) {
  if (doutput.size() != ids_.size() * dim_ || doutput.ndim() == 0 || doutput.shape().back() != dim_)
    throw std::invalid_argument(name() + ": output gradient of shape " + shape_to_string(doutput.shape()) +
                                " does not match the forward output (" + std::to_string(ids_.size()) +
                                " ids of " + std::to_string(dim_) + ")");
  // dW[id_i, :] += dy[i, :]: a scatter-add, so repeated ids add up
  float* dweight = weight_.grad.data();
  for (std::size_t i = 0; i < ids_.size(); ++i) {
    const float* dy = doutput.data() + i * dim_;
    float* row = dweight + ids_[i] * dim_;
    for (std::size_t j = 0; j < dim_; ++j) row[j] += dy[j];
  }
  return Tensor();
}

}  // namespace dlfs
