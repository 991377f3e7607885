#include "08-utilities/data_loader.hpp"

#include <algorithm>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>

namespace dlfs {

DataLoader::DataLoader(Examples data, LoaderOptions options, Rng rng)
    : data_(std::move(data)), options_(std::move(options)), rng_(rng) {
  if (options_.batch_size == 0) throw std::invalid_argument("DataLoader: batch size must be positive");
}

void DataLoader::start_epoch() {
  if (options_.shuffle) {
    order_ = rng_.permutation(data_.size());  // the same draw as chapter 02's train_epoch
  } else {
    order_.resize(data_.size());
    std::iota(order_.begin(), order_.end(), std::size_t(0));
  }
}

std::size_t DataLoader::batches() const {
  const std::size_t n = data_.size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

Batch DataLoader::batch(std::size_t i) {
  if (order_.size() != data_.size()) throw std::logic_error("DataLoader: call start_epoch() before batch()");
  if (i >= batches())
    throw std::out_of_range("DataLoader: batch " + std::to_string(i) + " of " + std::to_string(batches()));
  const std::size_t begin = i * options_.batch_size;
  const std::size_t end = std::min(begin + options_.batch_size, data_.size());
  Batch b = make_batch(data_, {order_.begin() + std::ptrdiff_t(begin), order_.begin() + std::ptrdiff_t(end)});
  if (options_.augment) options_.augment(b.inputs, rng_);  // inputs (B, ...)
  return b;
}

Examples subset(const Examples& data, std::vector<std::size_t> indices) {
  for (std::size_t k = 0; k < indices.size(); ++k)
    if (indices[k] >= data.size())
      throw std::out_of_range("subset: index " + std::to_string(indices[k]) + " of " + std::to_string(data.size()));
  Targets targets = data.targets.rows(indices);
  auto map = std::make_shared<const std::vector<std::size_t>>(std::move(indices));
  auto inputs = data.inputs;
  return {[map, inputs](const std::vector<std::size_t>& idx) {
            std::vector<std::size_t> original(idx.size());
            for (std::size_t k = 0; k < idx.size(); ++k) original[k] = map->at(idx[k]);
            return inputs(original);
          },
          std::move(targets)};
}

std::pair<Examples, Examples> split_validation(const Examples& data, std::size_t validation_size, Rng& rng) {
  if (validation_size == 0 || validation_size >= data.size())
    throw std::invalid_argument("split_validation: validation size " + std::to_string(validation_size) +
                                " must be between 1 and " + std::to_string(data.size() - 1));
  std::vector<std::size_t> order = rng.permutation(data.size());
  const auto cut = order.begin() + std::ptrdiff_t(data.size() - validation_size);
  std::vector<std::size_t> validation(cut, order.end());
  order.erase(cut, order.end());
  return {subset(data, std::move(order)), subset(data, std::move(validation))};
}

Augmentation random_horizontal_flip(float p) {
  return [p](Tensor& inputs, Rng& rng) {
    // inputs (B, ..., W): every row of width W inside one example is reversed together.
    const std::size_t batch = inputs.dim(0), width = inputs.shape().back();
    const std::size_t per_example = batch ? inputs.size() / batch : 0;
    for (std::size_t b = 0; b < batch; ++b) {
      if (rng.uniform() >= p) continue;
      float* example = inputs.data() + b * per_example;
      for (std::size_t row = 0; row < per_example; row += width) std::reverse(example + row, example + row + width);
    }
  };
}

}  // namespace dlfs
