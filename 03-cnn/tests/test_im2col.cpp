#include <catch2/catch.hpp>

#include "03-cnn/im2col.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

TEST_CASE("im2col copies every window into one row", "[03-cnn][im2col]") {
  const Tensor x({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});  // (B, C, H, W)
  const Tensor cols = im2col(x, Window::square(2));              // (C*KH*KW, B*OH*OW) = (4, 4)
  // Column p holds window p; row k holds tap k of every window.
  require_close(cols, Tensor({4, 4}, {1, 2, 4, 5,  //
                                      2, 3, 5, 6,  //
                                      4, 5, 7, 8,  //
                                      5, 6, 8, 9}));
}

TEST_CASE("im2col fills the padding with zeros", "[03-cnn][im2col]") {
  const Tensor x({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor cols = im2col(x, Window::square(3, 1, 1));  // (9, 4): 9 taps, 4 windows
  // Window p is column p; read down a column to see the 3x3 neighbourhood of pixel p, zero-padded.
  require_close(cols, Tensor({9, 4}, {0, 0, 0, 1,  //
                                      0, 0, 1, 2,  //
                                      0, 0, 2, 0,  //
                                      0, 1, 0, 3,  //
                                      1, 2, 3, 4,  //
                                      2, 0, 4, 0,  //
                                      0, 3, 0, 0,  //
                                      3, 4, 0, 0,  //
                                      4, 0, 0, 0}));
}

TEST_CASE("im2col orders rows (channel, row, column) and columns (image, row, column)", "[03-cnn][im2col]") {
  // Two images of two channels, 1x2 each; a 1x1 window makes row c channel c of every pixel.
  const Tensor x({2, 2, 1, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  require_close(im2col(x, Window::square(1)), Tensor({2, 4}, {1, 2, 5, 6,  //
                                                              3, 4, 7, 8}));
}

TEST_CASE("col2im is the adjoint of im2col for strides, paddings and rectangular windows", "[03-cnn][im2col]") {
  // <im2col(x), c> = <x, col2im(c)> for all x and c is what makes col2im the backward of im2col.
  const std::vector<std::pair<Shape, Window>> cases = {
      {{2, 3, 5, 4}, Window::square(3)},
      {{2, 2, 6, 7}, Window::square(3, 2, 1)},
      {{1, 3, 5, 5}, Window::square(5, 1, 2)},
      {{3, 1, 7, 4}, Window{3, 2, 2, 1, 0, 1}},
      {{2, 2, 4, 4}, Window::square(2, 3)},  // stride > kernel: some pixels are in no window
  };
  Rng rng(11);
  for (const auto& [shape, window] : cases) {
    INFO("input " << shape_to_string(shape) << ", window " << window.describe());
    const Tensor x = random_tensor(shape, rng);
    const Tensor cols = im2col(x, window);
    const Tensor c = random_tensor(cols.shape(), rng);
    CHECK(dot(cols, c) == Approx(dot(x, col2im(c, shape, window))).epsilon(1e-5));
  }
}

TEST_CASE("col2im of ones counts the windows each pixel falls in", "[03-cnn][im2col]") {
  const Window w = Window::square(3);
  const Shape shape{1, 1, 4, 4};
  const Tensor counts = col2im(Tensor({9, 4}, 1.0f), shape, w);
  require_close(counts, Tensor(shape, {1, 2, 2, 1,  //
                                       2, 4, 4, 2,  //
                                       2, 4, 4, 2,  //
                                       1, 2, 2, 1}));
}

TEST_CASE("im2col of a batch puts each image's columns side by side, also on several threads", "[03-cnn][im2col]") {
  Rng rng(12);
  const Tensor x = random_tensor({8, 4, 64, 64}, rng);  // 8 x 36 x 1024 floats of cols: the OpenMP path
  const Window w = Window::square(3, 2, 1);
  const Tensor cols = im2col(x, w);  // (36, 8*32*32)
  const std::size_t per_image = 32 * 32, image = 4 * 64 * 64, P = 8 * per_image;
  REQUIRE(cols.shape() == Shape{36, P});
  for (std::size_t b : {0, 5, 7}) {
    Tensor one({1, 4, 64, 64});
    std::copy(x.data() + b * image, x.data() + (b + 1) * image, one.data());
    const Tensor expected = im2col(one, w);  // (36, 1024)
    Tensor block({36, per_image});
    for (std::size_t k = 0; k < 36; ++k)
      std::copy(cols.data() + k * P + b * per_image, cols.data() + k * P + (b + 1) * per_image, block.data() + k * per_image);
    require_close(block, expected, 0, 0);
  }
}

TEST_CASE("im2col and col2im name bad shapes", "[03-cnn][im2col]") {
  CHECK_THROWS_WITH(im2col(Tensor({2, 784}), Window::square(3)), "im2col: input must be (B, C, H, W), got (2, 784)");
  CHECK_THROWS_WITH(im2col(Tensor({1, 1, 2, 2}), Window::square(3)), Catch::Contains("does not fit an input height of 2"));
  CHECK_THROWS_WITH(col2im(Tensor({8, 4}), {1, 1, 3, 3}, Window::square(2)),
                    "col2im: columns of shape (8, 4) for an input of shape (1, 1, 3, 3) need shape (4, 4)");
}
