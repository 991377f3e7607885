#include "03-cnn/conv2d.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "03-cnn/im2col.hpp"
#include "03-cnn/padded_planes.hpp"
#include "03-cnn/parallel.hpp"
#include "common/gemm.hpp"

#include <omp.h>

namespace dlfs {

namespace {

// The sizes every loop below needs, with the shapes of x and W checked against each other.
struct ConvSizes {
  std::size_t B, C, H, W, OC, KH, KW, OH, OW;
};

ConvSizes conv_sizes(const Shape& x, const Shape& weight, const Window& window, const std::string& who) {
  if (x.size() != 4)
    throw std::invalid_argument(who + ": input must be (B, C, H, W), got " + shape_to_string(x));
  if (weight.size() != 4)
    throw std::invalid_argument(who + ": weight must be (OC, C, KH, KW), got " + shape_to_string(weight));
  if (x[1] != weight[1])
    throw std::invalid_argument(who + ": input of shape " + shape_to_string(x) + " has " + std::to_string(x[1]) +
                                " channels, expected " + std::to_string(weight[1]));
  if (weight[2] != window.kernel_h || weight[3] != window.kernel_w)
    throw std::invalid_argument(who + ": weight of shape " + shape_to_string(weight) + " does not match a " +
                                std::to_string(window.kernel_h) + "x" + std::to_string(window.kernel_w) + " window");
  return {x[0], x[1], x[2], x[3], weight[0], weight[2], weight[3], window.out_h(x[2], who), window.out_w(x[3], who)};
}

// A scratch tensor of the given shape, reusing its storage when the size is unchanged (the
// contents are garbage: every caller overwrites them).
void resize(Tensor& t, const Shape& shape) {
  if (t.size() != shape_size(shape)) t = Tensor::uninitialized(shape);
  t.reshape(shape);
}

// Scratch with one block per thread that may run a layer's chunk loop, or one block when the caller
// is already one of several threads (a replica's): parallel_for then stays on the calling thread.
struct PerThread {
  std::size_t blocks = omp_in_parallel() ? 1 : std::size_t(omp_get_max_threads());
  // Sizes t for `each` floats per block; called before the loop, never inside it.
  void reserve(Tensor& t, std::size_t each) const {
    if (t.size() < blocks * each) t = Tensor::uninitialized({blocks * each});
  }
  // The calling thread's block number, and its block of t (inside the loop).
  std::size_t index() const { return blocks == 1 ? 0 : std::size_t(omp_get_thread_num()); }
  float* block(Tensor& t, std::size_t each) const { return t.data() + index() * each; }
};

}  // namespace

// ---- The direct convolution -----------------------------------------------------------------

Tensor conv2d_direct(const Tensor& input, const Tensor& weight, const Tensor& bias, const Window& window) {
  const ConvSizes s = conv_sizes(input.shape(), weight.shape(), window, "conv2d_direct");
  if (!bias.empty() && bias.shape() != Shape{s.OC})
    throw std::invalid_argument("conv2d_direct: bias of shape " + shape_to_string(bias.shape()) + " for " +
                                std::to_string(s.OC) + " output channels");
  Tensor y({s.B, s.OC, s.OH, s.OW});  // (B, OC, OH, OW)
  for (std::size_t b = 0; b < s.B; ++b)
    for (std::size_t o = 0; o < s.OC; ++o)
      for (std::size_t i = 0; i < s.OH; ++i)
        for (std::size_t j = 0; j < s.OW; ++j) {
          // y[b,o,i,j] = bias[o] + sum_{c,u,v} W[o,c,u,v] x[b, c, i*SH - PH + u, j*SW - PW + v]
          double acc = bias.empty() ? 0.0 : bias[o];
          for (std::size_t c = 0; c < s.C; ++c)
            for (std::size_t u = 0; u < s.KH; ++u)
              for (std::size_t v = 0; v < s.KW; ++v) {
                const std::ptrdiff_t h = std::ptrdiff_t(i * window.stride_h + u) - std::ptrdiff_t(window.pad_h);
                const std::ptrdiff_t w = std::ptrdiff_t(j * window.stride_w + v) - std::ptrdiff_t(window.pad_w);
                if (h < 0 || w < 0 || h >= std::ptrdiff_t(s.H) || w >= std::ptrdiff_t(s.W)) continue;  // zero padding
                acc += double(weight(o, c, u, v)) * input(b, c, h, w);
              }
          y(b, o, i, j) = float(acc);
        }
  return y;
}

Conv2dGradients conv2d_direct_backward(const Tensor& input, const Tensor& weight, const Tensor& doutput,
                                       const Window& window) {
  const ConvSizes s = conv_sizes(input.shape(), weight.shape(), window, "conv2d_direct_backward");
  if (doutput.shape() != Shape{s.B, s.OC, s.OH, s.OW})
    throw std::invalid_argument("conv2d_direct_backward: output gradient of shape " + shape_to_string(doutput.shape()) +
                                ", expected " + shape_to_string({s.B, s.OC, s.OH, s.OW}));
  Conv2dGradients g{Tensor(input.shape()), Tensor(weight.shape()), Tensor({s.OC})};
  // Walk the forward loops once more: the product W[o,c,u,v] x[b,c,h,w] reached y[b,o,i,j], so
  // dy[b,o,i,j] flows back to each factor times the other one (and to the bias unchanged).
  for (std::size_t b = 0; b < s.B; ++b)
    for (std::size_t o = 0; o < s.OC; ++o)
      for (std::size_t i = 0; i < s.OH; ++i)
        for (std::size_t j = 0; j < s.OW; ++j) {
          const float dy = doutput(b, o, i, j);
          g.dbias[o] += dy;  // db[o] = sum_{b,i,j} dy[b,o,i,j]
          for (std::size_t c = 0; c < s.C; ++c)
            for (std::size_t u = 0; u < s.KH; ++u)
              for (std::size_t v = 0; v < s.KW; ++v) {
                const std::ptrdiff_t h = std::ptrdiff_t(i * window.stride_h + u) - std::ptrdiff_t(window.pad_h);
                const std::ptrdiff_t w = std::ptrdiff_t(j * window.stride_w + v) - std::ptrdiff_t(window.pad_w);
                if (h < 0 || w < 0 || h >= std::ptrdiff_t(s.H) || w >= std::ptrdiff_t(s.W)) continue;
                g.dinput(b, c, h, w) += weight(o, c, u, v) * dy;  // dx = sum W dy
                g.dweight(o, c, u, v) += input(b, c, h, w) * dy;  // dW = sum x dy
              }
        }
  return g;
}

// ---- The layer ------------------------------------------------------------------------------

Conv2d::Conv2d(std::size_t in_channels, std::size_t out_channels, const Window& window, Rng& rng)
    : in_(in_channels),
      out_(out_channels),
      window_(window),
      weight_("weight", Tensor({out_channels, in_channels, window.kernel_h, window.kernel_w})),
      bias_("bias", Tensor({out_channels})) {
  window_.validate("Conv2d");
  if (in_ == 0 || out_ == 0) throw std::invalid_argument("Conv2d: needs at least one input and one output channel");
  // He et al. (2015): Var(W) = 2 / fan_in keeps the variance of ReLU activations steady from layer to layer.
  const float fan_in = float(in_ * window_.kernel_h * window_.kernel_w);
  rng.fill_normal(weight_.value, 0.0f, std::sqrt(2.0f / fan_in));
}

Conv2d::Conv2d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel, Rng& rng, std::size_t stride,
               std::size_t padding)
    : Conv2d(in_channels, out_channels, Window::square(kernel, stride, padding), rng) {}

