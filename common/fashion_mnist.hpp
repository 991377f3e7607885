// Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017): 70 000 28x28 grayscale images of clothing in
// 10 classes, 60 000 for training and 10 000 for testing. Debian ships it in the package
// dataset-fashion-mnist under /usr/share/datasets/fashion-mnist as four gzipped IDX files; the
// loader also reads them uncompressed.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <cstddef>
#include <string>
#include <vector>

#include "common/tensor.hpp"

namespace dlfs {

// Images stay as the bytes the file holds (a quarter of the memory of floats) and become float
// tensors one batch at a time, scaled to [0, 1] and optionally standardized.
struct LabeledImages {
  std::vector<std::uint8_t> pixels;  // (N, rows, cols), row-major bytes 0..255
  std::vector<int> labels;           // (N), class index 0..9
  std::size_t rows = 0, cols = 0;

  std::size_t size() const { return labels.size(); }
  // The images at `indices` as floats: x = (pixel / 255 - mean) / stddev.
  Tensor batch(const std::vector<std::size_t>& indices, float mean = 0.0f, float stddev = 1.0f) const;  // (B, 1, rows, cols)
  // Images [begin, end) in order (for evaluation).
  Tensor range(std::size_t begin, std::size_t end, float mean = 0.0f, float stddev = 1.0f) const;  // (end - begin, 1, rows, cols)
  // Mean and standard deviation of all pixels, scaled to [0, 1] (fit them on the training split only).
  std::pair<float, float> pixel_mean_stddev() const;
  // CRC-32 (zlib's) of the pixels, then the labels: a fingerprint for telling two data sets apart.
  std::uint32_t checksum() const;
};

struct FashionMnist {
  LabeledImages train;  // 60 000 (or the first `limit`)
  LabeledImages test;   // 10 000
  static constexpr std::size_t kClasses = 10;
  static const std::array<const char*, kClasses> class_names;  // "T-shirt/top", "Trouser", ...
};

inline constexpr const char* kDefaultFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// The directory to read from: the flag's value if given, else $DLFS_DATA, else the Debian path.
std::string fashion_mnist_dir(const std::string& flag_value = "");

// Loads both splits from `dir`: train-images-idx3-ubyte.gz and the three others, or the same
// names without .gz (uncompressed). train_limit > 0 keeps only the first train_limit training
// examples (for quick runs). Throws std::runtime_error naming the file for any bad or missing
// file (a missing one names the Debian package that provides the set), and for images and
// labels that disagree in count or have the wrong shape.
FashionMnist load_fashion_mnist(const std::string& dir, std::size_t train_limit = 0);

// One split: images file + labels file (e.g. "train-images-idx3-ubyte.gz").
LabeledImages load_idx_images(const std::string& images_path, const std::string& labels_path,
                              std::size_t limit = 0);

}  // namespace dlfs
