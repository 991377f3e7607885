#include <algorithm>
#include <catch2/catch.hpp>
#include <numeric>

#include "02-mlp/tests/layer_fixture.hpp"
#include "03-cnn/pool.hpp"
#include "tests/support/eigen.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

const std::vector<std::pair<Shape, Window>> kCases = {
    {{2, 3, 6, 6}, Window::square(2, 2)},     // LeNet's 2x2, stride 2
    {{2, 2, 7, 7}, Window::square(3, 2, 1)},  // AlexNet-style overlapping, padded
    {{1, 2, 7, 7}, Window::square(3, 2)},     // overlapping, unpadded
    {{2, 1, 5, 8}, Window{2, 3, 1, 2, 1, 1}}, // rectangular window on a non-square input
    {{1, 3, 5, 5}, Window::square(2, 2)},     // a left-over last row and column
};

std::string describe(const Shape& s, const Window& w) { return "input " + shape_to_string(s) + ", window " + w.describe(); }

// Pools every window with Eigen: f(block of the in-image part, number of in-image cells).
template <class F>
Tensor eigen_pool(const Tensor& x, const Window& w, F f) {
  const std::size_t B = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  const std::size_t OH = (H + 2 * w.pad_h - w.kernel_h) / w.stride_h + 1;
  const std::size_t OW = (W + 2 * w.pad_w - w.kernel_w) / w.stride_w + 1;
  Tensor y({B, C, OH, OW});
  for (std::size_t bc = 0; bc < B * C; ++bc) {
    const Eigen::Map<const Matrix> plane(x.data() + bc * H * W, Eigen::Index(H), Eigen::Index(W));
    for (std::size_t i = 0; i < OH; ++i)
      for (std::size_t j = 0; j < OW; ++j) {
        const long top = long(i * w.stride_h) - long(w.pad_h), left = long(j * w.stride_w) - long(w.pad_w);
        const long r0 = std::max(top, 0L), r1 = std::min(top + long(w.kernel_h), long(H));
        const long c0 = std::max(left, 0L), c1 = std::min(left + long(w.kernel_w), long(W));
        y[(bc * OH + i) * OW + j] = f(plane.block(r0, c0, r1 - r0, c1 - c0));
      }
  }
  return y;
}

// A tensor holding a shuffled 0, 0.1, 0.2, ...: no ties, and every gap (0.1) far above the
// finite-difference step, so no probe changes which input wins a window.
Tensor distinct_values(const Shape& shape, Rng& rng) {
  Tensor t(shape);
  std::vector<std::size_t> order = rng.permutation(t.size());
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = 0.1f * float(order[i]) - 1.0f;
  return t;
}

}  // namespace

TEST_CASE("MaxPool2d forward matches the maximum of each window computed with Eigen", "[03-cnn][pool][max]") {
  Rng rng(1);
  for (const auto& [shape, window] : kCases) {
    INFO(describe(shape, window));
    MaxPool2d pool(window);
    const Tensor x = random_tensor(shape, rng);
    require_close(pool.forward(x), eigen_pool(x, window, [](const auto& block) { return block.maxCoeff(); }), 0, 0);
  }
}

TEST_CASE("MaxPool2d backward matches central differences", "[03-cnn][pool][max][grad]") {
  Rng rng(2);
  for (const auto& [shape, window] : kCases) {
    INFO(describe(shape, window));
    MaxPool2d pool(window);
    Tensor x = distinct_values(shape, rng);
    const Tensor y = pool.forward(x);
    const Tensor g = random_tensor(y.shape(), rng);
    const Tensor dx = pool.backward(g);
    auto loss = [&] { return dot(pool.forward(x), g); };
    require_close(dx, numerical_gradient(loss, x, 1e-3), 1e-3, 1e-3);
  }
}

TEST_CASE("MaxPool2d sends the gradient of a tie to the first maximum in the window", "[03-cnn][pool][max][grad]") {
  MaxPool2d pool(2);
  // Window 1: 3 appears at (0, 1) and (1, 0): the first in row-major order, (0, 1), wins.
  // Window 2: all four equal: (0, 0) of the window wins.
  // Window 3: the lower row ties: (1, 0) of the window wins.
  const Tensor x({1, 1, 2, 6}, {1, 3, 5, 5, 0, 0,  //
                                3, 2, 5, 5, 7, 7});
  require_close(pool.forward(x), Tensor({1, 1, 1, 3}, {3, 5, 7}));
  CHECK(pool.argmax() == std::vector<std::uint32_t>{1, 2, 10});
  require_close(pool.backward(Tensor({1, 1, 1, 3}, {10, 20, 30})), Tensor({1, 1, 2, 6}, {0, 10, 20, 0, 0, 0,  //
                                                                                       0, 0, 0, 0, 30, 0}));
  // The general scan (a 2x2 window with stride 1 does not take the 2x2-stride-2 shortcut) agrees.
  MaxPool2d general(2, 1);
  general.forward(x);
  CHECK(general.argmax() == std::vector<std::uint32_t>{1, 2, 2, 10, 10});
}

TEST_CASE("MaxPool2d adds up the gradients of an input that wins overlapping windows", "[03-cnn][pool][max][grad]") {
  MaxPool2d pool(Window{1, 2, 1, 1, 0, 0});  // 1x2 windows, stride 1: they overlap
  const Tensor x({1, 1, 1, 3}, {1, 9, 2});
  require_close(pool.forward(x), Tensor({1, 1, 1, 2}, {9, 9}));
  require_close(pool.backward(Tensor({1, 1, 1, 2}, {0.5f, 0.25f})), Tensor({1, 1, 1, 3}, {0, 0.75f, 0}));
}

