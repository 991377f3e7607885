#include "08-utilities/callbacks.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "common/safetensors.hpp"

namespace dlfs {

namespace {

// A double as text that reads back to the same double (17 significant digits always suffice).
std::string exact(double value) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

// The entry `key` of a checkpoint's metadata as a number; throws naming the file and the key.
double number_entry(const std::string& path, const Metadata& metadata, const std::string& key) {
  const auto it = metadata.find(key);
  if (it == metadata.end())
    throw std::runtime_error(path + ": checkpoint metadata has no \"" + key +
                             "\" (written by a run without this callback?)");
  char* end = nullptr;
  const double value = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != '\0' || std::isnan(value))
    throw std::runtime_error(path + ": checkpoint metadata \"" + key + "\" is not a number: '" + it->second + "'");
  return value;
}

std::size_t count_entry(const std::string& path, const Metadata& metadata, const std::string& key) {
  const double value = number_entry(path, metadata, key);
  if (value < 0 || value > 1e15 || value != std::floor(value))
    throw std::runtime_error(path + ": checkpoint metadata \"" + key + "\" is not a count: '" + metadata.at(key) + "'");
  return std::size_t(value);
}

}  // namespace

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

namespace {

const std::vector<std::string> kMetricsColumns = {
    "epoch",    "lr",           "train_loss", "train_accuracy",     "train_mae", "train_rmse",
    "val_loss", "val_accuracy", "val_bits_per_token", "val_mae", "val_rmse",  "seconds"};

}  // namespace

MetricsCsvCallback::MetricsCsvCallback(const std::string& path) : csv_(path, kMetricsColumns) {}

std::size_t MetricsCsvCallback::column(const std::string& name) {
  const auto it = std::find(kMetricsColumns.begin(), kMetricsColumns.end(), name);
  if (it == kMetricsColumns.end()) throw std::invalid_argument("MetricsCsvCallback: no column '" + name + "'");
  return std::size_t(it - kMetricsColumns.begin());
}

void MetricsCsvCallback::on_fit_begin(Trainer& t) {
  if (t.epoch() > 0) restored_ = csv_.resume(t.epoch());  // resumed: the interrupted run's rows of those epochs
}

void MetricsCsvCallback::on_epoch_end(Trainer&, const EpochLog& log) {
  csv_.write_row({double(log.epoch), log.learning_rate, log.train.loss, log.train.accuracy, log.train.mae,
                  log.train.rmse, log.validation.loss, log.validation.accuracy, log.validation.bits_per_token,
                  log.validation.mae, log.validation.rmse, log.seconds});
}

void EarlyStopping::on_fit_begin(Trainer& t) {
  if (stopped_) t.stop();
}

void EarlyStopping::save_state(Trainer&, NamedTensors&, Metadata& metadata) {
  metadata["early_stopping.best"] = exact(best_);
  metadata["early_stopping.best_epoch"] = std::to_string(best_epoch_);
  metadata["early_stopping.bad_epochs"] = std::to_string(bad_epochs_);
  metadata["early_stopping.stopped"] = stopped_ ? "1" : "0";
}

void EarlyStopping::load_state(Trainer&, const std::string& path, const Metadata& metadata) {
  const double best = number_entry(path, metadata, "early_stopping.best");
  const std::size_t best_epoch = count_entry(path, metadata, "early_stopping.best_epoch");
  const std::size_t bad_epochs = count_entry(path, metadata, "early_stopping.bad_epochs");
  const std::size_t stopped = count_entry(path, metadata, "early_stopping.stopped");
  best_ = best, best_epoch_ = best_epoch, bad_epochs_ = bad_epochs, stopped_ = stopped != 0;
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

void Checkpointing::on_epoch_complete(Trainer& t, const EpochLog& log) {
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

void KeepBest::save_state(Trainer& t, NamedTensors& tensors, Metadata& metadata) {
  const std::vector<Parameter*> params = t.model().parameters();
  if (best_values_.size() != params.size()) {  // no best yet: room for one (a resume fills it)
    best_values_.clear();
    for (Parameter* p : params) best_values_.push_back(p->value);
  }
  for (std::size_t i = 0; i < params.size(); ++i) tensors.emplace_back("keep_best." + params[i]->name, &best_values_[i]);
  metadata["keep_best.best"] = exact(best_);
  metadata["keep_best.best_epoch"] = std::to_string(best_epoch_);
}

void KeepBest::load_state(Trainer&, const std::string& path, const Metadata& metadata) {
  const double best = number_entry(path, metadata, "keep_best.best");
  best_epoch_ = count_entry(path, metadata, "keep_best.best_epoch");
  best_ = best;
}

void KeepBest::on_fit_end(Trainer& t) {
  if (!restore_ || best_epoch_ == 0) return;
  const auto params = t.model().parameters();
  for (std::size_t i = 0; i < params.size(); ++i) params[i]->value.copy_from(best_values_[i]);
}

}  // namespace dlfs
