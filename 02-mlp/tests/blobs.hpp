// Three Gaussian blobs in 2-D: a small classification problem an MLP learns in a few epochs.
// Chapter 02's training tests introduce it; later chapters' tests (07, 08) reuse it from here, and
// its golden run (train_on_blobs).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "02-mlp/losses.hpp"
#include "02-mlp/mlp.hpp"
#include "02-mlp/optimizer.hpp"
#include "02-mlp/train.hpp"
#include "common/random.hpp"

namespace dlfs::test {

inline Examples blobs(std::size_t n, Rng& rng) {
  Tensor x({n, 2});  // (N, 2)
  std::vector<int> y(n);
  const float centers[3][2] = {{0, 2}, {2, -1}, {-2, -1}};
  for (std::size_t i = 0; i < n; ++i) {
    y[i] = int(i % 3);
    x(i, 0) = centers[y[i]][0] + rng.normal(0, 0.7f);
    x(i, 1) = centers[y[i]][1] + rng.normal(0, 0.7f);
  }
  return examples_from_tensor(std::move(x), std::move(y));
}

inline Examples blobs(std::size_t n, std::uint64_t seed = 7) {
  Rng rng(seed);
  return blobs(n, rng);
}

// The golden run on blobs that 02's SGD and 07's optimizers and losses are pinned by: a 2-16-3 ReLU
// MLP (seed 42) trained on 300 blobs (seed 7), 8 epochs in batches of 30 at a constant rate, by the
// optimizer `make(parameters)` and the loss. Each epoch's mean loss, the steps taken, and the
// accuracy on the training set at the end.
struct BlobsRun {
  std::vector<double> losses;
  std::size_t steps = 0;
  double accuracy = 0.0;
};

inline BlobsRun train_on_blobs(const std::function<std::unique_ptr<Optimizer>(std::vector<Parameter*>)>& make,
                               float learning_rate, const Loss& loss = softmax_cross_entropy) {
  Rng data_rng(7), rng(42);
  const Examples train = blobs(300, data_rng);
  Sequential model = make_mlp(2, {16}, 3, "relu", rng);
  const std::unique_ptr<Optimizer> optimizer = make(model.parameters());
  TrainOptions options;
  options.batch_size = 30;
  options.progress = false;
  BlobsRun run;
  for (int epoch = 0; epoch < 8; ++epoch)
    run.losses.push_back(
        train_epoch(model, *optimizer, loss, train, rng, constant_schedule(learning_rate), run.steps, options).loss);
  run.accuracy = evaluate(model, loss, train).accuracy;
  return run;
}

}  // namespace dlfs::test
