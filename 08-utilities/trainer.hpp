// Trainer: chapter 02's training loop with hooks, so that stopping early, checkpointing, keeping
// the best model, learning-rate schedules, metrics files and progress bars are plug-ins
// (callbacks.hpp) instead of edits to the loop.
//
// The loop is the one chapter 02 teaches, and its body is the very same code: every batch is one
// call of chapter 02's train_on_batch, so micro-batches, replicas on threads of their own, any kind
// of target (class labels, labels per position, real values) and the stop on a diverged loss work
// here exactly as in train_epoch:
//   for each epoch:  loader.start_epoch()
//     for each batch:  train_on_batch(model, optimizer, loss, loader.batch(i), ...)
//                        (zero the gradients; forward, loss, backward; step)
//     evaluate on the validation set (02's evaluate)
// and the callbacks are called at fixed points around it:
//
//   on_fit_begin
//   ┌ on_epoch_begin
//   │ ┌ on_batch_begin   (learning-rate schedules set the rate for this update here)
//   │ │   train_on_batch
//   │ └ on_batch_end     (progress bars, time budgets)
//   │ on_epoch_end       (metrics files, early stopping, best model)
//   └ on_epoch_complete  (checkpoints: after every on_epoch_end, so they hold the whole epoch's state)
//   on_fit_end
//
// The Trainer counts epochs and steps itself, so fit(10) after resume() from a checkpoint written
// at epoch 4 trains epochs 5..10 and ends with the same weights as an uninterrupted fit(10). A
// callback that remembers earlier epochs (early stopping's patience, the best weights so far, a
// dropout layer's random stream) puts that memory into the checkpoint too (save_state), so the
// resumed run decides exactly as the uninterrupted one would.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "02-mlp/layer.hpp"
#include "02-mlp/losses.hpp"
#include "02-mlp/optimizer.hpp"
#include "02-mlp/train.hpp"
#include "08-utilities/data_loader.hpp"
#include "common/safetensors.hpp"

namespace dlfs {

// What one epoch did. The validation metrics are NaN when fit() was given no validation set.
struct EpochLog {
  std::size_t epoch = 0;     // 1-based
  float learning_rate = 0;   // at the epoch's last update
  Metrics train;             // measured on the fly, on each batch before its update
  Metrics validation;        // chapter 02's evaluate after the epoch
  double seconds = 0.0;      // training time of the epoch (without evaluation)
};

class Trainer;

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_fit_begin(Trainer&) {}
  virtual void on_epoch_begin(Trainer&) {}
  virtual void on_batch_begin(Trainer&) {}
  virtual void on_batch_end(Trainer&, double /*batch_loss*/) {}
  virtual void on_epoch_end(Trainer&, const EpochLog&) {}
  // After every callback's on_epoch_end: a checkpoint written here holds what each of them
  // remembers of this epoch (early stopping's count, the best weights), whatever order they were added in.
  virtual void on_epoch_complete(Trainer&, const EpochLog&) {}
  virtual void on_fit_end(Trainer&) {}

  // State carried from epoch to epoch, for checkpoints. save_state adds tensors (by pointer,
  // under names of the callback's own, e.g. "keep_best.0.weight") and metadata entries ("early_stopping.
  // bad_epochs"). On resume the Trainer calls save_state to learn which tensors to fill, fills them
  // from the file, then calls load_state with the file's metadata, which reads the entries back and
  // throws std::runtime_error naming `path` when one is missing or malformed. Stateless callbacks
  // keep these empty.
  virtual void save_state(Trainer&, NamedTensors& /*tensors*/, Metadata& /*metadata*/) {}
  virtual void load_state(Trainer&, const std::string& /*path*/, const Metadata& /*metadata*/) {}
};

struct TrainerOptions {
  Loss loss = softmax_cross_entropy;
  // What evaluate() reports as the loss; empty: `loss`. A training loss made for training only
  // (chapter 05's label smoothing) is then not what the validation loss measures.
  Loss evaluation_loss;
  std::size_t eval_batch_size = 500;
  // As in chapter 02's TrainOptions: slices of at most micro_batch examples, and replicas of the
  // model each trained by a thread of its own.
  std::size_t micro_batch = 0;
  std::vector<Layer*> replicas;
  // As in chapter 02's TrainOptions: this process's share of every batch when several processes
  // train the model together (chapter 09).
  ProcessShare processes;
  // The run's settings (e.g. {"run", "batch=64 lr=0.1 ..."}): written into checkpoints and required
  // to match on resume, so a checkpoint is never continued under different hyperparameters.
  Metadata run;
};

class Trainer {
 public:
  // The Trainer holds references: model, optimizer and loader must outlive it.
  Trainer(Layer& model, Optimizer& optimizer, DataLoader& train, TrainerOptions options = {});

  // Adds a callback; they are called in the order they were added.
  template <class C, class... Args>
  C& add(Args&&... args) {
    auto callback = std::make_unique<C>(std::forward<Args>(args)...);
    C& ref = *callback;
    callbacks_.push_back(std::move(callback));
    return ref;
  }

  // Trains until `epochs` epochs are complete in total (counting those before a resume), or until
  // a callback calls stop(). Evaluates on `validation` after every epoch when given.
  // Returns this call's epoch logs. Throws TrainingDiverged (chapter 02) when the loss or a
  // gradient stops being finite: the model keeps its last finite weights, and no callback runs.
  std::vector<EpochLog> fit(std::size_t epochs, const Examples* validation = nullptr);
  // Chapter 02's evaluate with this trainer's evaluation loss.
  Evaluation evaluate(const Examples& data);

  // Asks fit() to return after the current batch. A stop in the middle of an epoch (a time budget)
  // leaves that epoch incomplete: it is not counted, logged or checkpointed, and interrupted() is true.
  // The weights, optimizer and step then include part of an epoch that epoch() does not count, so
  // a further fit() or save_checkpoint() would continue from a state no epoch ended in: both throw
  // std::logic_error (continue from the last checkpoint, in a new Trainer, instead).
  void stop() { stop_requested_ = true; }
  bool interrupted() const { return interrupted_; }

  // Everything needed to continue exactly: parameters, optimizer state, the loader's Rng, epoch,
  // step, and every callback's state.
  void save_checkpoint(const std::string& path);
  // Restores all of that from a checkpoint; add the callbacks first, so they get their state back.
  // A file that does not fit this model, optimizer, run and callbacks is refused, and nothing is
  // changed (what was copied before a callback refused its entries is put back).
  void resume(const std::string& path);

  Layer& model() { return model_; }
  Optimizer& optimizer() { return optimizer_; }
  DataLoader& loader() { return loader_; }
  std::size_t epoch() const { return epoch_; }          // epochs completed
  std::size_t step() const { return step_; }            // updates done (the schedule's clock)
  std::size_t target_epochs() const { return target_; } // the `epochs` of the running fit()
  std::size_t batch_index() const { return batch_; }    // within the current epoch (0-based)

 private:
  Layer& model_;
  Optimizer& optimizer_;
  DataLoader& loader_;
  TrainerOptions options_;
  std::vector<std::unique_ptr<Callback>> callbacks_;
  std::size_t epoch_ = 0, step_ = 0, target_ = 0, batch_ = 0;
  bool stop_requested_ = false, interrupted_ = false;
};

}  // namespace dlfs