std::string Conv2d::name() const {
  return "Conv2d(" + std::to_string(in_) + ", " + std::to_string(out_) + ", " + window_.describe() + ")";
}

Shape Conv2d::output_shape(const Shape& input_shape) const {
  const ConvSizes s = conv_sizes(input_shape, weight_.value.shape(), window_, name());
  return {s.B, s.OC, s.OH, s.OW};
}

bool Conv2d::uses_padded_planes() const {
  // With a few input channels cols has only a few rows (9 for a 3x3 kernel on one channel), cheap to
  // copy, and the products are better served from them: the ResNet's first layer (1 -> 16) took
  // about twice as long for its weight gradient from padded planes, the 16 -> 16 layers about 0.9
  // times as long for the whole backward pass (one thread, batch 128).
  return is_same_convolution(window_) && in_ >= kMinPaddedChannels;
}

Conv2d::Chunks Conv2d::chunks_for(std::size_t batch, std::size_t bytes_per_image) const {
  if (batch <= 1 || chunk_bytes_ == 0) return {batch, 1};
  const std::size_t images = std::clamp<std::size_t>(chunk_bytes_ / std::max<std::size_t>(bytes_per_image, 1), 1, batch);
  std::size_t count = (batch + images - 1) / images;
  if (count % 2 == 1 && count < batch) ++count;
  return {batch, count};
}

