// The mini-batch training loop, written out in full: this is what chapter 08's Trainer wraps.
//
// One epoch = one pass over the training set in a freshly shuffled order, B examples at a time:
//   for each batch:  zero the gradients
//                    output = model.forward(x)                 (B, ...)
//                    loss, doutput = loss_fn(output, targets)  targets: labels or values (targets.hpp)
//                    model.backward(doutput); optimizer.step()
// Shuffling (seeded, so runs repeat) keeps batches from carrying the data's order; small batches
// give noisy but cheap gradient estimates, many updates per epoch. The forward and backward pass
// may also run slice by slice, and on several threads (TrainOptions: micro_batch, replicas); the
// gradient, and so the step, is the batch's either way. The body of the loop is train_on_batch,
// which chapter 08's Trainer calls too: there is one training step in the book.
#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "02-mlp/layer.hpp"
#include "02-mlp/losses.hpp"
#include "02-mlp/metrics.hpp"
#include "02-mlp/optimizer.hpp"
#include "02-mlp/sequential.hpp"
#include "common/fashion_mnist.hpp"
#include "common/random.hpp"

namespace dlfs {

// A data set the loop draws batches from: inputs(indices) builds the inputs of those examples,
// (n, ...); targets holds what the network should output for each of the N examples.
struct Examples {
  std::function<Tensor(const std::vector<std::size_t>&)> inputs;
  Targets targets;
  std::size_t size() const { return targets.size(); }
};

// The rows of x (N, ...) as a data set (x is moved in and owned by the Examples).
Examples examples_from_tensor(Tensor x, Targets targets);
// Images scaled to [0, 1] and standardized: (pixel / 255 - mean) / stddev, with their class labels.
// `images` must outlive the Examples: batches are converted from its bytes on demand.
Examples examples_from_images(const LabeledImages& images, float mean, float stddev);

// One batch: the inputs and targets of the examples at `indices` (positions in the data set).
struct Batch {
  Tensor inputs;                     // (B, ...)
  Targets targets;                   // (B, ...)
  std::vector<std::size_t> indices;  // (B)
};
Batch make_batch(const Examples& data, std::vector<std::size_t> indices);

// Learning rate as a function of the global step (0-based).
using Schedule = std::function<float(std::size_t step)>;
Schedule constant_schedule(float lr);
// Cosine decay from lr to 0 over total_steps (Loshchilov & Hutter 2017, without restarts):
//   lr_t = lr * (1 + cos(pi t / T)) / 2
// Large steps early to travel, small ones late to settle into the minimum SGD keeps bouncing around.
Schedule cosine_schedule(float lr, std::size_t total_steps);

// One epoch's training metrics (loss, and accuracy, bits per token or MAE/RMSE by the kind of
// target), measured on the fly on each batch before its update, and the epoch's wall time.
struct EpochStats : Metrics {
  double seconds = 0.0;
};

struct BatchResult;

// This process's place among several that train one model together, each on its share of every
// batch (chapter 09, over MPI), and how they add up what they computed. The default: one process.
struct ProcessShare {
  std::size_t rank = 0;   // this process: 0 .. count - 1
  std::size_t count = 1;  // processes
  // Adds up every process's gradients and batch result (loss, metric sums) in place, so that each
  // process holds those of the whole batch. Required when count > 1.
  std::function<void(Layer& model, const Batch& batch, BatchResult& result)> all_reduce;
  // This process's rows [first, last) of a batch of B: contiguous, sizes differing by at most one.
  std::pair<std::size_t, std::size_t> rows(std::size_t B) const { return {B * rank / count, B * (rank + 1) / count}; }
};

struct TrainOptions {
  std::size_t batch_size = 64;
  // Forward and backward run on slices of at most micro_batch examples of each batch; the slices'
  // gradients add up in the parameters (backward accumulates), and the optimizer steps once per
  // batch. The update is the batch's own, up to float rounding: the batch loss is the mean over its
  // B examples, so a slice of n contributes n / B times its own mean. What changes is memory: a
  // slice's activations fit in the core's cache where the batch's do not (chapter 03's README has
  // the timings). 0 runs the whole batch at once. Only for models that treat the examples of a
  // batch independently, as every layer of chapters 02-04 does: a model with a batch-coupled layer
  // (Layer::batch_coupled_layer, e.g. batch norm) is refused, with the layer's name.
  std::size_t micro_batch = 0;
  // Data parallelism: other networks of the model's architecture (make_replicas). The model and
  // its R replicas are R + 1 workers; the slices of each batch are shared out among them (without
  // micro_batch: one slice each), and the workers among OpenMP's threads (at most one thread per
  // worker), so the threads never wait on each other inside a layer. The replicas read the model's
  // parameter values in place (Tensor::shared_view: nothing is copied, and the model's update is
  // what they compute with next); each worker zeroes and fills its own network's gradients, then
  // every thread adds up its share of the elements of all the gradients into the model's, in
  // worker order, and the optimizer steps the model alone. The sums run in another order than
  // without replicas, so results agree with a replica-less run to rounding; with the same replicas
  // they are the same bits on one thread as on two (a worker's slices do not depend on the thread
  // count). Refused for batch-coupled models.
  std::vector<Layer*> replicas;
  // Data parallelism across processes (chapter 09): each of processes.count processes computes
  // only its rows of every batch, [B r / P, B (r + 1) / P) for r = processes.rank (sliced and shared
  // among its replicas as above, each slice weighing in with its share of the whole batch); then
  // processes.all_reduce makes the gradients and the result the whole batch's on every process,
  // and the finiteness check and the step follow there, alike everywhere. A batch-coupled model is
  // split this way too: its statistics are then those of each process's rows.
  ProcessShare processes;
  std::string label = "epoch";  // progress bar label, e.g. "epoch 3/10"
  bool progress = true;         // draw the progress bar
};

// `count` networks for TrainOptions::replicas, each built by make(rng) from a throwaway random
// stream (their initial values do not matter: training points them at the model's values).
std::vector<Sequential> make_replicas(std::size_t count, const std::function<Sequential(Rng&)>& make);

// What one batch did.
struct BatchResult {
  MetricSums sums;          // its loss and metrics, measured before the update
  double loss = 0.0;        // its mean loss
  std::string non_finite;   // "" when the loss and every gradient were finite; else "the loss" or
                            // the first parameter whose gradient was NaN or infinite (then no step was taken)
};

// One update from one batch, the body of train_epoch's loop (and of chapter 08's Trainer):
//   zero the gradients; forward, loss and backward over the batch (in slices, on the replicas'
//   threads, as options say); check that the loss and every gradient are finite; step at
//   `learning_rate`. A non-finite batch is not stepped: the caller stops (TrainingDiverged).
BatchResult train_on_batch(Layer& model, Optimizer& optimizer, const Loss& loss, const Batch& batch,
                           float learning_rate, const TrainOptions& options = {});

// The error that ends a run whose loss or gradients have become NaN or infinite (a learning rate
// too large, most often). Training on would only spread NaN through every weight, and saving
// them would replace a good model file with a useless one, so the loop stops instead:
//   "epoch 1/2, step 17: the loss is nan (last finite batch loss 2.3026) ..."
class TrainingDiverged : public std::runtime_error {
 public:
  TrainingDiverged(const std::string& where, std::size_t step, const BatchResult& batch, double last_finite_loss);
};

// One epoch. `step` is the global step counter (advanced by the number of batches); the optimizer's
// learning rate is set from schedule(step) before every update. Throws TrainingDiverged.
EpochStats train_epoch(Layer& model, Optimizer& optimizer, const Loss& loss, const Examples& train, Rng& rng,
                       const Schedule& schedule, std::size_t& step, const TrainOptions& options = {});

// Metrics of the model in evaluation mode over all examples in order, batch by batch. For one
// class per example it also counts the confusion matrix (C from the output's last axis).
struct Evaluation : Metrics {
  std::vector<std::vector<double>> confusion;  // [true class][predicted class] counts
  std::vector<double> per_class_accuracy;      // recall of each class
};
Evaluation evaluate(Layer& model, const Loss& loss, const Examples& data, std::size_t batch_size = 500);

}  // namespace dlfs
