#include "03-cnn/im2col.hpp"

#include <algorithm>
#include <stdexcept>

#include "03-cnn/parallel.hpp"
#include "common/simd.hpp"

namespace dlfs {

namespace {

// The sizes of one im2col problem, checked once.
struct Geometry {
  std::size_t B, C, H, W, OH, OW;
  std::size_t K;  // C*KH*KW: rows of cols
  std::size_t P;  // count*OH*OW: columns of cols, for the `count` images converted

  Geometry(const Shape& x, const Window& w, std::size_t first, std::size_t count, const char* who) {
    if (x.size() != 4)
      throw std::invalid_argument(std::string(who) + ": input must be (B, C, H, W), got " + shape_to_string(x));
    B = x[0], C = x[1], H = x[2], W = x[3];
    if (first + count > B)
      throw std::invalid_argument(std::string(who) + ": images [" + std::to_string(first) + ", " +
                                  std::to_string(first + count) + ") of a batch of " + std::to_string(B));
    OH = w.out_h(H, who), OW = w.out_w(W, who);
    K = C * w.kernel_h * w.kernel_w;
    P = count * OH * OW;
  }
};

// For tap t of the window (u or v), the output positions o whose tap lands inside the input,
// 0 <= o*stride - pad + t < in, form one run [lo, hi); the others read padding.
struct Run {
  std::size_t lo, hi;
};
Run inside(std::size_t t, std::size_t stride, std::size_t pad, std::size_t in, std::size_t out) {
  auto ceil_div = [](std::size_t a, std::size_t b) { return (a + b - 1) / b; };
  const std::size_t hi = std::min(out, in + pad > t ? ceil_div(in + pad - t, stride) : 0);
  const std::size_t lo = std::min(hi, pad > t ? ceil_div(pad - t, stride) : 0);
  return {lo, hi};
}

// to[n] = from[2 n] for n < count. Written with the stride as a constant, the loop becomes vector
// shuffles; with the window's stride read at run time it was scalar, and im2col took twice as long
// for the ResNet's downsampling convolutions (stride 2).
void copy_every_other(const float* from, std::size_t count, float* to) {
  for (std::size_t n = 0; n < count; ++n) to[n] = from[2 * n];
}

// One tap (u, v) of one channel of one image: out[i, j] = xc[i*SH - PH + u, j*SW - PW + v], 0 in
// the padding. xc is (H, W), out is (OH, OW): one image's block of row (c, u, v) of cols.
void copy_tap(const float* xc, float* out, std::size_t u, std::size_t v, const Window& w, const Geometry& g) {
  const Run rows = inside(u, w.stride_h, w.pad_h, g.H, g.OH);
  const Run columns = inside(v, w.stride_w, w.pad_w, g.W, g.OW);
  const std::size_t plane = g.OH * g.OW;

  if (w.stride_h == 1 && w.stride_w == 1 && g.OW == g.W) {
    // A "same" convolution (stride 1, output rows as wide as input rows, e.g. 5x5 with padding 2):
    // out row i + 1 follows out row i in memory exactly as input row i + 1 follows input row i,
    // so the whole plane is ONE shifted copy, out[n] = xc[n + shift]. Afterwards the rows in the
    // top and bottom padding, and the few entries per row that wrapped around from the
    // neighbouring row (the left and right padding), are set to 0.
    const std::ptrdiff_t shift = (std::ptrdiff_t(u) - std::ptrdiff_t(w.pad_h)) * std::ptrdiff_t(g.W) +
                                 std::ptrdiff_t(v) - std::ptrdiff_t(w.pad_w);
    // [n0, n1): the outputs whose input lies inside the image. In an image smaller than the
    // padding a tap may see none of it (-shift past the whole plane): n0 stops at the plane's end.
    const std::ptrdiff_t n0 = std::min(std::max(std::ptrdiff_t(rows.lo * g.OW), -shift), std::ptrdiff_t(rows.hi * g.OW));
    const std::ptrdiff_t n1 = std::max(n0, std::min(std::ptrdiff_t(rows.hi * g.OW), std::ptrdiff_t(g.H * g.W) - shift));
    std::fill(out, out + n0, 0.0f);
    if (n1 > n0) std::copy(xc + (n0 + shift), xc + (n1 + shift), out + n0);
    std::fill(out + n1, out + plane, 0.0f);
    for (std::size_t i = rows.lo; i < rows.hi; ++i) {
      for (std::size_t j = 0; j < columns.lo; ++j) out[i * g.OW + j] = 0.0f;
      for (std::size_t j = columns.hi; j < g.OW; ++j) out[i * g.OW + j] = 0.0f;
    }
    return;
  }

  std::fill(out, out + rows.lo * g.OW, 0.0f);  // windows whose tap u is in the top padding
  for (std::size_t i = rows.lo; i < rows.hi; ++i) {
    const float* src = xc + (i * w.stride_h + u - w.pad_h) * g.W;  // input row i*SH - PH + u
    float* dst = out + i * g.OW;
    std::fill(dst, dst + columns.lo, 0.0f);
    if (w.stride_w == 1) {  // one contiguous run (a short one in a small image: see copy_run)
      simd::copy_run(src + (columns.lo + v - w.pad_w), columns.hi - columns.lo, dst + columns.lo);
    } else if (w.stride_w == 2) {  // ResNet's downsampling: every other pixel
      copy_every_other(src + (2 * columns.lo + v - w.pad_w), columns.hi - columns.lo, dst + columns.lo);
    } else {
      for (std::size_t j = columns.lo; j < columns.hi; ++j) dst[j] = src[j * w.stride_w + v - w.pad_w];
    }
    std::fill(dst + columns.hi, dst + g.OW, 0.0f);
  }
  std::fill(out + rows.hi * g.OW, out + plane, 0.0f);  // tap u in the bottom padding
}

}  // namespace

void im2col(const Tensor& input, const Window& window, std::size_t first, std::size_t count, float* cols) {
  const Geometry g(input.shape(), window, first, count, "im2col");
  const std::size_t KH = window.kernel_h, KW = window.kernel_w, plane = g.OH * g.OW;

  // One image per iteration: the b-th image converted fills columns [b*OH*OW, (b+1)*OH*OW) of
  // every row, so the images split across threads with no synchronisation.
  parallel_for(count, g.K * plane, [&](std::size_t b) {
    const float* x = input.data() + (first + b) * g.C * g.H * g.W;  // (C, H, W) of image first + b
    for (std::size_t c = 0; c < g.C; ++c)
      for (std::size_t u = 0; u < KH; ++u)
        for (std::size_t v = 0; v < KW; ++v)
          // Row (c, u, v) of cols, image b's block: cols[(c,u,v), (b,i,j)] = x[b, c, i*SH - PH + u, j*SW - PW + v]
          copy_tap(x + c * g.H * g.W, cols + ((c * KH + u) * KW + v) * g.P + b * plane, u, v, window, g);
  });
}

Tensor im2col(const Tensor& input, const Window& window) {
  const Geometry g(input.shape(), window, 0, input.ndim() == 4 ? input.dim(0) : 0, "im2col");
  Tensor cols({g.K, g.P});  // (C*KH*KW, B*OH*OW)
  im2col(input, window, 0, g.B, cols.data());
  return cols;
}

void col2im(const float* dcols, const Window& window, std::size_t first, std::size_t count, Tensor& dinput) {
  const Geometry g(dinput.shape(), window, first, count, "col2im");
  const std::size_t KH = window.kernel_h, KW = window.kernel_w, SH = window.stride_h, SW = window.stride_w;
  const std::size_t plane = g.OH * g.OW;

  // The mirror image of im2col: walk the same runs, and add each entry back onto the pixel it was
  // copied from (padding entries came from nowhere and are skipped). Image b's columns only touch
  // image b's pixels, so threads split the batch without races.
  parallel_for(count, g.K * plane, [&](std::size_t b) {
    float* dx = dinput.data() + (first + b) * g.C * g.H * g.W;  // (C, H, W) of image first + b
    for (std::size_t c = 0; c < g.C; ++c)
      for (std::size_t u = 0; u < KH; ++u)
        for (std::size_t v = 0; v < KW; ++v) {
          // dx[b, c, i*SH - PH + u, j*SW - PW + v] += dcols[(c,u,v), (b,i,j)]
          const float* in = dcols + ((c * KH + u) * KW + v) * g.P + b * plane;  // (OH, OW)
          const Run rows = inside(u, SH, window.pad_h, g.H, g.OH);
          const Run columns = inside(v, SW, window.pad_w, g.W, g.OW);
          for (std::size_t i = rows.lo; i < rows.hi; ++i) {
            float* dst = dx + (c * g.H + i * SH + u - window.pad_h) * g.W;  // input row i*SH - PH + u
            const float* src = in + i * g.OW;
            if (SW == 1) {  // one contiguous run
              float* run = dst + (columns.lo + v - window.pad_w);
              for (std::size_t j = columns.lo; j < columns.hi; ++j) run[j - columns.lo] += src[j];
            } else {
              for (std::size_t j = columns.lo; j < columns.hi; ++j) dst[j * SW + v - window.pad_w] += src[j];
            }
          }
        }
  });
}

Tensor col2im(const Tensor& dcols, const Shape& input_shape, const Window& window) {
  const Geometry g(input_shape, window, 0, input_shape.size() == 4 ? input_shape[0] : 0, "col2im");
  if (dcols.shape() != Shape{g.K, g.P})
    throw std::invalid_argument("col2im: columns of shape " + shape_to_string(dcols.shape()) + " for an input of shape " +
                                shape_to_string(input_shape) + " need shape " + shape_to_string({g.K, g.P}));
  Tensor dinput(input_shape);  // (B, C, H, W), zero: col2im adds into it
  col2im(dcols.data(), window, 0, g.B, dinput);
  return dinput;
}

}  // namespace dlfs
