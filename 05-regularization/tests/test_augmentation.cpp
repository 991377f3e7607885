#include "tests/support/eigen.hpp"
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <utility>

#include "05-regularization/augmentation.hpp"
#include "common/random.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

Tensor random_images(const Shape& shape, Rng& rng) {
  Tensor t(shape);
  rng.fill_uniform(t, 0.5f, 1.5f);  // never 0, so a pixel of fill is told apart from an image pixel
  return t;
}

// The reference crop, computed with Eigen as the definition says: pad each (H, W) plane with P
// pixels of fill on every side, then take the H x W block at (oy, ox).
Tensor eigen_crop(const Tensor& x, std::size_t padding, std::size_t oy, std::size_t ox, float fill) {
  using Plane = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Index b_n = Eigen::Index(x.dim(0)), c_n = Eigen::Index(x.dim(1)), h = Eigen::Index(x.dim(2)),
                     w = Eigen::Index(x.dim(3)), p = Eigen::Index(padding);
  Tensor y(x.shape());
  for (Eigen::Index bc = 0; bc < b_n * c_n; ++bc) {
    Eigen::Map<const Plane> plane(x.data() + bc * h * w, h, w);
    Plane padded = Plane::Constant(h + 2 * p, w + 2 * p, fill);
    padded.block(p, p, h, w) = plane;
    Eigen::Map<Plane>(y.data() + bc * h * w, h, w) = padded.block(Eigen::Index(oy), Eigen::Index(ox), h, w);
  }
  return y;
}

Tensor crop_each(const Tensor& x, std::size_t padding, std::size_t oy, std::size_t ox, float fill) {
  Tensor y(x.shape());
  const std::size_t per_image = x.size() / x.dim(0);
  for (std::size_t b = 0; b < x.dim(0); ++b)
    crop_padded(x.data() + b * per_image, y.data() + b * per_image, x.dim(1), x.dim(2), x.dim(3), padding, oy, ox,
                fill);
  return y;
}

// The offset a crop of an all-ones image was taken at, read from its border of zeros: with offset
// oy < P the top P - oy rows are zero, with oy > P the bottom oy - P rows (the same for columns).
std::pair<std::size_t, std::size_t> offset_of_ones_crop(const float* y, std::size_t h, std::size_t w,
                                                        std::size_t padding) {
  auto zero_row = [&](std::size_t i) {
    for (std::size_t j = 0; j < w; ++j)
      if (y[i * w + j] != 0.0f) return false;
    return true;
  };
  auto zero_col = [&](std::size_t j) {
    for (std::size_t i = 0; i < h; ++i)
      if (y[i * w + j] != 0.0f) return false;
    return true;
  };
  std::size_t top = 0, bottom = 0, left = 0, right = 0;
  while (top < h && zero_row(top)) ++top;
  while (bottom < h && zero_row(h - 1 - bottom)) ++bottom;
  while (left < w && zero_col(left)) ++left;
  while (right < w && zero_col(w - 1 - right)) ++right;
  REQUIRE((top == 0 || bottom == 0));
  REQUIRE((left == 0 || right == 0));
  return {padding - top + bottom, padding - left + right};
}

}  // namespace

TEST_CASE("Random crop and crop-and-flip keep the batch's shape", "[05-regularization][augmentation]") {
  Rng rng(1);
  for (const Shape& shape : {Shape{5, 1, 28, 28}, Shape{3, 2, 7, 9}, Shape{1, 3, 4, 4}}) {
    INFO("shape " << shape_to_string(shape));
    Tensor x = random_images(shape, rng);
    random_crop(2)(x, rng);
    CHECK(x.shape() == shape);
    crop_and_flip(3, -0.5f)(x, rng);
    CHECK(x.shape() == shape);
  }
}

TEST_CASE("Random crop refuses inputs that are not (B, C, H, W) images", "[05-regularization][augmentation]") {
  Rng rng(2);
  Tensor rows = random_images({4, 784}, rng);
  CHECK_THROWS_WITH(random_crop(2)(rows, rng), Catch::Matchers::Contains("expected images (B, C, H, W)"));
}

TEST_CASE("A crop at offset (P, P) is the identity", "[05-regularization][augmentation]") {
  Rng rng(3);
  const Tensor x = random_images({3, 2, 6, 5}, rng);
  for (std::size_t p : {0, 1, 2, 4}) {
    INFO("padding " << p);
    require_close(crop_each(x, p, p, p, 0.0f), x, 0.0, 0.0);
  }
}

TEST_CASE("A crop at every offset matches padding with zeros and cutting the window out (Eigen)",
          "[05-regularization][augmentation]") {
  Rng rng(4);
  const Tensor x = random_images({2, 3, 7, 6}, rng);
  for (std::size_t p : {1, 2, 3})
    for (std::size_t oy = 0; oy <= 2 * p; ++oy)
      for (std::size_t ox = 0; ox <= 2 * p; ++ox) {
        INFO("padding " << p << ", offset (" << oy << ", " << ox << ")");
        require_close(crop_each(x, p, oy, ox, 0.0f), eigen_crop(x, p, oy, ox, 0.0f), 0.0, 0.0);
      }
  // Larger shifts than the image (padding 8 on a 7 x 6 image) leave only fill.
  require_close(crop_each(x, 8, 0, 16, 0.0f), eigen_crop(x, 8, 0, 16, 0.0f), 0.0, 0.0);
  CHECK_THROWS_WITH(crop_each(x, 2, 5, 0, 0.0f), Catch::Matchers::Contains("outside [0, 4]"));
}

