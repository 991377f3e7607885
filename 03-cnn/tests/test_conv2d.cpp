#include <catch2/catch.hpp>
#include "tests/support/eigen_unsupported.hpp"

#include "02-mlp/tests/layer_fixture.hpp"
#include "03-cnn/conv2d.hpp"
#include "common/ops.hpp"
#include "tests/support/eigen.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

struct Case {
  Shape input;  // (B, C, H, W)
  std::size_t out_channels;
  Window window;
};

// Forward cases: padding, strides, 1x1, rectangular kernels, non-square inputs, several channels,
// and "same" convolutions of 8 channels or more, which run on padded planes (padded_planes.hpp).
const std::vector<Case> kForwardCases = {
    {{3, 8, 7, 5}, 4, Window::square(3, 1, 1)},
    {{2, 9, 6, 7}, 3, Window{3, 5, 1, 1, 1, 2}},
    {{2, 8, 4, 3}, 2, Window::square(1)},
    {{2, 3, 7, 5}, 4, Window::square(3, 1, 1)},
    {{2, 2, 8, 6}, 3, Window{3, 2, 2, 2, 0, 0}},
    {{1, 2, 9, 7}, 2, Window::square(5, 2, 2)},
    {{3, 4, 5, 6}, 5, Window::square(1)},
    {{2, 1, 6, 9}, 3, Window{2, 4, 1, 3, 1, 2}},
    {{1, 1, 28, 28}, 6, Window::square(5, 1, 2)},  // LeNet's first layer
    {{2, 3, 5, 44}, 2, Window::square(3, 2, 1)},   // stride 2 in rows of 22 outputs: whole vectors and a tail
    {{2, 1, 1, 1}, 4, Window::square(3, 1, 1)},    // images smaller than the padding: a tap's window
    {{1, 1, 2, 2}, 6, Window::square(5, 1, 2)},    // may lie wholly in it (im2col wrote past its block)
};

// Gradient cases: small enough for central differences on every element (the first two on padded planes).
const std::vector<Case> kGradCases = {
    {{2, 8, 4, 3}, 3, Window::square(3, 1, 1)},
    {{1, 8, 3, 5}, 2, Window{3, 5, 1, 1, 1, 2}},
    {{2, 2, 5, 4}, 3, Window::square(3)},
    {{2, 2, 5, 6}, 2, Window::square(3, 2, 1)},
    {{1, 3, 6, 5}, 2, Window{2, 3, 1, 2, 1, 0}},
    {{2, 1, 7, 5}, 2, Window::square(5, 1, 2)},
    {{1, 2, 7, 6}, 2, Window{3, 3, 3, 2, 1, 1}},
};

std::string describe(const Case& c) {
  return "input " + shape_to_string(c.input) + ", " + std::to_string(c.out_channels) + " filters " + c.window.describe();
}

Conv2d make_conv(const Case& c, Rng& rng) {
  Conv2d conv(c.input[1], c.out_channels, c.window, rng);
  rng.fill_normal(conv.bias().value, 0.0f, 1.0f);  // nonzero, so a lost bias would show
  return conv;
}

// The reference written with Eigen's Tensor module, independently of our loops: for every image
// b and filter o, y[b, o] = bias[o] + sum_c stride(convolve(pad(x[b, c]), W[o, c])). Eigen's
// convolve() is a "valid" cross-correlation (no kernel flip), which is what Conv2d computes.
Tensor eigen_conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Window& win) {
  using Plane = Eigen::Tensor<float, 2, Eigen::RowMajor>;
  using ConstPlane = Eigen::TensorMap<const Eigen::Tensor<float, 2, Eigen::RowMajor>>;
  const auto B = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3), OC = w.dim(0), KH = w.dim(2), KW = w.dim(3);
  const std::size_t OH = (H + 2 * win.pad_h - KH) / win.stride_h + 1, OW = (W + 2 * win.pad_w - KW) / win.stride_w + 1;
  const Eigen::array<std::pair<Eigen::Index, Eigen::Index>, 2> pads{
      {{Eigen::Index(win.pad_h), Eigen::Index(win.pad_h)}, {Eigen::Index(win.pad_w), Eigen::Index(win.pad_w)}}};
  const Eigen::array<Eigen::Index, 2> dims{0, 1}, strides{Eigen::Index(win.stride_h), Eigen::Index(win.stride_w)};
  Tensor y({B, OC, OH, OW});
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t o = 0; o < OC; ++o) {
      Plane acc(static_cast<Eigen::Index>(OH), static_cast<Eigen::Index>(OW));
      acc.setConstant(bias[o]);
      for (std::size_t c = 0; c < C; ++c) {
        const ConstPlane plane(x.data() + (b * C + c) * H * W, Eigen::Index(H), Eigen::Index(W));
        const ConstPlane kernel(w.data() + (o * C + c) * KH * KW, Eigen::Index(KH), Eigen::Index(KW));
        const Plane full = plane.pad(pads).convolve(kernel, dims);  // every stride-1 position
        acc += full.stride(strides);
      }
      std::copy(acc.data(), acc.data() + OH * OW, y.data() + (b * OC + o) * OH * OW);
    }
  return y;
}

