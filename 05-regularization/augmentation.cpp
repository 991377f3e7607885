#include "05-regularization/augmentation.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

namespace dlfs {

void crop_padded(const float* src, float* dst, std::size_t channels, std::size_t height, std::size_t width,
                 std::size_t padding, std::size_t offset_y, std::size_t offset_x, float fill) {
  if (offset_y > 2 * padding || offset_x > 2 * padding)
    throw std::invalid_argument("crop_padded: offset (" + std::to_string(offset_y) + ", " + std::to_string(offset_x) +
                                ") outside [0, " + std::to_string(2 * padding) + "]");
  // y[c, i, j] = x[c, i + oy - P, j + ox - P], in signed arithmetic: the shift may be negative.
  const std::ptrdiff_t dy = std::ptrdiff_t(offset_y) - std::ptrdiff_t(padding);
  const std::ptrdiff_t dx = std::ptrdiff_t(offset_x) - std::ptrdiff_t(padding);
  const std::ptrdiff_t h = std::ptrdiff_t(height), w = std::ptrdiff_t(width);
  // The output columns [j0, j1) read inside the image; the rest of each row is fill.
  const std::ptrdiff_t j0 = std::clamp<std::ptrdiff_t>(-dx, 0, w), j1 = std::clamp<std::ptrdiff_t>(w - dx, 0, w);
  for (std::size_t c = 0; c < channels; ++c) {
    const float* plane = src + c * height * width;  // (H, W)
    float* out = dst + c * height * width;          // (H, W)
    for (std::ptrdiff_t i = 0; i < h; ++i) {
      float* row = out + i * w;
      const std::ptrdiff_t si = i + dy;
      if (si < 0 || si >= h || j0 >= j1) {
        std::fill(row, row + w, fill);
        continue;
      }
      std::fill(row, row + j0, fill);
      std::copy(plane + si * w + j0 + dx, plane + si * w + j1 + dx, row + j0);
      std::fill(row + j1, row + w, fill);
    }
  }
}

Augmentation random_crop(std::size_t padding, float fill) {
  return [padding, fill](Tensor& inputs, Rng& rng) {
    if (inputs.ndim() != 4)
      throw std::invalid_argument("random_crop: expected images (B, C, H, W), got " + shape_to_string(inputs.shape()));
    if (padding == 0) return;
    const std::size_t batch = inputs.dim(0), channels = inputs.dim(1), height = inputs.dim(2), width = inputs.dim(3);
    const std::size_t per_image = channels * height * width;
    std::vector<float> image(per_image);  // (C, H, W): the original, since the crop writes in place
    for (std::size_t b = 0; b < batch; ++b) {
      const std::size_t offset_y = rng.below(2 * padding + 1);
      const std::size_t offset_x = rng.below(2 * padding + 1);
      float* x = inputs.data() + b * per_image;
      std::copy(x, x + per_image, image.begin());
      crop_padded(image.data(), x, channels, height, width, padding, offset_y, offset_x, fill);
    }
  };
}

Augmentation compose(std::vector<Augmentation> steps) {
  return [steps = std::move(steps)](Tensor& inputs, Rng& rng) {
    for (const Augmentation& step : steps)
      if (step) step(inputs, rng);
  };
}

Augmentation crop_and_flip(std::size_t padding, float fill) {
  return compose({random_crop(padding, fill), random_horizontal_flip(0.5f)});
}

}  // namespace dlfs
