#include "08-utilities/trainer.hpp"

#include <algorithm>
#include <stdexcept>

#include "common/system.hpp"

namespace dlfs {

Trainer::Trainer(Layer& model, Optimizer& optimizer, DataLoader& train, TrainerOptions options)
    : model_(model), optimizer_(optimizer), loader_(train), options_(std::move(options)) {}

namespace {

std::logic_error interrupted_error(const std::string& what, std::size_t epoch) {
  return std::logic_error("Trainer: " + what + " after a stop in the middle of epoch " + std::to_string(epoch + 1) +
                          ", whose updates no epoch boundary holds: continue from the last checkpoint instead");
}

}  // namespace

std::vector<EpochLog> Trainer::fit(std::size_t epochs, const Examples* validation) {
  if (interrupted_) throw interrupted_error("fit", epoch_);
  target_ = epochs;
  stop_requested_ = interrupted_ = false;
  TrainOptions step_options;  // what train_on_batch needs of chapter 02's options
  step_options.micro_batch = options_.micro_batch;
  step_options.replicas = options_.replicas;
  step_options.processes = options_.processes;
  std::vector<EpochLog> logs;
  for (auto& c : callbacks_) c->on_fit_begin(*this);

  while (epoch_ < epochs && !stop_requested_) {
    for (auto& c : callbacks_) c->on_epoch_begin(*this);
    model_.set_training(true);
    loader_.start_epoch();
    Stopwatch clock;
    MetricSums sums;
    double last_loss = Metrics::kNone;
    const std::size_t batches = loader_.batches();
    for (batch_ = 0; batch_ < batches; ++batch_) {
      const Batch batch = loader_.batch(batch_);  // inputs (B, ...), targets (B, ...)
      for (auto& c : callbacks_) c->on_batch_begin(*this);
      const BatchResult result =
          train_on_batch(model_, optimizer_, options_.loss, batch, optimizer_.learning_rate(), step_options);
      if (!result.non_finite.empty())
        throw TrainingDiverged("epoch " + std::to_string(epoch_ + 1), step_, result, last_loss);
      ++step_;
      sums.add(result.sums);
      last_loss = result.loss;
      for (auto& c : callbacks_) c->on_batch_end(*this, result.loss);
      if (stop_requested_ && batch_ + 1 < batches) {
        interrupted_ = true;  // the epoch is incomplete: do not count or report it
        break;
      }
    }
    if (interrupted_) break;

    ++epoch_;
    EpochLog log;
    log.epoch = epoch_;
    log.learning_rate = optimizer_.learning_rate();
    log.train = sums.metrics();
    log.seconds = clock.seconds();
    if (validation) log.validation = evaluate(*validation);
    logs.push_back(log);
    for (auto& c : callbacks_) c->on_epoch_end(*this, log);
    for (auto& c : callbacks_) c->on_epoch_complete(*this, log);
  }
  for (auto& c : callbacks_) c->on_fit_end(*this);
  return logs;
}

Evaluation Trainer::evaluate(const Examples& data) {
  return dlfs::evaluate(model_, options_.evaluation_loss ? options_.evaluation_loss : options_.loss, data,
                       options_.eval_batch_size);
}

void Trainer::save_checkpoint(const std::string& path) {
  if (interrupted_) throw interrupted_error("save_checkpoint", epoch_);
  const TrainingState state{epoch_, step_, loader_.rng().state(), optimizer_.name()};
  NamedTensors tensors = named_values(model_.parameters());
  Metadata metadata = options_.run;
  for (auto& c : callbacks_) c->save_state(*this, tensors, metadata);
  dlfs::save_checkpoint(path, model_.name(), tensors, optimizer_.state(), state, metadata);
}

void Trainer::resume(const std::string& path) {
  NamedTensors tensors = named_values(model_.parameters());
  Metadata before;  // the callbacks' state now: which tensors they keep, and their entries
  for (auto& c : callbacks_) c->save_state(*this, tensors, before);
  // load_checkpoint checks the whole file before it copies anything; a callback can still refuse
  // its entries after that, so everything that is about to change is copied aside first.
  const NamedTensors optimizer_state = optimizer_.state();
  const NamedTensors* const changing[] = {&tensors, &optimizer_state};
  std::vector<Tensor> saved;
  for (const NamedTensors* group : changing)
    for (const auto& [name, tensor] : *group) saved.push_back(*tensor);
  const TrainingState state = load_checkpoint(path, model_.name(), tensors, optimizer_state, optimizer_.name(),
                                              options_.run);
  std::size_t loaded = 0;
  try {
    const Metadata metadata = read_safetensors(path).metadata;  // the callbacks' entries
    for (; loaded < callbacks_.size(); ++loaded) callbacks_[loaded]->load_state(*this, path, metadata);
  } catch (...) {
    auto copy = saved.begin();
    for (const NamedTensors* group : changing)
      for (const auto& [name, tensor] : *group) tensor->copy_from(*copy++);
    for (std::size_t i = 0; i < loaded; ++i) callbacks_[i]->load_state(*this, path, before);
    throw;
  }
  epoch_ = state.epoch;
  step_ = state.step;
  loader_.rng().set_state(state.rng);
}

}  // namespace dlfs