// Swaps the first two axes of a 4-D tensor: (A, B, H, W) -> (B, A, H, W).
Tensor swap01(const Tensor& t) {
  const std::size_t A = t.dim(0), B = t.dim(1), plane = t.dim(2) * t.dim(3);
  Tensor out({B, A, t.dim(2), t.dim(3)});
  for (std::size_t a = 0; a < A; ++a)
    for (std::size_t b = 0; b < B; ++b)
      std::copy(t.data() + (a * B + b) * plane, t.data() + (a * B + b + 1) * plane, out.data() + (b * A + a) * plane);
  return out;
}

}  // namespace

TEST_CASE("The direct convolution matches Eigen's Tensor convolution", "[03-cnn][conv2d]") {
  Rng rng(1);
  for (const Case& c : kForwardCases) {
    INFO(describe(c));
    Conv2d conv = make_conv(c, rng);
    const Tensor x = random_tensor(c.input, rng);
    require_close(conv2d_direct(x, conv.weight().value, conv.bias().value, c.window),
                  eigen_conv2d(x, conv.weight().value, conv.bias().value, c.window), 1e-4, 1e-4);
  }
}

TEST_CASE("Conv2d forward (im2col + GEMM) matches the direct convolution", "[03-cnn][conv2d]") {
  Rng rng(2);
  for (const Case& c : kForwardCases) {
    INFO(describe(c));
    Conv2d conv = make_conv(c, rng);
    const Tensor x = random_tensor(c.input, rng);
    const Tensor y = conv.forward(x);  // (B, OC, OH, OW)
    CHECK(y.shape() == conv.output_shape(x.shape()));
    require_close(y, conv2d_direct(x, conv.weight().value, conv.bias().value, c.window), 1e-4, 1e-4);
  }
}

TEST_CASE("Conv2d gives the same results whatever the chunk size, also across threads", "[03-cnn][conv2d]") {
  // 10 images of 16 x 24 x 24 give cols of 144 x 576 floats (324 KiB) per image: by default the
  // layer converts them in chunks of 6 and 4 images, each big enough for im2col's OpenMP loop.
  Rng rng(3);
  const Case c{{10, 16, 24, 24}, 4, Window::square(3, 1, 1)};
  Conv2d conv = make_conv(c, rng);
  const Tensor x = random_tensor(c.input, rng);
  const Tensor dy = random_tensor(conv.output_shape(c.input), rng);
  const Tensor y = conv2d_direct(x, conv.weight().value, conv.bias().value, c.window);
  const Conv2dGradients expected = conv2d_direct_backward(x, conv.weight().value, dy, c.window);
  for (const std::size_t bytes : {Conv2d::kDefaultChunkBytes, std::size_t(0), std::size_t(1)}) {
    INFO("chunk bytes " << bytes);  // default: 6 + 4 images; 0: all 10 at once; 1: one image per chunk
    conv.set_chunk_bytes(bytes);
    conv.zero_grad();
    require_close(conv.forward(x), y, 1e-4, 1e-4);
    require_close(conv.backward(dy), expected.dinput, 1e-4, 1e-4);
    require_close(conv.weight().grad, expected.dweight, 1e-3, 1e-4);
    require_close(conv.bias().grad, expected.dbias, 1e-3, 1e-4);
  }
}

TEST_CASE("Conv2d computes the same output in evaluation mode", "[03-cnn][conv2d]") {
  Rng rng(15);
  const Case c{{10, 16, 24, 24}, 4, Window::square(3, 1, 1)};  // two chunks
  Conv2d conv = make_conv(c, rng);
  const Tensor x = random_tensor(c.input, rng);
  const Tensor train_y = conv.forward(x);
  conv.set_training(false);
  require_close(conv.forward(x), train_y, 0, 0);
}