TEST_CASE("A crop at offset (0, 0) shifts the image down and right and leaves a border of zeros",
          "[05-regularization][augmentation]") {
  Rng rng(5);
  const std::size_t p = 2, h = 6, w = 5;
  const Tensor x = random_images({1, 1, h, w}, rng);
  const Tensor y = crop_each(x, p, 0, 0, 0.0f);
  for (std::size_t i = 0; i < h; ++i)
    for (std::size_t j = 0; j < w; ++j) {
      INFO("pixel (" << i << ", " << j << ")");
      if (i < p || j < p)
        CHECK(y(0, 0, i, j) == 0.0f);  // the top P rows and the left P columns are padding
      else
        CHECK(y(0, 0, i, j) == x(0, 0, i - p, j - p));
    }
  // With a fill value (a black pixel after standardization) the border is that value instead.
  const Tensor filled = crop_each(x, p, 2 * p, 2 * p, -0.42f);
  for (std::size_t i = 0; i < h; ++i)
    for (std::size_t j = 0; j < w; ++j)
      CHECK(filled(0, 0, i, j) == (i >= h - p || j >= w - p ? -0.42f : x(0, 0, i + p, j + p)));
}

TEST_CASE("Augmentation repeats from the seed and differs between seeds", "[05-regularization][augmentation]") {
  Rng data_rng(6);
  const Tensor x = random_images({16, 1, 28, 28}, data_rng);
  auto augmented = [&](std::uint64_t seed) {
    Tensor y = x;
    Rng rng(seed);
    const Augmentation augment = crop_and_flip(2);
    augment(y, rng);
    augment(y, rng);  // a second batch from the same stream
    return y;
  };
  require_close(augmented(11), augmented(11), 0.0, 0.0);
  const Tensor a = augmented(11), b = augmented(12);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < a.size(); ++i) differ += a[i] != b[i];
  CHECK(differ > a.size() / 4);
}

TEST_CASE("A DataLoader with crop-and-flip gives the same batches for the same seed",
          "[05-regularization][augmentation]") {
  Rng data_rng(7);
  const std::size_t n = 40;
  Tensor images = random_images({n, 1, 8, 8}, data_rng);
  std::vector<int> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = int(i % 10);
  const Examples data = examples_from_tensor(images, Targets(labels));
  LoaderOptions options;
  options.batch_size = 16;
  options.drop_last = true;
  options.augment = crop_and_flip(2);
  DataLoader first(data, options, Rng(3)), second(data, options, Rng(3));
  for (int epoch = 0; epoch < 2; ++epoch) {
    first.start_epoch(), second.start_epoch();
    REQUIRE(first.batches() == 2);  // 40 / 16, the last 8 dropped
    for (std::size_t i = 0; i < first.batches(); ++i) {
      const Batch a = first.batch(i), b = second.batch(i);
      CHECK(a.indices == b.indices);
      require_close(a.inputs, b.inputs, 0.0, 0.0);
    }
  }
}

TEST_CASE("Random crop offsets cover all (2P + 1)^2 positions uniformly", "[05-regularization][augmentation]") {
  const std::size_t p = 2, side = 2 * p + 1, n = 12500, h = 8, w = 7;
  Tensor ones({n, 1, h, w}, 1.0f);
  Rng rng(8);
  random_crop(p)(ones, rng);
  std::map<std::pair<std::size_t, std::size_t>, std::size_t> counts;
  for (std::size_t b = 0; b < n; ++b) ++counts[offset_of_ones_crop(ones.data() + b * h * w, h, w, p)];
  REQUIRE(counts.size() == side * side);
  // Pearson's chi-squared against the uniform distribution: 24 degrees of freedom, whose 99.9th
  // percentile is 51.2.
  const double expected = double(n) / double(side * side);
  double chi2 = 0;
  for (const auto& [offset, count] : counts) {
    INFO("offset (" << offset.first << ", " << offset.second << "): " << count);
    CHECK(offset.first <= 2 * p);
    CHECK(offset.second <= 2 * p);
    chi2 += (double(count) - expected) * (double(count) - expected) / expected;
  }
  CHECK(chi2 < 51.2);
}

TEST_CASE("Crop-and-flip crops, then mirrors about half of the images", "[05-regularization][augmentation]") {
  Rng data_rng(9);
  const std::size_t n = 4000;
  const Tensor x = random_images({n, 1, 6, 6}, data_rng);
  Tensor both = x, crop_only = x;
  Rng a(10), b(10);
  crop_and_flip(1)(both, a);
  random_crop(1)(crop_only, b);  // the same offsets: the crop draws first
  std::size_t flipped = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float* y = both.data() + i * 36;
    const float* c = crop_only.data() + i * 36;
    bool same = true, mirrored = true;
    for (std::size_t r = 0; r < 6; ++r)
      for (std::size_t col = 0; col < 6; ++col) {
        same = same && y[r * 6 + col] == c[r * 6 + col];
        mirrored = mirrored && y[r * 6 + col] == c[r * 6 + 5 - col];
      }
    REQUIRE((same || mirrored));
    flipped += mirrored && !same;
  }
  // Binomial(4000, 0.5): standard deviation 31.6; allow 5 of them.
  CHECK(std::fabs(double(flipped) - 2000.0) < 5 * 31.6);
}
