#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "common/fashion_mnist.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;

namespace {

// An IDX file of unsigned bytes: the header (magic, type 0x08, the dimensions big-endian), then data.
std::vector<unsigned char> idx_bytes(const std::vector<std::uint32_t>& dims, const std::vector<unsigned char>& data) {
  std::vector<unsigned char> b = {0, 0, 0x08, (unsigned char)dims.size()};
  for (std::uint32_t d : dims) b.insert(b.end(), {(unsigned char)(d >> 24), (unsigned char)(d >> 16), (unsigned char)(d >> 8), (unsigned char)d});
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

void write_file(const std::string& path, const std::vector<unsigned char>& bytes, bool gzip) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    REQUIRE(f);
    REQUIRE(gzwrite(f, bytes.data(), unsigned(bytes.size())) == int(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
}

// A tiny Fashion-MNIST in dir: n 28x28 images per split, image i filled with the byte i + 1 but for
// a black second pixel (an image of one value is refused), and labelled i % 10; the training split
// gzipped under Debian's names, the test split as given.
void write_tiny_set(const std::string& dir, std::size_t n, bool gzip_train, bool gzip_test) {
  for (const auto& [prefix, gzip] : {std::pair{"train", gzip_train}, std::pair{"t10k", gzip_test}}) {
    std::vector<unsigned char> pixels, labels;
    for (std::size_t i = 0; i < n; ++i) {
      pixels.insert(pixels.end(), 28 * 28, (unsigned char)(i + 1));
      pixels[i * 28 * 28 + 1] = 0;
      labels.push_back((unsigned char)(i % 10));
    }
    const std::string suffix = gzip ? ".gz" : "";
    write_file(dir + "/" + prefix + "-images-idx3-ubyte" + suffix, idx_bytes({std::uint32_t(n), 28, 28}, pixels), gzip);
    write_file(dir + "/" + prefix + "-labels-idx1-ubyte" + suffix, idx_bytes({std::uint32_t(n)}, labels), gzip);
  }
}

}  // namespace

TEST_CASE("The data directory comes from the flag, then DLFS_DATA, then Debian's path", "[common][data]") {
  unsetenv("DLFS_DATA");
  CHECK(fashion_mnist_dir() == "/usr/share/datasets/fashion-mnist");
  setenv("DLFS_DATA", "/env/dir", 1);
  CHECK(fashion_mnist_dir() == "/env/dir");
  CHECK(fashion_mnist_dir("/flag/dir") == "/flag/dir");
  unsetenv("DLFS_DATA");
}

TEST_CASE("A missing data directory says how to get the data", "[common][data]") {
  const std::string dir = test::scratch_dir("fmnist") + "/absent";
  CHECK_THROWS_WITH(load_fashion_mnist(dir), Catch::Contains(dir + ": no such directory") &&
                                                 Catch::Contains("dataset-fashion-mnist"));
}

TEST_CASE("Fashion-MNIST loads uncompressed IDX files as well as gzipped ones", "[common][data]") {
  const std::string dir = test::scratch_dir("fmnist-plain");
  write_tiny_set(dir, 3, false, false);  // train-images-idx3-ubyte, ... (no .gz anywhere)
  const FashionMnist plain = load_fashion_mnist(dir);
  REQUIRE(plain.train.size() == 3);
  REQUIRE(plain.test.size() == 3);
  CHECK(plain.train.pixels[2 * 28 * 28] == 3);
  CHECK(plain.test.labels == std::vector<int>{0, 1, 2});

  const std::string mixed = test::scratch_dir("fmnist-mixed");
  write_tiny_set(mixed, 2, true, false);  // the training split gzipped, the test split plain
  const FashionMnist data = load_fashion_mnist(mixed, 1);
  CHECK(data.train.size() == 1);
  CHECK(data.test.size() == 2);
  CHECK(data.test.pixels.back() == 2);
}

TEST_CASE("A missing Fashion-MNIST file is named with both its names and the Debian package", "[common][data]") {
  const std::string dir = test::scratch_dir("fmnist-missing");
  write_tiny_set(dir, 2, true, true);
  std::filesystem::remove(dir + "/t10k-labels-idx1-ubyte.gz");
  CHECK_THROWS_WITH(load_fashion_mnist(dir),
                    Catch::Contains(dir + "/t10k-labels-idx1-ubyte.gz: no such file (nor t10k-labels-idx1-ubyte "
                                          "uncompressed)") &&
                        Catch::Contains("dataset-fashion-mnist"));
}

TEST_CASE("A split of no images, or training images of one value, is refused by file name", "[common][data]") {
  // Well-formed IDX files, but no accuracy can be measured on no images (0 / 0), and standardizing
  // pixels whose standard deviation is 0 divides by it.
  const std::string empty = test::scratch_dir("fmnist-empty");
  write_tiny_set(empty, 2, true, true);
  write_file(empty + "/t10k-images-idx3-ubyte.gz", idx_bytes({0, 28, 28}, {}), true);
  write_file(empty + "/t10k-labels-idx1-ubyte.gz", idx_bytes({0}, {}), true);
  CHECK_THROWS_WITH(load_fashion_mnist(empty), empty + "/t10k-images-idx3-ubyte.gz: holds no images");

  const std::string black = test::scratch_dir("fmnist-black");
  write_tiny_set(black, 3, true, true);
  write_file(black + "/train-images-idx3-ubyte.gz", idx_bytes({3, 28, 28}, std::vector<unsigned char>(3 * 28 * 28, 0)),
             true);
  CHECK_THROWS_WITH(load_fashion_mnist(black),
                    Catch::StartsWith(black + "/train-images-idx3-ubyte.gz: every pixel of every image is 0") &&
                        Catch::Contains("nothing to learn from"));
}

TEST_CASE("Fashion-MNIST loads from Debian's package with the published sizes", "[common][data][real-data]") {
  const std::string dir = fashion_mnist_dir();
  if (!std::filesystem::exists(dir + "/train-images-idx3-ubyte.gz")) FAIL(dir + " is missing: run ./dlfs setup");
  FashionMnist data = load_fashion_mnist(dir, 1000);
  CHECK(data.train.size() == 1000);
  CHECK(data.train.pixels.size() == 1000 * 28 * 28);
  CHECK(data.test.size() == 10000);
  CHECK(data.test.range(0, 10).shape() == Shape{10, 1, 28, 28});
  // The first training image is an ankle boot (label 9), the first test image too.
  CHECK(data.train.labels[0] == 9);
  CHECK(data.test.labels[0] == 9);
  std::vector<int> counts(10);
  for (int y : data.test.labels) counts[y]++;
  for (int c : counts) CHECK(c == 1000);  // the test split is balanced
  Tensor all = data.test.range(0, data.test.size());
  float lo = 1, hi = 0;
  for (float v : all) lo = std::min(lo, v), hi = std::max(hi, v);
  CHECK(lo == 0.0f);
  CHECK(hi == 1.0f);
  // The published training-set statistics: mean 0.2860, standard deviation 0.3530.
  const auto [mean, stddev] = load_fashion_mnist(dir).train.pixel_mean_stddev();
  CHECK(mean == Approx(0.2860).margin(5e-4));
  CHECK(stddev == Approx(0.3530).margin(5e-4));
}

TEST_CASE("A batch gathers, scales and standardizes the chosen images", "[common][data]") {
  LabeledImages images;
  images.rows = 1, images.cols = 2;
  images.pixels = {0, 255, 51, 102};
  images.labels = {0, 1};
  Tensor x = images.batch({1, 0}, 0.5f, 0.5f);  // (2, 1, 1, 2)
  CHECK(x.shape() == Shape{2, 1, 1, 2});
  CHECK(x[0] == Approx(-0.6f));
  CHECK(x[1] == Approx(-0.2f));
  CHECK(x[2] == Approx(-1.0f));
  CHECK(x[3] == Approx(1.0f));
  CHECK_THROWS_WITH(images.batch({2}), Catch::Contains("index 2 of 2 images"));
}