TEST_CASE("The direct backward matches central differences for x, W and b", "[03-cnn][conv2d][grad]") {
  Rng rng(4);
  for (const Case& c : kGradCases) {
    INFO(describe(c));
    Conv2d conv = make_conv(c, rng);
    Tensor x = random_tensor(c.input, rng);
    Tensor& w = conv.weight().value;
    Tensor& b = conv.bias().value;
    const Tensor g = random_tensor(conv.output_shape(c.input), rng);  // L = sum(y * g)
    auto loss = [&] { return dot(conv2d_direct(x, w, b, c.window), g); };
    const Conv2dGradients grads = conv2d_direct_backward(x, w, g, c.window);
    require_close(grads.dinput, numerical_gradient(loss, x), 1e-3, 1e-3);
    require_close(grads.dweight, numerical_gradient(loss, w), 1e-3, 1e-3);
    require_close(grads.dbias, numerical_gradient(loss, b), 1e-3, 1e-3);
  }
}

TEST_CASE("Conv2d backward matches central differences for strides, paddings and non-square shapes",
          "[03-cnn][conv2d][grad]") {
  Rng rng(5);
  for (const Case& c : kGradCases) {
    INFO(describe(c));
    Conv2d conv = make_conv(c, rng);
    Tensor x = random_tensor(c.input, rng);
    const Tensor g = random_tensor(conv.output_shape(c.input), rng);
    auto loss = [&] { return dot(conv.forward(x), g); };
    conv.forward(x);
    conv.zero_grad();
    const Tensor dx = conv.backward(g);
    require_close(dx, numerical_gradient(loss, x), 1e-3, 1e-3);
    require_close(conv.weight().grad, numerical_gradient(loss, conv.weight().value), 1e-3, 1e-3);
    require_close(conv.bias().grad, numerical_gradient(loss, conv.bias().value), 1e-3, 1e-3);
  }
}

TEST_CASE("Conv2d backward matches the direct backward", "[03-cnn][conv2d][grad]") {
  Rng rng(6);
  for (const Case& c : kForwardCases) {
    INFO(describe(c));
    Conv2d conv = make_conv(c, rng);
    const Tensor x = random_tensor(c.input, rng);
    const Tensor dy = random_tensor(conv.output_shape(c.input), rng);
    conv.forward(x);
    const Tensor dx = conv.backward(dy);
    const Conv2dGradients expected = conv2d_direct_backward(x, conv.weight().value, dy, c.window);
    require_close(dx, expected.dinput, 1e-4, 1e-4);
    require_close(conv.weight().grad, expected.dweight, 1e-3, 1e-4);
    require_close(conv.bias().grad, expected.dbias, 1e-4, 1e-4);
  }
}

TEST_CASE("Conv2d weight gradient is dY cols^T, computed with Eigen", "[03-cnn][conv2d][grad]") {
  // The closed form of the im2col view: Y = W cols, so dW = dY cols^T and db = row sums of dY,
  // with dY the output gradient as (OC, B*OH*OW).
  Rng rng(7);
  const Case c{{2, 3, 6, 5}, 4, Window::square(3, 1, 1)};
  Conv2d conv = make_conv(c, rng);
  const Tensor x = random_tensor(c.input, rng);
  const Tensor dy = random_tensor(conv.output_shape(c.input), rng);  // (B, OC, OH, OW)
  conv.forward(x);
  conv.backward(dy);
  // cols by its definition, not by the library's im2col (which Conv2d itself uses here):
  // cols[(ch KH + u) KW + v, b OH OW + oh OW + ow] = x[b, ch, oh + u - P, ow + v - P], 0 outside.
  Tensor cols({3 * 3 * 3, 2 * 6 * 5});  // (C*KH*KW, B*OH*OW)
  for (std::size_t b = 0; b < 2; ++b)
    for (std::size_t ch = 0; ch < 3; ++ch)
      for (std::size_t u = 0; u < 3; ++u)
        for (std::size_t v = 0; v < 3; ++v)
          for (std::size_t oh = 0; oh < 6; ++oh)
            for (std::size_t ow = 0; ow < 5; ++ow) {
              const long h = long(oh + u) - 1, w = long(ow + v) - 1;
              if (h >= 0 && h < 6 && w >= 0 && w < 5)
                cols((ch * 3 + u) * 3 + v, b * 30 + oh * 5 + ow) = x[((b * 3 + ch) * 6 + std::size_t(h)) * 5 + std::size_t(w)];
            }
  Tensor dy_maps({4, 2 * 6 * 5});           // (OC, B*OH*OW)
  for (std::size_t b = 0; b < 2; ++b)
    for (std::size_t o = 0; o < 4; ++o)
      for (std::size_t p = 0; p < 30; ++p) dy_maps(o, b * 30 + p) = dy[(b * 4 + o) * 30 + p];
  const Matrix dw = as_eigen(dy_maps) * as_eigen(cols).transpose();
  require_close(conv.weight().grad, from_eigen(dw).reshaped({4, 3, 3, 3}), 1e-4, 1e-4);
  require_close(conv.bias().grad, from_eigen(as_eigen(dy_maps).rowwise().sum()).reshaped({4}), 1e-4, 1e-4);
}

