#include "08-utilities/callbacks.hpp"

#include <cmath>
#include <cstdio>

#include "common/safetensors.hpp"

namespace dlfs {

double monitored_score(const EpochLog& log, Monitor monitor) {
  const double value = monitor == Monitor::ValLoss ? -log.validation.loss : log.validation.accuracy;
  // Without a validation set there is nothing to compare: every epoch counts as no better.
  return std::isnan(value) ? -1e300 : value;
}

void ProgressBarCallback::on_epoch_begin(Trainer& t) {
  const std::string label = "epoch " + std::to_string(t.epoch() + 1) + "/" + std::to_string(t.target_epochs());
  bar_ = std::make_unique<ProgressBar>(label, t.loader().batches(), t.loader().options().batch_size);
  loss_sum_ = 0.0;
}

void ProgressBarCallback::on_batch_end(Trainer& t, double batch_loss) {
  loss_sum_ += batch_loss;
  bar_->update(t.batch_index() + 1, loss_sum_ / double(t.batch_index() + 1));
}

void ProgressBarCallback::on_epoch_end(Trainer&, const EpochLog& log) {
  bar_->finish(std::isnan(log.validation.loss) ? "" : describe(log.validation, "val_"));
}

MetricsCsvCallback::MetricsCsvCallback(const std::string& path)
    : csv_(path, {"epoch", "lr", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "val_bits_per_token",
                  "val_mae", "val_rmse", "seconds"}) {}

void MetricsCsvCallback::on_epoch_end(Trainer&, const EpochLog& log) {
  csv_.write_row({double(log.epoch), log.learning_rate, log.train.loss, log.train.accuracy, log.validation.loss,
                  log.validation.accuracy, log.validation.bits_per_token, log.validation.mae, log.validation.rmse,
                  log.seconds});
}

void EarlyStopping::on_epoch_end(Trainer& t, const EpochLog& log) {
  const double score = monitored_score(log, monitor_);
  if (score > best_ + min_delta_) {
    best_ = score;
    best_epoch_ = log.epoch;
    bad_epochs_ = 0;
  } else if (++bad_epochs_ >= patience_) {
    stopped_ = true;
    t.stop();
  }
}

void Checkpointing::on_epoch_end(Trainer& t, const EpochLog& log) {
  if (every_ && log.epoch % every_ == 0) t.save_checkpoint(path_);
}

void KeepBest::on_epoch_end(Trainer& t, const EpochLog& log) {
  const double score = monitored_score(log, monitor_);
  if (score <= best_) return;
  best_ = score;
  best_epoch_ = log.epoch;
  Metadata metadata = extra_;
  metadata["epoch"] = std::to_string(log.epoch);
  metadata["val_accuracy"] = std::to_string(log.validation.accuracy);
  metadata["val_loss"] = std::to_string(log.validation.loss);
  if (!path_.empty()) save_model(path_, t.model().name(), named_values(t.model().parameters()), metadata);
  best_values_.clear();
  for (Parameter* p : t.model().parameters()) best_values_.push_back(p->value);
}

void KeepBest::on_fit_end(Trainer& t) {
  if (!restore_ || best_values_.empty()) return;
  const auto params = t.model().parameters();
  for (std::size_t i = 0; i < params.size(); ++i) params[i]->value.copy_from(best_values_[i]);
}

}  // namespace dlfs