Tensor Conv2d::forward(const Tensor& input) {
  const ConvSizes s = conv_sizes(input.shape(), weight_.value.shape(), window_, name());
  saved_for_backward_ = training_;
  if (training_) input_shape_ = input.shape();
  Tensor y = Tensor::uninitialized({s.B, s.OC, s.OH, s.OW});  // (B, OC, OH, OW): every plane is written
  if (uses_padded_planes()) forward_padded(input, y);
  else forward_im2col(input, y);
  return y;
}

void Conv2d::forward_im2col(const Tensor& input, Tensor& y) {
  const ConvSizes s = conv_sizes(input.shape(), weight_.value.shape(), window_, name());
  const std::size_t K = s.C * s.KH * s.KW;  // taps of one window: the GEMM's depth
  const std::size_t plane = s.OH * s.OW;    // output positions of one image
  const Chunks chunks = chunks_for(s.B, K * plane * sizeof(float));
  const std::size_t largest = chunks.largest();
  // Training keeps what the weight gradient needs: the whole batch's cols when they are small (a
  // slice of LeNet's: about 1 MB), else the input, and backward converts each chunk again (a fast
  // copy of a chunk that then stays in cache, rather than megabytes of cols read back from memory).
  chunk_count_ = chunks.count;
  cols_kept_ = training_ && s.B * K * plane * sizeof(float) <= kKeepColsBytes;
  if (cols_kept_) resize(kept_cols_, {s.B, K * plane});
  if (training_ && !cols_kept_) input_ = input;
  // One chunk's cols and GEMM output per thread, sized before the threads start.
  const PerThread scratch;
  if (!cols_kept_) scratch.reserve(cols_, K * largest * plane);
  scratch.reserve(maps_, s.OC * largest * plane);

  // The chunks are independent (each writes its own images of y), so the threads take whole
  // chunks: each converts, multiplies and copies its own, with no fork or join in between.
  parallel_for(chunks.count, K * largest * plane, [&](std::size_t n) {
    const std::size_t first = chunks.first(n), count = chunks.size(n), P = count * plane;
    float* cols = cols_kept_ ? kept_cols_.data() + first * K * plane : scratch.block(cols_, K * largest * plane);  // (K, P)
    float* maps = scratch.block(maps_, s.OC * largest * plane);  // (OC, P)

    // 1. Every window of these images as one column: cols (K, P).
    im2col(input, window_, first, count, cols);

    // 2. All their P*OC dot products as one GEMM:  maps = W . cols     (OC, K) . (K, P) -> (OC, P)
    sgemm(Trans::No, Trans::No, s.OC, P, K, 1.0f, weight_.value.data(), K, cols, P, 0.0f, maps, P);

    // 3. maps is (OC, count, OH*OW); NCHW wants (count, OC, OH*OW): copy whole planes, adding the bias.
    //    y[first + b, o, p] = maps[o, b*OH*OW + p] + bias[o]
    for (std::size_t b = 0; b < count; ++b)
      for (std::size_t o = 0; o < s.OC; ++o) {
        const float* src = maps + o * P + b * plane;
        float* dst = y.data() + ((first + b) * s.OC + o) * plane;
        const float bias = bias_.value[o];
        for (std::size_t p = 0; p < plane; ++p) dst[p] = src[p] + bias;
      }
  });
}

