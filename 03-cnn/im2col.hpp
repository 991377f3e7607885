// im2col and col2im: how a convolution becomes one matrix multiply.
//
// A convolution output is a dot product between one window of the input (C x KH x KW numbers)
// and one filter (the same C x KH x KW numbers, per output channel). im2col ("image to columns",
// Chellapilla et al. 2006; Caffe's layout) copies every window of every image of the batch into
// one column of a matrix:
//
//     cols[(c, u, v), (b, i, j)] = x[b, c, i*SH - PH + u, j*SW - PW + v]    (0 outside the image)
//     cols: (C*KH*KW, B*OH*OW)      rows = taps of the window, columns = output positions
//
// and then all B*OH*OW*OC dot products are one GEMM with the filters W (OC, C*KH*KW):
//
//     Y = W . cols                  (OC, B*OH*OW)
//
// which runs near the machine's peak instead of at the speed of seven nested scalar loops. The
// price is memory: each input pixel is copied into up to KH*KW columns.
//
// col2im is the adjoint (the transpose) of im2col: im2col maps x linearly to cols, so there is a
// matrix M with vec(cols) = M vec(x), and col2im computes M^T vec(dcols), i.e. it adds every
// entry of dcols back onto the input pixel it was copied from. That is exactly what the backward
// pass needs: dL/dx = M^T dL/dcols. Pixels that sat in several windows receive several
// contributions; padding entries were not copied from anywhere, so their gradients are dropped.
//
// Why taps as rows and positions as columns (and not the transpose, (B*OH*OW, C*KH*KW)): for a
// fixed tap (c, u, v) and output row i, the OW entries of cols come from one run of an input row
// (contiguous when the stride is 1), so im2col and col2im copy runs of OW floats instead of
// scattering KW floats at a time; and Y comes out as (OC, B, OH*OW), which becomes NCHW's
// (B, OC, OH*OW) by copying whole planes. The tap order (c, u, v) is W's (OC, C, KH, KW) flattened,
// so the weights are used as they are stored. The README has the timings behind this choice.
#pragma once

#include "03-cnn/window.hpp"
#include "common/tensor.hpp"

namespace dlfs {

// x (B, C, H, W) -> cols (C*KH*KW, B*OH*OW), the whole batch.
Tensor im2col(const Tensor& input, const Window& window);
// Images [first, first + count) of x only -> cols (C*KH*KW, count*OH*OW), written to `cols`
// (C*KH*KW * count*OH*OW floats), so a layer can fill one block of a larger buffer (see Conv2d's chunks).
void im2col(const Tensor& input, const Window& window, std::size_t first, std::size_t count, float* cols);

// dcols (C*KH*KW, B*OH*OW) -> dx (B, C, H, W) = M^T dcols for an input of shape `input_shape`:
// each pixel gets the sum of the entries copied from it.
Tensor col2im(const Tensor& dcols, const Shape& input_shape, const Window& window);
// dcols (C*KH*KW, count*OH*OW): ADDS M^T dcols into images [first, first + count) of dinput
// (B, C, H, W) (a layer zeroes dx once; every chunk then adds its share).
void col2im(const float* dcols, const Window& window, std::size_t first, std::size_t count, Tensor& dinput);

}  // namespace dlfs
