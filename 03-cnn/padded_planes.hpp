// Padded planes: images laid out so that every tap of a "same" convolution is a shifted row,
// which the GEMM reads where it lies (sgemm_rows) instead of from an im2col copy.
//
// A "same" convolution has stride 1 and a kernel of 2P + 1 taps padded by P on each side (a 3x3
// kernel with padding 1, a 5x5 with padding 2), so its output is as large as its input, and output
// (i, j) reads the pixels (i + u - PH, j + v - PW). Lay each channel's images out as rows of
// `pitch` = W + PW floats (every row followed by PW zeros), every image followed by PH zero rows,
// and PH zero rows and PW zeros before the first:
//
//   pixel (b, h, w) sits at  start + (b (H + PH) + h) pitch + w,     start = PH pitch + PW
//
// The zeros after a row are then the right padding of that row and the left padding of the next
// one, and the zero rows after an image are the bottom padding of that image and the top padding of
// the next. Number the output positions the same way, q = (b (H + PH) + i) pitch + j: tap (u, v) of
// output q reads the value at q + u pitch + v. So row (c, u, v) of im2col's matrix is simply channel
// c's plane read from offset u pitch + v on: nine overlapping views of one plane for a 3x3 kernel,
// where im2col writes nine copies.
//
// The price: the positions q also run over the zeros (j >= W, or i >= H), where the GEMM computes
// outputs that are thrown away: (H + PH)(W + PW) / (H W) times the work, for a 3x3 kernel 1.07 at
// 28 x 28, 1.15 at 14 x 14 and 1.31 at 7 x 7.
#pragma once

#include <cstddef>

#include "03-cnn/window.hpp"
#include "common/tensor.hpp"

namespace dlfs {

// Stride 1 and 2P + 1 taps padded by P, on both axes: the convolutions padded planes serve.
bool is_same_convolution(const Window& window);

// The layout of `count` images of H x W padded by (PH, PW), one channel's plane (every channel's is alike).
struct PaddedPlanes {
  std::size_t H, W, PH, PW, count;

  std::size_t pitch() const { return W + PW; }
  std::size_t start() const { return PH * pitch() + PW; }                // where pixel (0, 0, 0) sits
  std::size_t positions() const { return count * (H + PH) * pitch(); }  // q = 0 .. positions - 1
  std::size_t plane() const { return positions() + 2 * start(); }        // floats per channel: the last q's last tap
  std::size_t position(std::size_t b, std::size_t i, std::size_t j) const { return (b * (H + PH) + i) * pitch() + j; }
};
PaddedPlanes padded_planes(std::size_t H, std::size_t W, const Window& window, std::size_t count);

// Images [first, first + count) of x (B, C, H, W) into planes (C, plane): every pixel at its place,
// zero everywhere else.
void pad_planes(const Tensor& x, std::size_t first, const PaddedPlanes& layout, float* planes);

// The other way, for a GEMM's output: maps (C, positions), leading dimension ld, into images
// [first, first + count) of y (B, C, H, W), adding bias[c] to channel c when bias is given. The
// positions in the zeros are skipped.
void unpad_planes(const float* maps, std::size_t ld, const PaddedPlanes& layout, std::size_t first, Tensor& y,
                  const float* bias = nullptr);

// im2col's matrix as rows read in place: rows[(c KH + u) KW + v] = planes + c plane + u pitch + v,
// for the `channels` planes of `planes` (channels * KH * KW rows of positions() floats each).
void shifted_rows(const float* planes, std::size_t channels, const PaddedPlanes& layout, const Window& window,
                  const float** rows);

}  // namespace dlfs
