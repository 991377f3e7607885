// common's Fashion-MNIST loader, load_fashion_mnist(dir), as every image example calls it on --data DIR.
// It reads two files per split, so one input holds two: a 4-byte big-endian length n, then n bytes of
// the images file, then the labels file (each gzipped or plain). Both splits get the same two files.
#include <algorithm>
#include <filesystem>

#include "common/fashion_mnist.hpp"
#include "tests/fuzz/targets.hpp"

namespace dlfs::fuzz {

namespace {

// (images, labels) from one input: the length prefix says where the images end (clamped to the input).
std::pair<Bytes, Bytes> split_input(Bytes bytes) {
  if (bytes.size() < 4) return {bytes, {}};
  const std::size_t n = std::size_t(bytes[0]) << 24 | std::size_t(bytes[1]) << 16 | std::size_t(bytes[2]) << 8 | bytes[3];
  const Bytes rest = bytes.subspan(4);
  const std::size_t images = std::min(n, rest.size());
  return {rest.first(images), rest.subspan(images)};
}

std::string join_input(const std::string& images, const std::string& labels) {
  const std::size_t n = images.size();
  return std::string{char(n >> 24), char(n >> 16), char(n >> 8), char(n)} + images + labels;
}

std::string idx_bytes(const std::vector<std::uint32_t>& dims, const std::string& data) {
  std::string b = {0, 0, 0x08, char(dims.size())};
  for (std::uint32_t d : dims) b += {char(d >> 24), char(d >> 16), char(d >> 8), char(d)};  // big-endian
  return b + data;
}

}  // namespace

bool fuzz_fashion_mnist(Bytes bytes) {
  const std::string dir = scratch_dir() + "/fashion-mnist";
  std::filesystem::create_directories(dir);
  const auto [images, labels] = split_input(bytes);
  for (const char* split : {"train", "t10k"}) {
    write_file(std::string("fashion-mnist/") + split + "-images-idx3-ubyte.gz", images);
    write_file(std::string("fashion-mnist/") + split + "-labels-idx1-ubyte.gz", labels);
  }
  FashionMnist data;
  if (!loads(dir, [&] { data = load_fashion_mnist(dir); })) return false;
  // What loaded is what the examples rely on: 28x28 images, one label 0..9 for each.
  for (const LabeledImages* set : {&data.train, &data.test}) {
    if (set->rows != 28 || set->cols != 28 || set->pixels.size() != set->size() * 28 * 28)
      throw Finding(dir + ": loaded " + std::to_string(set->pixels.size()) + " pixels for " + std::to_string(set->size()) +
                    " images of " + std::to_string(set->rows) + "x" + std::to_string(set->cols));
    for (int label : set->labels)
      if (label < 0 || label >= int(FashionMnist::kClasses)) throw Finding(dir + ": loaded label " + std::to_string(label));
  }
  return true;
}

void seed_fashion_mnist(const std::string& dir) {
  // Three images of 28x28 and their labels: the layout of Debian's files, with fewer images.
  std::string pixels;
  for (int i = 0; i < 3 * 28 * 28; ++i) pixels += char(i % 3 == 0 ? 0 : i * 7 % 256);
  const std::string images = idx_bytes({3, 28, 28}, pixels), labels = idx_bytes({3}, {9, 0, 7});
  write_bytes(dir + "/three-images", join_input(images, labels));
}

}  // namespace dlfs::fuzz
