// The Trainer's plug-ins. Each is a few lines at one hook of the loop (trainer.hpp draws the hooks).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "02-mlp/train.hpp"
#include "08-utilities/trainer.hpp"
#include "common/metrics_csv.hpp"
#include "common/progress.hpp"
#include "common/system.hpp"

namespace dlfs {

// Which number "better" refers to: lower validation loss or higher validation accuracy.
enum class Monitor { ValLoss, ValAccuracy };
// The monitored value of a log, signed so that larger is always better.
double monitored_score(const EpochLog& log, Monitor monitor);

// Sets the learning rate before every update from a chapter 02 Schedule of the global step
// (constant, cosine, ...), exactly where train_epoch does.
class LearningRateSchedule : public Callback {
 public:
  explicit LearningRateSchedule(Schedule schedule) : schedule_(std::move(schedule)) {}
  void on_batch_begin(Trainer& t) override { t.optimizer().set_learning_rate(schedule_(t.step())); }

 private:
  Schedule schedule_;
};

// Common's progress bar, one per epoch, finished with the validation result.
class ProgressBarCallback : public Callback {
 public:
  void on_epoch_begin(Trainer& t) override;
  void on_batch_end(Trainer& t, double batch_loss) override;
  void on_epoch_end(Trainer& t, const EpochLog& log) override;

 private:
  std::unique_ptr<ProgressBar> bar_;
  double loss_sum_ = 0.0;
};

// One CSV row per epoch: epoch, lr, train_loss, train_accuracy, val_loss, val_accuracy,
// val_bits_per_token, val_mae, val_rmse, seconds (a metric the targets' kind lacks is written as nan).
class MetricsCsvCallback : public Callback {
 public:
  explicit MetricsCsvCallback(const std::string& path);
  void on_fit_begin(Trainer& t) override;  // after a resume, keeps the rows of the epochs done
  void on_epoch_end(Trainer& t, const EpochLog& log) override;
  // The rows a resume kept (empty otherwise), for a callback added after this one that draws curves
  // from the first epoch; a value's place in a row is column(name).
  const std::vector<std::vector<double>>& restored() const { return restored_; }
  static std::size_t column(const std::string& name);

 private:
  MetricsCsv csv_;
  std::vector<std::vector<double>> restored_;
};

// Stops when the monitored value has not improved by more than min_delta for `patience` epochs
// in a row: past that point more epochs mostly fit noise in the training set (Prechelt 1998).
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(std::size_t patience, Monitor monitor = Monitor::ValLoss, double min_delta = 0.0)
      : patience_(patience), monitor_(monitor), min_delta_(min_delta) {}
  void on_fit_begin(Trainer& t) override;  // a run resumed after its stop stays stopped
  void on_epoch_end(Trainer& t, const EpochLog& log) override;
  // The best value, its epoch, the epochs since and whether it stopped: "early_stopping.*" entries.
  void save_state(Trainer& t, NamedTensors& tensors, Metadata& metadata) override;
  void load_state(Trainer& t, const std::string& path, const Metadata& metadata) override;
  bool stopped() const { return stopped_; }
  std::size_t best_epoch() const { return best_epoch_; }

 private:
  std::size_t patience_;
  Monitor monitor_;
  double min_delta_;
  double best_ = -1e300;
  std::size_t best_epoch_ = 0, bad_epochs_ = 0;
  bool stopped_ = false;
};

// Writes a checkpoint (atomically, over the previous one) after every `every` epochs, so a killed
// run resumes from its last completed epoch.
class Checkpointing : public Callback {
 public:
  explicit Checkpointing(std::string path, std::size_t every = 1) : path_(std::move(path)), every_(every) {}
  // After every callback's on_epoch_end, so the checkpoint holds their state of this epoch.
  void on_epoch_complete(Trainer& t, const EpochLog& log) override;

 private:
  std::string path_;
  std::size_t every_;
};

// Keeps the best model seen so far: saves it to `path` whenever the monitored value improves,
// and on fit end puts the best weights back into the model (restore_best), so that what the run
// ends with is the model that validated best, not the last one.
class KeepBest : public Callback {
 public:
  explicit KeepBest(std::string path, Monitor monitor = Monitor::ValAccuracy, bool restore_best = true,
                    Metadata extra = {})
      : path_(std::move(path)), monitor_(monitor), restore_(restore_best), extra_(std::move(extra)) {}
  void on_epoch_end(Trainer& t, const EpochLog& log) override;
  void on_fit_end(Trainer& t) override;
  // The best weights so far as tensors "keep_best.<name>", the best value and its epoch as entries.
  void save_state(Trainer& t, NamedTensors& tensors, Metadata& metadata) override;
  void load_state(Trainer& t, const std::string& path, const Metadata& metadata) override;
  std::size_t best_epoch() const { return best_epoch_; }
  double best_score() const { return best_; }

 private:
  std::string path_;
  Monitor monitor_;
  bool restore_;
  Metadata extra_;
  double best_ = -1e300;
  std::size_t best_epoch_ = 0;       // 0: none yet
  std::vector<Tensor> best_values_;  // copies of every parameter at the best epoch
};

// Stops training (mid-epoch if need be) once `seconds` have passed since the clock started:
// the tuner gives every trial the time left in its budget.
class TimeBudget : public Callback {
 public:
  explicit TimeBudget(double seconds) : seconds_(seconds) {}
  void on_batch_end(Trainer& t, double) override {
    if (clock_.seconds() > seconds_) t.stop();
  }

 private:
  double seconds_;
  Stopwatch clock_;
};

}  // namespace dlfs