void Conv2d::forward_padded(const Tensor& input, Tensor& y) {
  const ConvSizes s = conv_sizes(input.shape(), weight_.value.shape(), window_, name());
  const std::size_t K = s.C * s.KH * s.KW;
  const PaddedPlanes per_image = padded_planes(s.H, s.W, window_, 1);
  const Chunks chunks = chunks_for(s.B, (s.C + s.OC) * per_image.plane() * sizeof(float));
  const PaddedPlanes largest = padded_planes(s.H, s.W, window_, chunks.largest());
  const std::size_t planes_floats = s.C * largest.plane(), maps_floats = s.OC * largest.positions();
  chunk_count_ = chunks.count;
  // Training keeps every chunk's planes, which backward reads for dW; evaluation needs one per thread.
  const PerThread scratch;
  if (training_) resize(kept_planes_, {chunks.count, planes_floats});
  else scratch.reserve(cols_, planes_floats);
  scratch.reserve(maps_, maps_floats);
  if (rows_.size() < scratch.blocks * K) rows_.resize(scratch.blocks * K);

  parallel_for(chunks.count, K * maps_floats / s.OC, [&](std::size_t n) {
    const std::size_t first = chunks.first(n);
    const PaddedPlanes layout = padded_planes(s.H, s.W, window_, chunks.size(n));
    const std::size_t Q = layout.positions();
    float* planes = training_ ? kept_planes_.data() + n * planes_floats : scratch.block(cols_, planes_floats);  // (C, plane)
    float* maps = scratch.block(maps_, maps_floats);  // (OC, Q)
    const float** rows = rows_.data() + scratch.index() * K;

    // 1. The chunk's images as padded planes; cols (K, Q) is then K shifted views of them.
    pad_planes(input, first, layout, planes);
    shifted_rows(planes, s.C, layout, window_, rows);

    // 2. maps = W . cols, every row of cols read where it lies:  (OC, K) . (K, Q) -> (OC, Q)
    sgemm_rows(Trans::No, Trans::No, s.OC, Q, K, 1.0f, weight_.value.data(), K, rows, 0.0f, maps, Q);

    // 3. The real positions into y (B, OC, H, W), adding the bias; the rest were padding.
    unpad_planes(maps, Q, layout, first, y, bias_.value.data());
  });
}

