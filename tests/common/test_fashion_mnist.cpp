#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "common/fashion_mnist.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;

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

TEST_CASE("Fashion-MNIST loads from Debian's package with the published sizes", "[common][data][real-data]") {
  const std::string dir = fashion_mnist_dir();
  if (!std::filesystem::exists(dir + "/train-images-idx3-ubyte.gz")) FAIL(dir + " is missing: run ./dlfs setup");
  FashionMnist data = load_fashion_mnist(dir, 1000);
  CHECK(data.train.images.shape() == Shape{1000, 1, 28, 28});
  CHECK(data.test.images.shape() == Shape{10000, 1, 28, 28});
  CHECK(data.test.size() == 10000);
  // The first training image is an ankle boot (label 9), the first test image too.
  CHECK(data.train.labels[0] == 9);
  CHECK(data.test.labels[0] == 9);
  std::vector<int> counts(10);
  for (int y : data.test.labels) counts[y]++;
  for (int c : counts) CHECK(c == 1000);  // the test split is balanced
  float lo = 1, hi = 0;
  for (float v : data.test.images) lo = std::min(lo, v), hi = std::max(hi, v);
  CHECK(lo == 0.0f);
  CHECK(hi == 1.0f);
}
