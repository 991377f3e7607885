#include "03-cnn/padded_planes.hpp"

#include <algorithm>
#include <stdexcept>

namespace dlfs {

bool is_same_convolution(const Window& w) {
  return w.stride_h == 1 && w.stride_w == 1 && w.kernel_h == 2 * w.pad_h + 1 && w.kernel_w == 2 * w.pad_w + 1;
}

PaddedPlanes padded_planes(std::size_t H, std::size_t W, const Window& window, std::size_t count) {
  if (!is_same_convolution(window))
    throw std::invalid_argument("padded_planes: " + window.describe() + " is not a stride-1 'same' window");
  return {H, W, window.pad_h, window.pad_w, count};
}

void pad_planes(const Tensor& x, std::size_t first, const PaddedPlanes& p, float* planes) {
  if (x.ndim() != 4 || x.dim(2) != p.H || x.dim(3) != p.W || first + p.count > x.dim(0))
    throw std::invalid_argument("pad_planes: images [" + std::to_string(first) + ", " +
                                std::to_string(first + p.count) + ") of " + std::to_string(p.H) + "x" +
                                std::to_string(p.W) + " from a tensor of shape " + shape_to_string(x.shape()));
  const std::size_t C = x.dim(1), image = p.H * p.W;
  for (std::size_t c = 0; c < C; ++c) {
    // One pass along the plane, in memory order: the leading zeros, then per image its rows each
    // followed by PW zeros and PH zero rows after it, then the trailing zeros.
    float* out = std::fill_n(planes + c * p.plane(), p.start(), 0.0f);
    for (std::size_t b = 0; b < p.count; ++b) {
      const float* image_c = x.data() + ((first + b) * C + c) * image;  // (H, W)
      for (std::size_t h = 0; h < p.H; ++h) {
        out = std::copy_n(image_c + h * p.W, p.W, out);
        out = std::fill_n(out, p.PW, 0.0f);
      }
      out = std::fill_n(out, p.PH * p.pitch(), 0.0f);
    }
    std::fill_n(out, p.start(), 0.0f);
  }
}

void unpad_planes(const float* maps, std::size_t ld, const PaddedPlanes& p, std::size_t first, Tensor& y,
                  const float* bias) {
  const std::size_t C = y.dim(1), image = p.H * p.W;
  for (std::size_t b = 0; b < p.count; ++b)
    for (std::size_t c = 0; c < C; ++c) {
      float* dst = y.data() + ((first + b) * C + c) * image;  // (H, W)
      const float add = bias ? bias[c] : 0.0f;
      for (std::size_t i = 0; i < p.H; ++i) {
        const float* src = maps + c * ld + p.position(b, i, 0);
        for (std::size_t j = 0; j < p.W; ++j) dst[i * p.W + j] = src[j] + add;
      }
    }
}

void shifted_rows(const float* planes, std::size_t channels, const PaddedPlanes& p, const Window& w,
                  const float** rows) {
  for (std::size_t c = 0; c < channels; ++c)
    for (std::size_t u = 0; u < w.kernel_h; ++u)
      for (std::size_t v = 0; v < w.kernel_w; ++v)
        // Output q's tap (u, v) reads start + (q / pitch + u - PH) pitch + (q % pitch + v - PW)
        // = q + u pitch + v: row (c, u, v) is channel c's plane from there on.
        rows[(c * w.kernel_h + u) * w.kernel_w + v] = planes + c * p.plane() + u * p.pitch() + v;
}

}  // namespace dlfs
