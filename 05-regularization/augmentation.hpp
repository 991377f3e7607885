// Data augmentation for images: every epoch shows the network a slightly different copy of each
// training image, shifted and mirrored at random, while the label stays the same. A shirt moved two
// pixels to the left is still a shirt, so the network is pushed to learn that too instead of
// memorizing where each training image's pixels sit.
//
// All of these are chapter 08's Augmentation, a function the DataLoader calls on every batch's
// inputs (B, C, H, W) with its own Rng, so a seeded run draws the same crops and flips every time:
//
//   LoaderOptions options;
//   options.augment = crop_and_flip(2, fill);   // what the training example's --augment sets
//
// Random crop with padding (the convention of PyTorch's RandomCrop(28, padding=P)): pad the image
// with P pixels of `fill` on every side, to (H + 2P) x (W + 2P), then cut an H x W window out of it
// at an offset (oy, ox) drawn uniformly from {0, ..., 2P}^2, independently for every image:
//
//   y[c, i, j] = x[c, i + oy - P, j + ox - P]     where that pixel lies inside x, else fill
//
// (oy, ox) = (P, P) is the identity; (0, 0) moves the image P pixels right and down, and its top P
// rows and left P columns are fill. There are (2P + 1)^2 equally likely offsets.
#pragma once

#include <cstddef>
#include <vector>

#include "08-utilities/data_loader.hpp"

namespace dlfs {

// The crop of one image at one offset: (C, H, W) -> (C, H, W), src and dst must not overlap.
// offset_y and offset_x are in [0, 2 padding]; the pixels that fall outside the image are `fill`.
void crop_padded(const float* src, float* dst, std::size_t channels, std::size_t height, std::size_t width,
                 std::size_t padding, std::size_t offset_y, std::size_t offset_x, float fill = 0.0f);

// Random crop with `padding` pixels of `fill` on each side, one offset per image of the batch
// (B, C, H, W). The offsets are drawn from the loader's rng in the order of the batch: oy then ox
// for image 0, then for image 1, ... . padding 0 leaves the batch unchanged (and draws nothing).
// Inputs that are standardized, (pixel / 255 - mean) / stddev, pad with a black pixel by passing
// fill = -mean / stddev, which is what PyTorch's RandomCrop does before ToTensor and Normalize.
Augmentation random_crop(std::size_t padding, float fill = 0.0f);

// The augmentations applied one after the other to the same batch, with the same rng.
Augmentation compose(std::vector<Augmentation> steps);

// The example's --augment: random_crop(padding, fill), then chapter 08's random_horizontal_flip(0.5).
Augmentation crop_and_flip(std::size_t padding, float fill = 0.0f);

}  // namespace dlfs