Tensor Conv2d::backward(const Tensor& doutput) {
  if (!saved_for_backward_) throw std::logic_error(name() + ": backward needs a forward pass in training mode first");
  const ConvSizes s = conv_sizes(input_shape_, weight_.value.shape(), window_, name());
  if (doutput.shape() != Shape{s.B, s.OC, s.OH, s.OW})
    throw std::invalid_argument(name() + ": output gradient of shape " + shape_to_string(doutput.shape()) +
                                " does not match the forward output " + shape_to_string({s.B, s.OC, s.OH, s.OW}));
  const std::size_t plane = s.OH * s.OW;

  // db[o] += sum_{b,i,j} dy[b,o,i,j], summed per plane in double, then over images in order (so the
  // result does not depend on the number of threads).
  if (learns_bias()) {
    std::vector<double> plane_sums(s.B * s.OC);
    parallel_for(s.B, s.OC * plane, [&](std::size_t b) {
      for (std::size_t o = 0; o < s.OC; ++o) {
        const float* dy = doutput.data() + (b * s.OC + o) * plane;
        double acc = 0.0;
        // One long chain of dependent additions would wait on each one's latency; as a SIMD
        // reduction the lanes add independently (in a fixed order: same result on any thread count).
#pragma omp simd reduction(+ : acc)
        for (std::size_t p = 0; p < plane; ++p) acc += dy[p];
        plane_sums[b * s.OC + o] = acc;
      }
    });
    for (std::size_t o = 0; o < s.OC; ++o) {
      double acc = 0.0;
      for (std::size_t b = 0; b < s.B; ++b) acc += plane_sums[b * s.OC + o];
      bias_.grad[o] += float(acc);
    }
  }

  // (B, C, H, W): each chunk writes its own images.
  Tensor dx = needs_input_grad_ ? Tensor::uninitialized(input_shape_) : Tensor();
  // Each chunk's share of dW on its own (both paths write them), added up in chunk order: the same
  // sums in the same order whichever thread computed which chunk, so one thread or two give the same bits.
  const std::size_t K = s.C * s.KH * s.KW;
  resize(dweight_chunks_, {chunk_count_, s.OC * K});
  if (uses_padded_planes()) backward_padded(doutput, dx);
  else backward_im2col(doutput, dx);

  // dW += dW_0 + dW_1 + ..., in chunk order.
  float* dw = weight_.grad.data();
  for (std::size_t n = 0; n < chunk_count_; ++n) {
    const float* part = dweight_chunks_.data() + n * s.OC * K;
    for (std::size_t i = 0; i < s.OC * K; ++i) dw[i] += part[i];
  }
  return dx;
}

void Conv2d::backward_im2col(const Tensor& doutput, Tensor& dx) {
  const ConvSizes s = conv_sizes(input_shape_, weight_.value.shape(), window_, name());
  const std::size_t K = s.C * s.KH * s.KW, plane = s.OH * s.OW;
  // The forward pass's chunks: kept cols are laid out chunk after chunk.
  const Chunks chunks{s.B, chunk_count_};
  const std::size_t largest = chunks.largest();
  const PerThread scratch;
  if (!cols_kept_) scratch.reserve(cols_, K * largest * plane);
  scratch.reserve(maps_, s.OC * largest * plane);
  if (needs_input_grad_) scratch.reserve(dcols_, K * largest * plane);

  parallel_for(chunks.count, K * largest * plane, [&](std::size_t n) {
    const std::size_t first = chunks.first(n), count = chunks.size(n), P = count * plane;
    float* dy = scratch.block(maps_, s.OC * largest * plane);  // (OC, P)
    // cols (K, P) of these images: kept by forward, or converted again.
    const float* cols = nullptr;
    if (cols_kept_) {
      cols = kept_cols_.data() + first * K * plane;
    } else {
      float* again = scratch.block(cols_, K * largest * plane);
      im2col(input_, window_, first, count, again);
      cols = again;
    }

    // dy of these images from NCHW (count, OC, OH*OW) into the GEMM's layout (OC, count*OH*OW).
    for (std::size_t b = 0; b < count; ++b)
      for (std::size_t o = 0; o < s.OC; ++o) {
        const float* src = doutput.data() + ((first + b) * s.OC + o) * plane;
        std::copy(src, src + plane, dy + o * P + b * plane);
      }

    // dW_n = dy . cols^T         (OC, P) . (P, K) -> (OC, K): x times dy, summed over every output position
    sgemm(Trans::No, Trans::Yes, s.OC, K, P, 1.0f, dy, P, cols, P, 0.0f, dweight_chunks_.data() + n * s.OC * K, K);

    if (!needs_input_grad_) return;
    // dcols = W^T . dy           (K, OC) . (OC, P) -> (K, P): each window's share of dx
    float* dcols = scratch.block(dcols_, K * largest * plane);  // (K, P)
    sgemm(Trans::Yes, Trans::No, K, P, s.OC, 1.0f, weight_.value.data(), K, dy, P, 0.0f, dcols, P);
    // dx = col2im(dcols): every window adds its share back onto the pixels it was copied from.
    const std::size_t image = s.C * s.H * s.W;
    std::fill(dx.data() + first * image, dx.data() + (first + count) * image, 0.0f);
    col2im(dcols, window_, first, count, dx);
  });

}

