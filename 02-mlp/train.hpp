// The mini-batch training loop, written out in full: this is what chapter 08's Trainer wraps.
//
// One epoch = one pass over the training set in a freshly shuffled order, B examples at a time:
//   for each batch:  zero the gradients
//                    logits = model.forward(x)          (B, classes)
//                    loss, dlogits = loss_fn(logits, y)
//                    model.backward(dlogits); optimizer.step()
// Shuffling (seeded, so runs repeat) keeps batches from carrying the data's order; small batches
// give noisy but cheap gradient estimates, many updates per epoch. The forward and backward pass
// may also run slice by slice, and on several threads (TrainOptions: micro_batch, replicas); the
// gradient, and so the step, is the batch's either way.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "02-mlp/layer.hpp"
#include "02-mlp/losses.hpp"
#include "02-mlp/optimizer.hpp"
#include "02-mlp/sequential.hpp"
#include "common/fashion_mnist.hpp"
#include "common/random.hpp"

namespace dlfs {

// A labelled set the loop draws batches from: inputs(indices) builds the batch (B, ...).
struct Examples {
  std::function<Tensor(const std::vector<std::size_t>&)> inputs;
  std::vector<int> labels;  // (N)
  std::size_t size() const { return labels.size(); }
};

// The rows of x (N, ...) as a training set (x is moved in and owned by the Examples).
Examples examples_from_tensor(Tensor x, std::vector<int> labels);
// Images scaled to [0, 1] and standardized: (pixel / 255 - mean) / stddev. `images` must outlive
// the Examples: batches are converted from its bytes on demand.
Examples examples_from_images(const LabeledImages& images, float mean, float stddev);

// The rows of x (N, ...) at `indices`, in that order: (indices.size(), ...).
Tensor gather_rows(const Tensor& x, const std::vector<std::size_t>& indices);

// Learning rate as a function of the global step (0-based).
using Schedule = std::function<float(std::size_t step)>;
Schedule constant_schedule(float lr);
// Cosine decay from lr to 0 over total_steps (Loshchilov & Hutter 2017, without restarts):
//   lr_t = lr * (1 + cos(pi t / T)) / 2
// Large steps early to travel, small ones late to settle into the minimum SGD keeps bouncing around.
Schedule cosine_schedule(float lr, std::size_t total_steps);

struct EpochStats {
  double loss = 0.0;      // mean training loss over the epoch's batches
  double accuracy = 0.0;  // training accuracy, measured on the fly (before each update)
  double seconds = 0.0;
};

struct TrainOptions {
  std::size_t batch_size = 64;
  // Forward and backward run on slices of at most micro_batch examples of each batch; the slices'
  // gradients add up in the parameters (backward accumulates), and the optimizer steps once per
  // batch. The update is the batch's own, up to float rounding: the batch loss is the mean over its
  // B examples, so a slice of n contributes n / B times its own mean. What changes is memory: a
  // slice's activations fit in the core's cache where the batch's do not (chapter 03's README has
  // the timings). 0 runs the whole batch at once. Only for models that treat the examples of a
  // batch independently, as every layer of chapters 02-04 does (not batch norm, chapter 05).
  std::size_t micro_batch = 0;
  // Data parallelism: other networks of the model's architecture (make_replicas), each run by a
  // thread of its own: the model and R replicas train on R + 1 threads, whatever OpenMP's thread
  // count says. The slices of each batch are shared out among them (without micro_batch: one slice
  // each), so the threads never wait on each other inside a layer. Before each batch the replicas
  // receive the model's parameter values; after it their gradients are added into the model's, and
  // the optimizer steps the model alone. The sums then run in another order, so results agree with
  // a single thread's to rounding, not bit for bit.
  std::vector<Layer*> replicas;
  std::string label = "epoch";  // progress bar label, e.g. "epoch 3/10"
  bool progress = true;         // draw the progress bar
};

// `count` networks for TrainOptions::replicas, each built by make(rng) from a throwaway random
// stream (their initial values do not matter: train_epoch overwrites them before every batch).
std::vector<Sequential> make_replicas(std::size_t count, const std::function<Sequential(Rng&)>& make);

// One epoch. `step` is the global step counter (advanced by the number of batches); the optimizer's
// learning rate is set from schedule(step) before every update.
EpochStats train_epoch(Layer& model, Optimizer& optimizer, const ClassificationLoss& loss,
                       const Examples& train, Rng& rng, const Schedule& schedule,
                       std::size_t& step, const TrainOptions& options = {});

struct Evaluation {
  double loss = 0.0;
  double accuracy = 0.0;
  std::vector<std::vector<double>> confusion;  // [true class][predicted class] counts
  std::vector<double> per_class_accuracy;      // recall of each class
};

// Runs the model in evaluation mode over all examples in order, batch by batch.
Evaluation evaluate(Layer& model, const ClassificationLoss& loss, const Examples& data,
                    std::size_t num_classes, std::size_t batch_size = 500);

}  // namespace dlfs
