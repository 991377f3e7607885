#include "common/fashion_mnist.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include <zlib.h>

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

Tensor LabeledImages::batch(const std::vector<std::size_t>& indices, float mean, float stddev) const {
  const std::size_t pixels_per_image = rows * cols;
  Tensor x = Tensor::uninitialized({indices.size(), 1, rows, cols});  // (B, 1, rows, cols): every pixel written below
  const float scale = 1.0f / (255.0f * stddev), shift = -mean / stddev;
  for (std::size_t b = 0; b < indices.size(); ++b) {
    if (indices[b] >= size())
      throw std::out_of_range("LabeledImages::batch: index " + std::to_string(indices[b]) +
                              " of " + std::to_string(size()) + " images");
    // The images of a shuffled batch lie at random in 47 MB of pixels, more than the L3 holds:
    // each starts with a cache miss, which the prefetcher cannot foresee. Ask for the image after
    // the next one while this one is converted: a batch of 64 from 16 to 8 us (Zen 4;
    // one image ahead 10 us, three 8.5).
    if (b + 2 < indices.size() && indices[b + 2] < size()) {
      const std::uint8_t* ahead = pixels.data() + indices[b + 2] * pixels_per_image;
      for (std::size_t i = 0; i < pixels_per_image; i += 64) __builtin_prefetch(ahead + i);
    }
    const std::uint8_t* src = pixels.data() + indices[b] * pixels_per_image;
    float* dst = x.data() + b * pixels_per_image;
    for (std::size_t i = 0; i < pixels_per_image; ++i) dst[i] = float(src[i]) * scale + shift;
  }
  return x;
}

Tensor LabeledImages::range(std::size_t begin, std::size_t end, float mean, float stddev) const {
  std::vector<std::size_t> indices;
  for (std::size_t i = begin; i < end; ++i) indices.push_back(i);
  return batch(indices, mean, stddev);
}

std::uint32_t LabeledImages::checksum() const {
  uLong crc = crc32_z(0, Z_NULL, 0);
  crc = crc32_z(crc, pixels.data(), pixels.size());
  const std::vector<unsigned char> label_bytes(labels.begin(), labels.end());  // 0..9 each
  crc = crc32_z(crc, label_bytes.data(), label_bytes.size());
  return std::uint32_t(crc);
}

std::pair<float, float> LabeledImages::pixel_mean_stddev() const {
  double s = 0, s2 = 0;
  for (std::uint8_t p : pixels) {
    const double v = p / 255.0;
    s += v, s2 += v * v;
  }
  const double n = double(std::max<std::size_t>(1, pixels.size())), mean = s / n;
  return {float(mean), float(std::sqrt(std::max(0.0, s2 / n - mean * mean)))};
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
  out.rows = rows;
  out.cols = cols;
  out.pixels.assign(images.data.begin(), images.data.begin() + std::ptrdiff_t(n * rows * cols));
  out.labels.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (labels.data[i] >= FashionMnist::kClasses)
      throw std::runtime_error(labels_path + ": label " + std::to_string(labels.data[i]) +
                               " at index " + std::to_string(i) + " is not a class 0..9");
    out.labels[i] = labels.data[i];
  }
  return out;
}

namespace {

constexpr const char* kHowToGetIt =
    "install Debian's dataset-fashion-mnist with ./dlfs setup (or apt-get install dataset-fashion-mnist), "
    "or point --data or DLFS_DATA at a directory holding the four IDX files";

// The file `name` in dir: gzipped as Debian ships it ("name.gz"), or uncompressed ("name", as
// the files are after gunzip). zlib reads both, so only the name differs.
std::string idx_path(const std::string& dir, const std::string& name) {
  const std::string gz = dir + "/" + name + ".gz", plain = dir + "/" + name;
  if (std::filesystem::exists(gz)) return gz;
  if (std::filesystem::exists(plain)) return plain;
  throw std::runtime_error(gz + ": no such file (nor " + name + " uncompressed): " + kHowToGetIt);
}

}  // namespace

FashionMnist load_fashion_mnist(const std::string& dir, std::size_t train_limit) {
  if (!std::filesystem::is_directory(dir)) throw std::runtime_error(dir + ": no such directory (" + kHowToGetIt + ")");
  FashionMnist data;
  const std::string train_images = idx_path(dir, "train-images-idx3-ubyte");
  const std::string test_images = idx_path(dir, "t10k-images-idx3-ubyte");
  data.train = load_idx_images(train_images, idx_path(dir, "train-labels-idx1-ubyte"), train_limit);
  data.test = load_idx_images(test_images, idx_path(dir, "t10k-labels-idx1-ubyte"));
  for (const LabeledImages* split : {&data.train, &data.test})
    if (split->rows != 28 || split->cols != 28)
      throw std::runtime_error(dir + ": Fashion-MNIST images must be 28x28, found " +
                               std::to_string(split->rows) + "x" + std::to_string(split->cols));
  // Well-formed files that hold nothing to learn from or to measure are refused here, by name, and
  // not later as a division by zero: an empty split's accuracy is 0 / 0, and training images of one
  // constant value have a standard deviation of 0, which standardization divides by.
  for (const auto& [split, path] : {std::pair{&data.train, train_images}, std::pair{&data.test, test_images}})
    if (split->size() == 0) throw std::runtime_error(path + ": holds no images");
  const std::vector<std::uint8_t>& pixels = data.train.pixels;
  if (std::all_of(pixels.begin(), pixels.end(), [&](std::uint8_t p) { return p == pixels[0]; }))
    throw std::runtime_error(train_images + ": every pixel of every image is " + std::to_string(pixels[0]) +
                             ", so there is nothing to learn from (and the pixels' standard deviation is 0)");
  return data;
}

}  // namespace dlfs