void Conv2d::backward_padded(const Tensor& doutput, Tensor& dx) {
  const ConvSizes s = conv_sizes(input_shape_, weight_.value.shape(), window_, name());
  const std::size_t taps = s.KH * s.KW, K = s.C * taps, flipped_K = s.OC * taps;
  const Chunks chunks{s.B, chunk_count_};
  const PaddedPlanes largest = padded_planes(s.H, s.W, window_, chunks.largest());
  const std::size_t planes_floats = s.C * largest.plane();
  const PerThread scratch;
  scratch.reserve(maps_, s.OC * largest.plane());
  if (needs_input_grad_) scratch.reserve(dcols_, s.C * largest.positions());
  if (rows_.size() < scratch.blocks * (K + flipped_K)) rows_.resize(scratch.blocks * (K + flipped_K));

  // dx is the same convolution run backwards: dx[c, h, w] = sum_{o,u,v} W[o,c,u,v] dy[o, h+PH-u, w+PW-v];
  // with u' = KH-1-u (and PH = (KH-1)/2) that is dy's tap (u', v') of a "same" convolution whose
  // kernel, Wf[c, o, u', v'] = W[o, c, KH-1-u', KW-1-v'], is W flipped and with its channels swapped.
  if (needs_input_grad_) {
    resize(flipped_weight_, {s.C, flipped_K});
    for (std::size_t o = 0; o < s.OC; ++o)
      for (std::size_t c = 0; c < s.C; ++c)
        for (std::size_t t = 0; t < taps; ++t)
          flipped_weight_[c * flipped_K + o * taps + (taps - 1 - t)] = weight_.value[(o * s.C + c) * taps + t];
  }

  parallel_for(chunks.count, K * largest.positions(), [&](std::size_t n) {
    const std::size_t first = chunks.first(n);
    const PaddedPlanes layout = padded_planes(s.H, s.W, window_, chunks.size(n));
    const std::size_t Q = layout.positions(), L = layout.plane();
    const float* planes = kept_planes_.data() + n * planes_floats;  // (C, L): forward's
    float* dy = scratch.block(maps_, s.OC * largest.plane());        // (OC, L)
    // dy laid out as the planes are: then position q of the output is dy[o, start + q], and the
    // positions in the padding hold 0, so summing over every q sums over the real outputs only.
    pad_planes(doutput, first, layout, dy);

    // dW_n = dy . cols^T, cols read as the shifted rows of forward's planes:
    //   dW[o, (c, u, v)] = sum_q dy[o, q] x[c, q + u pitch + v]      (OC, Q) . (Q, K) -> (OC, K)
    const float** rows = rows_.data() + scratch.index() * (K + flipped_K);
    shifted_rows(planes, s.C, layout, window_, rows);
    sgemm_rows(Trans::No, Trans::Yes, s.OC, K, Q, 1.0f, dy + layout.start(), L, rows, 0.0f,
               dweight_chunks_.data() + n * s.OC * K, K);

    if (!needs_input_grad_) return;
    // dx = Wf . (dy's shifted rows)     (C, OC*KH*KW) . (OC*KH*KW, Q) -> (C, Q), then its real positions.
    const float** dy_rows = rows + K;
    shifted_rows(dy, s.OC, layout, window_, dy_rows);
    float* dx_positions = scratch.block(dcols_, s.C * largest.positions());  // (C, Q)
    sgemm_rows(Trans::No, Trans::No, s.C, Q, flipped_K, 1.0f, flipped_weight_.data(), flipped_K, dy_rows, 0.0f,
               dx_positions, Q);
    unpad_planes(dx_positions, Q, layout, first, dx);
  });

}

}  // namespace dlfs
