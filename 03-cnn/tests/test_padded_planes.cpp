#include <catch2/catch.hpp>

#include <vector>

#include "03-cnn/im2col.hpp"
#include "03-cnn/padded_planes.hpp"
#include "common/random.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

TEST_CASE("Only stride-1 windows of 2P + 1 taps padded by P are 'same' convolutions", "[03-cnn][padded_planes]") {
  CHECK(is_same_convolution(Window::square(3, 1, 1)));
  CHECK(is_same_convolution(Window::square(5, 1, 2)));
  CHECK(is_same_convolution(Window::square(1)));
  CHECK(is_same_convolution(Window{3, 5, 1, 1, 1, 2}));
  CHECK_FALSE(is_same_convolution(Window::square(3, 2, 1)));  // a stride
  CHECK_FALSE(is_same_convolution(Window::square(5)));        // no padding: the output shrinks
  CHECK_FALSE(is_same_convolution(Window::square(2, 1, 1)));  // an even kernel
  CHECK_THROWS_WITH(padded_planes(4, 4, Window::square(3, 2, 1), 1), Catch::Contains("not a stride-1 'same' window"));
}

TEST_CASE("pad_planes puts every pixel at start + position and zeros everywhere else", "[03-cnn][padded_planes]") {
  // Two 2x3 images of one channel, a 3x3 window: pitch 4, one zero row after each image.
  const Tensor x({3, 1, 2, 3}, {9, 9, 9, 9, 9, 9,  //
                                1, 2, 3, 4, 5, 6,  //
                                7, 8, 9, 10, 11, 12});
  const PaddedPlanes p = padded_planes(2, 3, Window::square(3, 1, 1), 2);
  REQUIRE(p.pitch() == 4);
  REQUIRE(p.start() == 5);
  REQUIRE(p.positions() == 2 * 3 * 4);
  std::vector<float> planes(p.plane(), -1.0f);
  pad_planes(x, 1, p, planes.data());  // images 1 and 2
  // Read in lines of four: each image row is preceded by one zero, the right padding of the line
  // before and the left padding of its own; whole zero lines above and below each image.
  require_close(Tensor({p.plane()}, planes), Tensor({34}, {0, 0, 0, 0,    // above image 1
                                                            0, 1, 2, 3,    // image 1
                                                            0, 4, 5, 6,    //
                                                            0, 0, 0, 0,    // between the images
                                                            0, 7, 8, 9,    // image 2
                                                            0, 10, 11, 12,  //
                                                            0, 0, 0, 0,    // below image 2
                                                            0, 0, 0, 0,    // what the last position's
                                                            0, 0}));       // taps reach
}

TEST_CASE("The shifted rows are im2col's matrix at every real position", "[03-cnn][padded_planes]") {
  Rng rng(3);
  for (const Window& window : {Window::square(3, 1, 1), Window::square(5, 1, 2), Window{3, 5, 1, 1, 1, 2},
                               Window::square(1)}) {
    INFO(window.describe());
    const std::size_t B = 3, C = 2, H = 5, W = 6;
    const Tensor x = random_tensor({B, C, H, W}, rng);
    const Tensor cols = im2col(x, window);  // (C*KH*KW, B*H*W)
    const PaddedPlanes p = padded_planes(H, W, window, B);
    std::vector<float> planes(C * p.plane());
    pad_planes(x, 0, p, planes.data());
    std::vector<const float*> rows(cols.dim(0));
    shifted_rows(planes.data(), C, p, window, rows.data());
    std::size_t differ = 0;
    for (std::size_t k = 0; k < cols.dim(0); ++k)
      for (std::size_t b = 0; b < B; ++b)
        for (std::size_t i = 0; i < H; ++i)
          for (std::size_t j = 0; j < W; ++j)
            differ += rows[k][p.position(b, i, j)] != cols(k, (b * H + i) * W + j);
    CHECK(differ == 0);
  }
}

TEST_CASE("unpad_planes takes back the real positions, adding a bias per channel", "[03-cnn][padded_planes]") {
  Rng rng(4);
  const Tensor x = random_tensor({4, 3, 5, 7}, rng);
  const PaddedPlanes p = padded_planes(5, 7, Window::square(3, 1, 1), 2);
  std::vector<float> planes(3 * p.plane());
  pad_planes(x, 2, p, planes.data());
  Tensor y = Tensor::uninitialized(x.shape());
  std::fill(y.data(), y.data() + y.size(), -7.0f);
  const float bias[] = {0.5f, -1.0f, 2.0f};
  unpad_planes(planes.data() + p.start(), p.plane(), p, 2, y, bias);  // images 2 and 3
  for (std::size_t b = 0; b < 4; ++b)
    for (std::size_t c = 0; c < 3; ++c)
      for (std::size_t i = 0; i < 35; ++i) {
        const std::size_t at = (b * 3 + c) * 35 + i;
        REQUIRE(y[at] == (b < 2 ? -7.0f : x[at] + bias[c]));  // images 0 and 1 untouched
      }
}
