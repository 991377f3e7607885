// Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017): 70 000 28x28 grayscale images of clothing in
// 10 classes, 60 000 for training and 10 000 for testing. Debian ships it in the package
// dataset-fashion-mnist under /usr/share/datasets/fashion-mnist as four gzipped IDX files.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "common/tensor.hpp"

namespace dlfs {

struct LabeledImages {
  Tensor images;            // (N, 1, 28, 28), pixel / 255 in [0, 1]
  std::vector<int> labels;  // (N), class index 0..9
  std::size_t size() const { return labels.size(); }
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

// Loads both splits from `dir`. train_limit > 0 keeps only the first train_limit training
// examples (for quick runs). Throws std::runtime_error naming the file for any bad or missing
// file, and for images and labels that disagree in count or have the wrong shape.
FashionMnist load_fashion_mnist(const std::string& dir, std::size_t train_limit = 0);

// One split: images file + labels file (e.g. "train-images-idx3-ubyte.gz").
LabeledImages load_idx_images(const std::string& images_path, const std::string& labels_path,
                              std::size_t limit = 0);

}  // namespace dlfs
