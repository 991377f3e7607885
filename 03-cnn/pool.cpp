#include "03-cnn/pool.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "03-cnn/parallel.hpp"

namespace dlfs {

namespace {

struct PoolSizes {
  std::size_t B, C, H, W, OH, OW;
};

PoolSizes pool_sizes(const Shape& x, const Window& window, const std::string& who) {
  if (x.size() != 4) throw std::invalid_argument(who + ": input must be (B, C, H, W), got " + shape_to_string(x));
  return {x[0], x[1], x[2], x[3], window.out_h(x[2], who), window.out_w(x[3], who)};
}

// The part of window (i, j) inside the image: rows [h0, h1), columns [w0, w1). The rest is padding.
struct Span {
  std::size_t h0, h1, w0, w1;
};

Span window_span(std::size_t i, std::size_t j, const Window& window, std::size_t H, std::size_t W) {
  const std::ptrdiff_t top = std::ptrdiff_t(i * window.stride_h) - std::ptrdiff_t(window.pad_h);
  const std::ptrdiff_t left = std::ptrdiff_t(j * window.stride_w) - std::ptrdiff_t(window.pad_w);
  return {std::size_t(std::max<std::ptrdiff_t>(top, 0)),
          std::size_t(std::min<std::ptrdiff_t>(top + std::ptrdiff_t(window.kernel_h), std::ptrdiff_t(H))),
          std::size_t(std::max<std::ptrdiff_t>(left, 0)),
          std::size_t(std::min<std::ptrdiff_t>(left + std::ptrdiff_t(window.kernel_w), std::ptrdiff_t(W)))};
}

Window with_default_stride(std::size_t kernel, std::size_t stride, std::size_t padding) {
  return Window::square(kernel, stride == 0 ? kernel : stride, padding);
}

void check_gradient_shape(const Tensor& doutput, const PoolSizes& s, const std::string& who) {
  if (doutput.shape() != Shape{s.B, s.C, s.OH, s.OW})
    throw std::invalid_argument(who + ": output gradient of shape " + shape_to_string(doutput.shape()) +
                                " does not match the forward output " + shape_to_string({s.B, s.C, s.OH, s.OW}));
}

}  // namespace

// ---- MaxPool2d -------------------------------------------------------------------------------

MaxPool2d::MaxPool2d(const Window& window) : window_(window) {
  window_.validate("MaxPool2d");
  if (2 * window_.pad_h > window_.kernel_h || 2 * window_.pad_w > window_.kernel_w)
    throw std::invalid_argument("MaxPool2d: padding " + window_.describe() + " is more than half the kernel");
}

MaxPool2d::MaxPool2d(std::size_t kernel, std::size_t stride, std::size_t padding)
    : MaxPool2d(with_default_stride(kernel, stride, padding)) {}

std::string MaxPool2d::name() const { return "MaxPool2d(" + window_.describe() + ")"; }

Tensor MaxPool2d::forward(const Tensor& input) {
  const PoolSizes s = pool_sizes(input.shape(), window_, name());
  input_shape_ = input.shape();
  const std::size_t plane = s.H * s.W, out_plane = s.OH * s.OW;
  Tensor y = Tensor::uninitialized({s.B, s.C, s.OH, s.OW});  // (B, C, OH, OW): every output is written below
  argmax_.resize(y.size());

  const bool two_by_two = window_.kernel_h == 2 && window_.kernel_w == 2 && window_.stride_h == 2 &&
                          window_.stride_w == 2 && window_.pad_h == 0 && window_.pad_w == 0;
  if (two_by_two) {
    forward_2x2(input, y);
    return y;
  }

  // One (b, c) plane per iteration: planes are independent.
  parallel_for(s.B * s.C, out_plane * window_.kernel_h * window_.kernel_w, [&](std::size_t bc) {
    const float* x = input.data() + bc * plane;  // (H, W)
    float* out = y.data() + bc * out_plane;      // (OH, OW)
    std::uint32_t* winner = argmax_.data() + bc * out_plane;
    for (std::size_t i = 0; i < s.OH; ++i)
      for (std::size_t j = 0; j < s.OW; ++j) {
        const Span w = window_span(i, j, window_, s.H, s.W);
        // Scan the window row by row; only a strictly larger value takes over, so on ties the
        // first maximum keeps the place (and the gradient). (Written as selects, not an `if`:
        // on real data the comparison is unpredictable, and a mispredicted branch per pixel
        // would cost more than the comparison itself.)
        std::size_t best = w.h0 * s.W + w.w0;
        float best_value = x[best];
        for (std::size_t h = w.h0; h < w.h1; ++h)
          for (std::size_t c = w.w0; c < w.w1; ++c) {
            const float value = x[h * s.W + c];
            const bool larger = value > best_value;
            best = larger ? h * s.W + c : best;
            best_value = larger ? value : best_value;
          }
        out[i * s.OW + j] = best_value;
        winner[i * s.OW + j] = std::uint32_t(best);
      }
  });
  return y;
}

// The usual 2x2 pooling with stride 2 (LeNet's) gets its own loop: every window lies inside the
// image and its four candidates sit at fixed offsets, so the scan of forward() becomes branch-free
// arithmetic (LeNet's first pooling layer, after its ReLU: 231 -> 94 us per batch of 64, one core).
void MaxPool2d::forward_2x2(const Tensor& input, Tensor& y) {
  const std::size_t H = input.dim(2), W = input.dim(3), OH = y.dim(2), OW = y.dim(3);
  const std::size_t planes = input.dim(0) * input.dim(1);
  parallel_for(planes, OH * OW * 4, [&](std::size_t bc) {
    const float* x = input.data() + bc * H * W;  // (H, W)
    for (std::size_t i = 0; i < OH; ++i) {
      const std::uint32_t top = std::uint32_t(2 * i * W);  // index of the window's first row in the plane
      const float* r0 = x + top;                            // the window's two rows
      const float* r1 = r0 + W;
      float* out = y.data() + (bc * OH + i) * OW;
      std::uint32_t* winner = argmax_.data() + (bc * OH + i) * OW;
      for (std::size_t j = 0; j < OW; ++j) {
        // The four candidates in scan order: a b (top row), c d (the row below).
        const float a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
        const float m = std::max(std::max(std::max(a, b), c), d);  // in scan order, as the scan
        // The first of them equal to the maximum is the one the scan keeps (for inputs without
        // NaN). Worked out as arithmetic: chained selects compile to branches here, and which
        // candidate wins on real data is a coin toss for the branch predictor.
        const std::uint32_t not_a = a != m, not_b = b != m, not_c = c != m;
        const std::uint32_t row = not_a & not_b;        // neither a nor b: the lower row
        const std::uint32_t col = row ? not_c : not_a;  // and in that row, d unless c
        out[j] = m;
        winner[j] = top + std::uint32_t(2 * j) + row * std::uint32_t(W) + col;
      }
    }
  });
}

Tensor MaxPool2d::backward(const Tensor& doutput) {
  if (input_shape_.empty()) throw std::logic_error(name() + ": backward called before forward");
  const PoolSizes s = pool_sizes(input_shape_, window_, name());
  check_gradient_shape(doutput, s, name());
  const std::size_t plane = s.H * s.W, out_plane = s.OH * s.OW;
  Tensor dx(input_shape_);  // (B, C, H, W), zero: the inputs that won nothing get no gradient
  // dx[b, c, argmax(b,c,i,j)] += dy[b,c,i,j]
  parallel_for(s.B * s.C, out_plane, [&](std::size_t bc) {
    float* d = dx.data() + bc * plane;
    const float* dy = doutput.data() + bc * out_plane;
    const std::uint32_t* winner = argmax_.data() + bc * out_plane;
    for (std::size_t k = 0; k < out_plane; ++k) d[winner[k]] += dy[k];
  });
  return dx;
}

// ---- AvgPool2d -------------------------------------------------------------------------------

AvgPool2d::AvgPool2d(const Window& window, bool count_padding) : window_(window), count_padding_(count_padding) {
  window_.validate("AvgPool2d");
  if (2 * window_.pad_h > window_.kernel_h || 2 * window_.pad_w > window_.kernel_w)
    throw std::invalid_argument("AvgPool2d: padding " + window_.describe() + " is more than half the kernel");
}

AvgPool2d::AvgPool2d(std::size_t kernel, std::size_t stride, std::size_t padding, bool count_padding)
    : AvgPool2d(with_default_stride(kernel, stride, padding), count_padding) {}

std::string AvgPool2d::name() const {
  return "AvgPool2d(" + window_.describe() + (count_padding_ ? "" : ", padding not counted") + ")";
}

Tensor AvgPool2d::forward(const Tensor& input) {
  const PoolSizes s = pool_sizes(input.shape(), window_, name());
  input_shape_ = input.shape();
  const std::size_t plane = s.H * s.W, out_plane = s.OH * s.OW;
  const float full = float(window_.kernel_h * window_.kernel_w);
  Tensor y({s.B, s.C, s.OH, s.OW});  // (B, C, OH, OW)
  parallel_for(s.B * s.C, out_plane * window_.kernel_h * window_.kernel_w, [&](std::size_t bc) {
    const float* x = input.data() + bc * plane;
    float* out = y.data() + bc * out_plane;
    for (std::size_t i = 0; i < s.OH; ++i)
      for (std::size_t j = 0; j < s.OW; ++j) {
        const Span w = window_span(i, j, window_, s.H, s.W);
        float total = 0.0f;  // padding cells add 0
        for (std::size_t h = w.h0; h < w.h1; ++h)
          for (std::size_t c = w.w0; c < w.w1; ++c) total += x[h * s.W + c];
        const float n = count_padding_ ? full : float((w.h1 - w.h0) * (w.w1 - w.w0));
        out[i * s.OW + j] = total / n;
      }
  });
  return y;
}

Tensor AvgPool2d::backward(const Tensor& doutput) {
  if (input_shape_.empty()) throw std::logic_error(name() + ": backward called before forward");
  const PoolSizes s = pool_sizes(input_shape_, window_, name());
  check_gradient_shape(doutput, s, name());
  const std::size_t plane = s.H * s.W, out_plane = s.OH * s.OW;
  const float full = float(window_.kernel_h * window_.kernel_w);
  Tensor dx(input_shape_);  // (B, C, H, W)
  // dx[b,c,h,w] += dy[b,c,i,j] / n for every window (i, j) that covers (h, w)
  parallel_for(s.B * s.C, out_plane * window_.kernel_h * window_.kernel_w, [&](std::size_t bc) {
    float* d = dx.data() + bc * plane;
    const float* dy = doutput.data() + bc * out_plane;
    for (std::size_t i = 0; i < s.OH; ++i)
      for (std::size_t j = 0; j < s.OW; ++j) {
        const Span w = window_span(i, j, window_, s.H, s.W);
        const float n = count_padding_ ? full : float((w.h1 - w.h0) * (w.w1 - w.w0));
        const float share = dy[i * s.OW + j] / n;
        for (std::size_t h = w.h0; h < w.h1; ++h)
          for (std::size_t c = w.w0; c < w.w1; ++c) d[h * s.W + c] += share;
      }
  });
  return dx;
}

}  // namespace dlfs
