// Window: the sliding-window geometry that convolution, pooling and im2col share.
//
// A KH x KW window slides over an H x W image (padded by PH rows above and below and PW columns
// left and right) in steps of SH rows and SW columns. Output position (i, j) looks at the input
// rows i*SH - PH ... i*SH - PH + KH - 1 and columns j*SW - PW ... j*SW - PW + KW - 1, so the
// number of positions along each axis is
//
//     OH = floor((H + 2 PH - KH) / SH) + 1,      OW = floor((W + 2 PW - KW) / SW) + 1.
//
// (Rows and columns left over at the bottom and right when the division is not exact are never
// looked at, as in PyTorch.)
#pragma once

#include <cstddef>
#include <string>

namespace dlfs {

struct Window {
  std::size_t kernel_h = 1, kernel_w = 1;  // KH, KW
  std::size_t stride_h = 1, stride_w = 1;  // SH, SW
  std::size_t pad_h = 0, pad_w = 0;        // PH, PW: zeros (convolution) or ignored cells (pooling)

  // The common case: a square K x K window, the same stride and padding on both axes.
  static Window square(std::size_t kernel, std::size_t stride = 1, std::size_t padding = 0) {
    return {kernel, kernel, stride, stride, padding, padding};
  }

  // OH and OW for an H x W input. Throw std::invalid_argument naming `who` and the sizes when the
  // window does not fit the padded input even once.
  std::size_t out_h(std::size_t h, const std::string& who = "Window") const;
  std::size_t out_w(std::size_t w, const std::string& who = "Window") const;

  // Throws std::invalid_argument naming `who` for a zero kernel or stride.
  void validate(const std::string& who) const;

  // "5x5, stride 1, padding 2" (or "3x5, stride (1, 2), padding (0, 1)" when the axes differ).
  std::string describe() const;
};

}  // namespace dlfs
