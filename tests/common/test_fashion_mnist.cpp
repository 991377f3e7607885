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