TEST_CASE("The input gradient is a full convolution of dy with the flipped kernel (stride 1)", "[03-cnn][conv2d][grad]") {
  // dx[b,c,h,w] = sum_{o,u,v} W[o,c,u,v] dy[b,o,h + PH - u, w + PW - v]: a convolution of dy, padded by
  // K-1-P, with the kernel flipped in u and v and its channel axes swapped (OC <-> C).
  Rng rng(8);
  for (const Case& c : {Case{{2, 3, 6, 5}, 4, Window::square(3)}, Case{{1, 2, 7, 7}, 3, Window{3, 5, 1, 1, 1, 2}}}) {
    INFO(describe(c));
    Conv2d conv = make_conv(c, rng);
    const Tensor& w = conv.weight().value;  // (OC, C, KH, KW)
    const Tensor x = random_tensor(c.input, rng);
    const Tensor dy = random_tensor(conv.output_shape(c.input), rng);
    conv.forward(x);
    const Tensor dx = conv.backward(dy);
    const std::size_t OC = w.dim(0), C = w.dim(1), KH = w.dim(2), KW = w.dim(3);
    Tensor flipped({C, OC, KH, KW});  // flipped[c, o, u, v] = W[o, c, KH-1-u, KW-1-v]
    for (std::size_t o = 0; o < OC; ++o)
      for (std::size_t ch = 0; ch < C; ++ch)
        for (std::size_t u = 0; u < KH; ++u)
          for (std::size_t v = 0; v < KW; ++v) flipped(ch, o, u, v) = w(o, ch, KH - 1 - u, KW - 1 - v);
    const Window full{KH, KW, 1, 1, KH - 1 - c.window.pad_h, KW - 1 - c.window.pad_w};
    require_close(dx, conv2d_direct(dy, flipped, Tensor(), full), 1e-4, 1e-4);
  }
}

TEST_CASE("The weight gradient is the correlation of the input with the output gradient (stride 1)",
          "[03-cnn][conv2d][grad]") {
  // dW[o,c,u,v] = sum_{b,i,j} x[b,c,i+u-P,j+v-P] dy[b,o,i,j]: a convolution with the batch as the
  // channel axis, x (C, B, H, W) as the input and dy (OC, B, OH, OW) as the filters.
  Rng rng(9);
  const Case c{{3, 2, 6, 5}, 4, Window::square(3, 1, 1)};
  Conv2d conv = make_conv(c, rng);
  const Tensor x = random_tensor(c.input, rng);
  const Tensor dy = random_tensor(conv.output_shape(c.input), rng);  // (B, OC, OH, OW)
  conv.forward(x);
  conv.backward(dy);
  const Window w{6, 5, 1, 1, 1, 1};  // an OH x OW "kernel"
  const Tensor correlation = conv2d_direct(swap01(x), swap01(dy), Tensor(), w);  // (C, OC, KH, KW)
  require_close(conv.weight().grad, swap01(correlation), 1e-4, 1e-4);
}

TEST_CASE("Conv2d accumulates parameter gradients across backward calls", "[03-cnn][conv2d]") {
  Rng rng(10);
  const Case c{{2, 2, 5, 5}, 3, Window::square(3, 1, 1)};
  Conv2d conv = make_conv(c, rng);
  const Tensor dy = random_tensor(conv.output_shape(c.input), rng);
  conv.forward(random_tensor(c.input, rng));
  conv.backward(dy);
  const Tensor dw = conv.weight().grad, db = conv.bias().grad;
  conv.backward(dy);
  require_close(conv.weight().grad, dw * 2.0f);
  require_close(conv.bias().grad, db * 2.0f);
}