TEST_CASE("MaxPool2d never picks padding, even when every real value is negative", "[03-cnn][pool][max]") {
  MaxPool2d pool(3, 2, 1);
  const Tensor x({1, 1, 2, 2}, {-4, -3, -2, -1});
  require_close(pool.forward(x), Tensor({1, 1, 1, 1}, {-1}));
}

TEST_CASE("AvgPool2d forward matches the mean of each window computed with Eigen", "[03-cnn][pool][avg]") {
  Rng rng(3);
  for (const auto& [shape, window] : kCases) {
    INFO(describe(shape, window));
    const Tensor x = random_tensor(shape, rng);
    const float full = float(window.kernel_h * window.kernel_w);
    AvgPool2d counted(window, true), uncounted(window, false);
    require_close(counted.forward(x), eigen_pool(x, window, [&](const auto& block) { return block.sum() / full; }),
                  1e-6, 1e-5);
    require_close(uncounted.forward(x), eigen_pool(x, window, [](const auto& block) { return block.mean(); }), 1e-6,
                  1e-5);
  }
}

TEST_CASE("AvgPool2d counts the padding as zeros only when asked to", "[03-cnn][pool][avg]") {
  const Tensor ones({1, 1, 2, 2}, 1.0f);
  // One 3x3 window padded by 1 around a 2x2 image of ones: 4 real cells out of 9.
  CHECK(AvgPool2d(3, 1, 1, true).forward(ones)(0, 0, 0, 0) == Approx(4.0 / 9.0));
  CHECK(AvgPool2d(3, 1, 1, false).forward(ones)(0, 0, 0, 0) == Approx(1.0));
  CHECK(AvgPool2d(3, 1, 1, false).name() == "AvgPool2d(3x3, stride 1, padding 1, padding not counted)");
}

TEST_CASE("AvgPool2d backward matches central differences, padding counted or not", "[03-cnn][pool][avg][grad]") {
  Rng rng(4);
  for (const bool count_padding : {true, false})
    for (const auto& [shape, window] : kCases) {
      INFO(describe(shape, window) << (count_padding ? ", padding counted" : ", padding not counted"));
      AvgPool2d pool(window, count_padding);
      Tensor x = random_tensor(shape, rng);
      const Tensor g = random_tensor(pool.forward(x).shape(), rng);
      const Tensor dx = pool.backward(g);
      auto loss = [&] { return dot(pool.forward(x), g); };
      require_close(dx, numerical_gradient(loss, x), 1e-3, 1e-3);
    }
}

TEST_CASE("AvgPool2d backward spreads dy / (K*K) over each window, computed with Eigen", "[03-cnn][pool][avg][grad]") {
  // Non-overlapping 2x2 windows: dx = kron(dy, ones(2, 2)) / 4.
  Rng rng(5);
  AvgPool2d pool(2);
  pool.forward(random_tensor({1, 1, 4, 6}, rng));
  const Tensor dy = random_tensor({1, 1, 2, 3}, rng);
  const Matrix d = as_eigen(dy.reshaped({2, 3}));
  Matrix expected(4, 6);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 6; ++j) expected(i, j) = d(i / 2, j / 2) / 4.0f;
  require_close(pool.backward(dy), from_eigen(expected).reshaped({1, 1, 4, 6}));
}

TEST_CASE("Pooling keeps channels and names bad shapes and windows", "[03-cnn][pool]") {
  MaxPool2d pool(2);
  CHECK(pool.forward(Tensor({3, 5, 8, 6})).shape() == Shape{3, 5, 4, 3});
  CHECK(pool.name() == "MaxPool2d(2x2, stride 2, padding 0)");
  CHECK_THROWS_WITH(pool.forward(Tensor({3, 64})), "MaxPool2d(2x2, stride 2, padding 0): input must be (B, C, H, W), got (3, 64)");
  CHECK_THROWS_WITH(pool.backward(Tensor({3, 5, 4, 4})),
                    Catch::Contains("output gradient of shape (3, 5, 4, 4) does not match the forward output (3, 5, 4, 3)"));
  CHECK_THROWS_WITH(MaxPool2d(2, 2, 2), Catch::Contains("is more than half the kernel"));
  CHECK_THROWS_WITH(AvgPool2d(3).forward(Tensor({1, 1, 2, 2})), Catch::Contains("does not fit an input height of 2"));
  CHECK_THROWS_WITH(AvgPool2d(2).backward(Tensor({1, 1, 1, 1})), Catch::Contains("backward called before forward"));
}

TEST_CASE("MaxPool2d and AvgPool2d match PyTorch's, padding and count_include_pad included",
          "[03-cnn][pool][pytorch]") {
  const SafetensorsFile file = test::read_fixture("layers.safetensors");
  MaxPool2d max_a(2), max_b(3, 2, 1);
  AvgPool2d avg_a(2), avg_b(3, 2, 1), avg_c(3, 2, 1, false);  // avg_b: the default, PyTorch's count_include_pad
  for (const auto& [prefix, layer] : {std::pair<std::string, Layer*>{"max_a.", &max_a}, {"max_b.", &max_b},
                                      {"avg_a.", &avg_a}, {"avg_b.", &avg_b}, {"avg_c.", &avg_c}}) {
    INFO(prefix);
    test::check_layer_against_fixture(*layer, file, prefix);
  }
}
