// Conv2d: a 2-D convolution layer (strictly, a cross-correlation: the kernel is not flipped).
//
// Layout: NCHW, as in PyTorch. Activations are (B, C, H, W), row-major, so one image is C planes
// of H x W pixels, and the weights are (OC, C, KH, KW): one C x KH x KW filter per output channel.
//
//   forward   y[b,o,i,j] = bias[o] + sum_{c,u,v} W[o,c,u,v] x[b, c, i*SH - PH + u, j*SW - PW + v]
//             (x is 0 outside the image: that is the zero padding)
//
//   backward  every x and W entry reached y through the products above, so the chain rule sums
//             dy over exactly the (b, o, i, j) each one took part in:
//             dx[b,c,h,w] = sum_{o,u,v with h = i*SH - PH + u, w = j*SW - PW + v} W[o,c,u,v] dy[b,o,i,j]
//                         (stride 1: a "full" convolution of dy with the kernel flipped in u and v)
//             dW[o,c,u,v] += sum_{b,i,j} x[b, c, i*SH - PH + u, j*SW - PW + v] dy[b,o,i,j]
//                         (the correlation of the input with the output gradient)
//             db[o]       += sum_{b,i,j} dy[b,o,i,j]
//
// Two implementations, side by side: conv2d_direct (the definition as nested loops: slow,
// obviously right, the reference every test compares against) and the Conv2d layer, which does
// the same arithmetic as im2col + one GEMM per product (see im2col.hpp and the README).
#pragma once

#include "02-mlp/layer.hpp"
#include "03-cnn/window.hpp"
#include "common/random.hpp"

#include <vector>

namespace dlfs {

// ---- The direct convolution: the reference ------------------------------------------------

// x (B, C, H, W), weight (OC, C, KH, KW), bias (OC) or empty -> y (B, OC, OH, OW).
Tensor conv2d_direct(const Tensor& input, const Tensor& weight, const Tensor& bias, const Window& window);

struct Conv2dGradients {
  Tensor dinput;   // (B, C, H, W)
  Tensor dweight;  // (OC, C, KH, KW)
  Tensor dbias;    // (OC)
};
// The three gradients of the backward formulas above, each computed by the loop that reads most
// like its formula. doutput is (B, OC, OH, OW).
Conv2dGradients conv2d_direct_backward(const Tensor& input, const Tensor& weight, const Tensor& doutput,
                                       const Window& window);

// ---- The layer: im2col + GEMM ---------------------------------------------------------------
//
// The batch goes through in chunks of whole images, each chunk one GEMM per product. Why not the
// whole batch at once: cols is C*KH*KW times larger than the images it comes from (25x for
// LeNet's first layer, 12.8x for its second), so for a batch of 64 it is megabytes that im2col
// writes out to memory and the GEMM reads back. A chunk of about 2 MiB stays in cache between the
// two (the README has the timings: 5-10% less time per epoch, and less memory).
//
// Two ways to give the GEMM its cols:
//  - a "same" convolution (stride 1, padding P around a 2P + 1 kernel) of 8 or more input
//    channels (the 3x3 convolutions of VGG and ResNet after the first) lays the chunk's images out
//    as padded planes, where every row of cols is a shifted view of one plane (padded_planes.hpp):
//    the GEMM reads them in place, and no cols are ever written. Backward runs the same way on the
//    padded output gradient, with the kernel flipped, and training keeps the padded planes for it;
//  - any other window (strides, LeNet's unpadded 5x5) converts each chunk with im2col. Training
//    keeps the batch's cols for the weight gradient when they are small; otherwise it keeps the
//    input, and backward converts each chunk again, which costs less than writing the whole
//    batch's cols out to memory and reading them back, and needs C*KH*KW times less memory.
class Conv2d : public Layer {
 public:
  // Weights drawn with He initialisation for the ReLU that follows: N(0, 2 / fan_in), where
  // fan_in = C*KH*KW is the number of inputs each output sums over. Biases start at 0.
  Conv2d(std::size_t in_channels, std::size_t out_channels, const Window& window, Rng& rng);
  // A square kernel with the same stride and padding on both axes.
  Conv2d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel, Rng& rng,
         std::size_t stride = 1, std::size_t padding = 0);

