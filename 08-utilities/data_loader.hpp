// DataLoader: the batches of one epoch, drawn from chapter 02's Examples.
//
// Chapter 02's train_epoch draws its batches inline: a fresh permutation of 0..N-1 at the start
// of every epoch (rng.permutation), then B consecutive indices of it at a time. The DataLoader is
// that same code pulled out of the loop, with three knobs added:
//   * shuffle:   off gives the data's own order (evaluation, debugging);
//   * drop_last: N % B leftover examples make a smaller last batch; dropping it keeps every
//                batch the same size (batch statistics in chapter 05 need it);
//   * augment:   a function that changes each batch's inputs at random (flips, shifts, noise),
//                drawing from the loader's own Rng so a seeded run repeats exactly.
// With shuffling on, drop_last off and no augmentation it yields exactly the batches train_epoch
// would, from the same Rng: tests/test_trainer.cpp checks it bit for bit.
#pragma once

#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

#include "02-mlp/train.hpp"
#include "common/random.hpp"

namespace dlfs {

// Changes a batch's inputs in place, drawing any randomness from rng.
using Augmentation = std::function<void(Tensor& inputs, Rng& rng)>;

struct LoaderOptions {
  std::size_t batch_size = 64;
  bool shuffle = true;
  bool drop_last = false;
  Augmentation augment;  // empty: none
};

class DataLoader {
 public:
  // rng is the loader's stream: pass Rng(seed), or a generator already used for initialisation to
  // continue its stream (as chapter 02's example does with one Rng for both).
  DataLoader(Examples data, LoaderOptions options, Rng rng);

  // Draws the order of a new epoch (a permutation when shuffling). Call before batch(0).
  void start_epoch();
  // Batches per epoch: ceil(N / B), or floor(N / B) with drop_last.
  std::size_t batches() const;
  // The i-th batch of the current epoch (chapter 02's Batch: inputs, targets of any kind, indices).
  // Augmentation draws from the stream, so for a run to repeat, batches must be taken in order
  // 0, 1, 2, ... as the Trainer does.
  Batch batch(std::size_t i);

  std::size_t size() const { return data_.size(); }  // examples (N)
  const LoaderOptions& options() const { return options_; }
  // The stream, for checkpoints: its state at the end of an epoch decides the next epoch.
  Rng& rng() { return rng_; }

 private:
  Examples data_;
  LoaderOptions options_;
  Rng rng_;
  std::vector<std::size_t> order_;  // (N) this epoch's order
};

// The examples at `indices`, in that order, as a new set (shares the underlying data).
Examples subset(const Examples& data, std::vector<std::size_t> indices);

// Carves a validation set out of a training set: a seeded permutation, the last validation_size
// examples of it become {second}, the rest {first}. Hyperparameters are chosen on the validation
// set, so the test set stays unseen until the final report.
std::pair<Examples, Examples> split_validation(const Examples& data, std::size_t validation_size, Rng& rng);

// An augmentation: each image (the last axis is its width) is mirrored left-right with
// probability p. A shirt mirrored is still a shirt, so the label stays.
Augmentation random_horizontal_flip(float p = 0.5f);

}  // namespace dlfs