TEST_CASE("Conv2d skips the input gradient when told the input is data, and only that", "[03-cnn][conv2d]") {
  // The first layer of every CNN trains this way: its weight and bias gradients must be the same
  // as with dx computed.
  Rng rng(11);
  Conv2d conv(1, 2, 3, rng);
  const Tensor x = random_tensor({2, 1, 5, 5}, rng), dy = random_tensor({2, 2, 3, 3}, rng);
  conv.forward(x);
  conv.zero_grad();
  CHECK_FALSE(conv.backward(dy).empty());
  const Tensor dw = conv.weight().grad, db = conv.bias().grad;
  conv.set_needs_input_grad(false);
  conv.forward(x);
  conv.zero_grad();
  CHECK(conv.backward(dy).empty());
  require_close(conv.weight().grad, dw, 0.0, 0.0);
  require_close(conv.bias().grad, db, 0.0, 0.0);
}

TEST_CASE("Conv2d draws He-initialised weights and zero biases", "[03-cnn][conv2d][init]") {
  Rng rng(12);
  Conv2d conv(16, 64, 5, rng);  // fan_in = 16 * 5 * 5 = 400
  const Tensor& w = conv.weight().value;
  double s = 0, s2 = 0;
  for (float v : w) s += v, s2 += double(v) * v;
  const double n = double(w.size()), mean = s / n;
  CHECK(w.shape() == Shape{64, 16, 5, 5});
  CHECK(mean == Approx(0.0).margin(0.005));
  CHECK(s2 / n - mean * mean == Approx(2.0 / 400).epsilon(0.03));
  CHECK(sum(conv.bias().value) == 0.0);
  CHECK(conv.name() == "Conv2d(16, 64, 5x5, stride 1, padding 0)");
}

TEST_CASE("Conv2d names a wrong number of channels or dimensions", "[03-cnn][conv2d]") {
  Rng rng(13);
  Conv2d conv(3, 2, 3, rng, 1, 1);
  CHECK_THROWS_WITH(conv.forward(Tensor({2, 1, 5, 5})),
                    "Conv2d(3, 2, 3x3, stride 1, padding 1): input of shape (2, 1, 5, 5) has 1 channels, expected 3");
  CHECK_THROWS_WITH(conv.forward(Tensor({2, 75})), Catch::Contains("input must be (B, C, H, W), got (2, 75)"));
  CHECK_THROWS_WITH(Conv2d(1, 1, 5, rng).forward(Tensor({1, 1, 4, 8})),
                    Catch::Contains("a 5-wide window does not fit an input height of 4"));
}

TEST_CASE("Conv2d names a gradient that does not match its output", "[03-cnn][conv2d]") {
  Rng rng(14);
  Conv2d conv(1, 2, 3, rng);
  CHECK_THROWS_WITH(conv.backward(Tensor({1, 2, 3, 3})), Catch::Contains("backward needs a forward pass in training mode"));
  conv.set_training(false);
  conv.forward(Tensor({1, 1, 5, 5}));
  CHECK_THROWS_WITH(conv.backward(Tensor({1, 2, 3, 3})), Catch::Contains("backward needs a forward pass in training mode"));
  conv.set_training(true);
  conv.forward(Tensor({1, 1, 5, 5}));
  CHECK_THROWS_WITH(conv.backward(Tensor({1, 2, 5, 5})),
                    Catch::Contains("output gradient of shape (1, 2, 5, 5) does not match the forward output (1, 2, 3, 3)"));
  CHECK_THROWS_WITH(Conv2d(1, 1, Window::square(3, 0), rng), "Conv2d: the stride must be at least 1");
}

TEST_CASE("Conv2d matches torch.nn.Conv2d: weight (OC, C, KH, KW) by name, stride and padding, every gradient",
          "[03-cnn][conv2d][pytorch]") {
  const SafetensorsFile file = test::read_fixture("layers.safetensors");
  Rng rng(9);
  Conv2d a(3, 4, 3, rng, 2, 1), b(2, 3, 5, rng, 1, 2);
  test::check_layer_against_fixture(a, file, "conv_a.", 1e-5, 1e-5);
  test::check_layer_against_fixture(b, file, "conv_b.", 1e-5, 1e-5);
}
