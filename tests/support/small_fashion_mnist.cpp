#include "tests/support/small_fashion_mnist.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include "common/fashion_mnist.hpp"
#include "tests/support/tmp.hpp"

namespace dlfs::test {

namespace {

// An IDX file of unsigned bytes (common/idx.hpp has the layout): magic, dimensions, data.
void write_idx(const std::string& path, const std::vector<std::uint32_t>& dims, const std::uint8_t* data,
               std::size_t bytes) {
  std::ofstream out(path, std::ios::binary);
  const unsigned char magic[4] = {0, 0, 0x08, static_cast<unsigned char>(dims.size())};
  out.write(reinterpret_cast<const char*>(magic), 4);
  for (std::uint32_t d : dims) {
    const unsigned char be[4] = {static_cast<unsigned char>(d >> 24), static_cast<unsigned char>(d >> 16),
                                 static_cast<unsigned char>(d >> 8), static_cast<unsigned char>(d)};
    out.write(reinterpret_cast<const char*>(be), 4);
  }
  out.write(reinterpret_cast<const char*>(data), std::streamsize(bytes));
  REQUIRE(out.good());
}

// The first n images of a split, as train-images-idx3-ubyte and train-labels-idx1-ubyte (or t10k-...).
void write_split(const std::string& dir, const std::string& prefix, const LabeledImages& images, std::size_t n) {
  REQUIRE(images.size() >= n);
  std::vector<std::uint8_t> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = std::uint8_t(images.labels[i]);
  const std::uint32_t rows = std::uint32_t(images.rows), cols = std::uint32_t(images.cols);
  write_idx(dir + "/" + prefix + "-images-idx3-ubyte", {std::uint32_t(n), rows, cols}, images.pixels.data(),
            n * rows * cols);
  write_idx(dir + "/" + prefix + "-labels-idx1-ubyte", {std::uint32_t(n)}, labels.data(), n);
}

}  // namespace

const std::string& small_fashion_mnist(const std::string& name, std::size_t train, std::size_t test) {
  static std::map<std::string, std::string> written;  // name -> directory
  const auto it = written.find(name);
  if (it != written.end()) return it->second;
  const std::string source = fashion_mnist_dir();
  if (!std::filesystem::exists(source + "/train-images-idx3-ubyte.gz")) FAIL(source + " is missing: run ./dlfs setup");
  const FashionMnist data = load_fashion_mnist(source, train);
  const std::string dir = scratch_dir(name);
  write_split(dir, "train", data.train, train);
  write_split(dir, "t10k", data.test, test);
  return written[name] = dir;
}

}  // namespace dlfs::test