  Tensor forward(const Tensor& input) override;     // (B, C, H, W) -> (B, OC, OH, OW)
  Tensor backward(const Tensor& doutput) override;  // (B, OC, OH, OW) -> (B, C, H, W)
  std::vector<Parameter*> parameters() override { return {&weight_, &bias_}; }
  std::string name() const override;  // "Conv2d(1, 6, 5x5, stride 1, padding 2)"

  // (B, OC, OH, OW) for an input of shape (B, C, H, W); throws naming the layer for a bad shape.
  Shape output_shape(const Shape& input_shape) const;

  Parameter& weight() { return weight_; }  // (OC, C, KH, KW)
  Parameter& bias() { return bias_; }      // (OC)
  std::size_t in_channels() const { return in_; }
  std::size_t out_channels() const { return out_; }
  const Window& window() const { return window_; }

  // How big one chunk's cols may get, in bytes (at least one image per chunk); 0 puts the whole
  // batch in one chunk. The default, 2 MiB, is the two cores' L2 caches.
  void set_chunk_bytes(std::size_t bytes) { chunk_bytes_ = bytes; }
  static constexpr std::size_t kDefaultChunkBytes = std::size_t(2) << 20;

 protected:
  // False for a convolution whose bias stays 0 (chapter 05's BiasFreeConv2d): backward then
  // leaves the bias's gradient alone instead of summing dy for it.
  virtual bool learns_bias() const { return true; }

 private:
  // The batch in chunks of whole images, as even as they come: chunk n is images [first(n), first(n + 1)).
  struct Chunks {
    std::size_t batch, count;
    std::size_t first(std::size_t n) const { return n * batch / count; }
    std::size_t size(std::size_t n) const { return first(n + 1) - first(n); }
    std::size_t largest() const { return (batch + count - 1) / count; }
  };
  // As many chunks as keep one within chunk_bytes_ at bytes_per_image, and an even number: two
  // threads then get equal shares. (Never the thread count itself: chunk n's share of dW is summed
  // in chunk order, so the chunks must be the same on any number of threads for the same bits.)
  Chunks chunks_for(std::size_t batch, std::size_t bytes_per_image) const;

  // A "same" convolution of at least kMinPaddedChannels input channels runs on padded planes.
  static constexpr std::size_t kMinPaddedChannels = 8;
  bool uses_padded_planes() const;
  void forward_im2col(const Tensor& input, Tensor& y);
  void forward_padded(const Tensor& input, Tensor& y);
  void backward_im2col(const Tensor& doutput, Tensor& dx);
  void backward_padded(const Tensor& doutput, Tensor& dx);

  std::size_t in_, out_;
  Window window_;
  Parameter weight_;  // (OC, C, KH, KW), used as the matrix (OC, C*KH*KW)
  Parameter bias_;    // (OC)
  std::size_t chunk_bytes_ = kDefaultChunkBytes;
  // What the last forward in training mode kept for backward: for a "same" convolution every
  // chunk's padded planes; otherwise the whole batch's cols when they take at most kKeepColsBytes,
  // else the input, whose cols backward makes again chunk by chunk.
  static constexpr std::size_t kKeepColsBytes = std::size_t(8) << 20;
  bool saved_for_backward_ = false;  // the last forward ran in training mode
  bool cols_kept_ = false;
  std::size_t chunk_count_ = 1;  // chunks in the last forward
  Shape input_shape_;  // (B, C, H, W)
  Tensor kept_cols_;   // (B, C*KH*KW * OH*OW): every chunk's cols, one after the other
  Tensor kept_planes_;  // (chunks, C * plane): every chunk's padded planes
  Tensor input_;       // (B, C, H, W)
  // Scratch, one block per thread (a chunk of images each): cols (C*KH*KW, count*OH*OW) or padded
  // planes, the GEMM's output in forward or dy in backward (OC, count*OH*OW), dcols (C*KH*KW,
  // count*OH*OW) or dx's padded positions, and the rows sgemm_rows reads.
  Tensor cols_, maps_, dcols_;
  std::vector<const float*> rows_;
  Tensor flipped_weight_;  // (C, OC*KH*KW): W[o, c, KH-1-u, KW-1-v] at [c, (o, u, v)], for dx
  Tensor dweight_chunks_;  // (chunks, OC*C*KH*KW): each chunk's share of dW, summed in order
};

}  // namespace dlfs
