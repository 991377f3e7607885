#include "common/fashion_mnist.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "common/idx.hpp"

namespace dlfs {

const std::array<const char*, FashionMnist::kClasses> FashionMnist::class_names = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

std::string fashion_mnist_dir(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("DLFS_DATA"); env && *env) return env;
  return kDefaultFashionMnistDir;
}

LabeledImages load_idx_images(const std::string& images_path, const std::string& labels_path,
                              std::size_t limit) {
  const IdxArray images = read_idx(images_path);
  const IdxArray labels = read_idx(labels_path);
  if (images.dims.size() != 3)
    throw std::runtime_error(images_path + ": expected 3 dimensions (N, rows, cols), found " +
                             std::to_string(images.dims.size()));
  if (labels.dims.size() != 1)
    throw std::runtime_error(labels_path + ": expected 1 dimension (N), found " +
                             std::to_string(labels.dims.size()));
  if (images.dims[0] != labels.dims[0])
    throw std::runtime_error(images_path + ": holds " + std::to_string(images.dims[0]) +
                             " images but " + labels_path + " holds " +
                             std::to_string(labels.dims[0]) + " labels");
  const std::size_t rows = images.dims[1], cols = images.dims[2];
  std::size_t n = images.dims[0];
  if (limit > 0) n = std::min(n, limit);

  LabeledImages out;
  out.images = Tensor({n, 1, rows, cols});
  for (std::size_t i = 0; i < n * rows * cols; ++i) out.images[i] = float(images.data[i]) / 255.0f;
  out.labels.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (labels.data[i] >= FashionMnist::kClasses)
      throw std::runtime_error(labels_path + ": label " + std::to_string(labels.data[i]) +
                               " at index " + std::to_string(i) + " is not a class 0..9");
    out.labels[i] = labels.data[i];
  }
  return out;
}

FashionMnist load_fashion_mnist(const std::string& dir, std::size_t train_limit) {
  if (!std::filesystem::is_directory(dir))
    throw std::runtime_error(dir + ": no such directory (install Debian's dataset-fashion-mnist "
                             "with ./dlfs setup, or point --data or DLFS_DATA at the IDX files)");
  FashionMnist data;
  data.train = load_idx_images(dir + "/train-images-idx3-ubyte.gz", dir + "/train-labels-idx1-ubyte.gz", train_limit);
  data.test = load_idx_images(dir + "/t10k-images-idx3-ubyte.gz", dir + "/t10k-labels-idx1-ubyte.gz");
  for (const LabeledImages* split : {&data.train, &data.test})
    if (split->images.dim(2) != 28 || split->images.dim(3) != 28)
      throw std::runtime_error(dir + ": Fashion-MNIST images must be 28x28, found " +
                               std::to_string(split->images.dim(2)) + "x" +
                               std::to_string(split->images.dim(3)));
  return data;
}

}  // namespace dlfs
