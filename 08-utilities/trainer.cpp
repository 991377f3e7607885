#include "08-utilities/trainer.hpp"

#include <algorithm>

#include "common/ops.hpp"
#include "common/system.hpp"

namespace dlfs {

Trainer::Trainer(Layer& model, Optimizer& optimizer, DataLoader& train, TrainerOptions options)
    : model_(model), optimizer_(optimizer), loader_(train), options_(std::move(options)) {}

std::vector<EpochLog> Trainer::fit(std::size_t epochs, const Examples* validation) {
  target_ = epochs;
  stop_requested_ = interrupted_ = false;
  std::vector<EpochLog> logs;
  for (auto& c : callbacks_) c->on_fit_begin(*this);

  while (epoch_ < epochs && !stop_requested_) {
    for (auto& c : callbacks_) c->on_epoch_begin(*this);
    model_.set_training(true);
    loader_.start_epoch();
    Stopwatch clock;
    double loss_sum = 0.0;
    std::size_t correct = 0, seen = 0, batches_done = 0;
    const std::size_t batches = loader_.batches();
    for (batch_ = 0; batch_ < batches; ++batch_) {
      const Batch b = loader_.batch(batch_);                   // inputs (B, ...), labels (B)
      for (auto& c : callbacks_) c->on_batch_begin(*this);
      const Tensor logits = model_.forward(b.inputs);          // (B, classes)
      const LossAndGrad l = options_.loss(logits, b.labels);   // dlogits: (B, classes)
      optimizer_.zero_grad();
      model_.backward(l.grad);
      optimizer_.step();
      ++step_;

      loss_sum += l.loss;
      const auto predicted = argmax(logits, 1);
      for (std::size_t k = 0; k < b.labels.size(); ++k) correct += predicted[k] == std::size_t(b.labels[k]);
      seen += b.labels.size();
      ++batches_done;
      for (auto& c : callbacks_) c->on_batch_end(*this, l.loss);
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
    log.train_loss = loss_sum / double(std::max<std::size_t>(batches_done, 1));
    log.train_accuracy = double(correct) / double(std::max<std::size_t>(seen, 1));
    log.seconds = clock.seconds();
    if (validation) {
      const Evaluation ev = evaluate(*validation);
      log.val_loss = ev.loss;
      log.val_accuracy = ev.accuracy;
    }
    logs.push_back(log);
    for (auto& c : callbacks_) c->on_epoch_end(*this, log);
  }
  for (auto& c : callbacks_) c->on_fit_end(*this);
  return logs;
}

Evaluation Trainer::evaluate(const Examples& data) {
  return dlfs::evaluate(model_, options_.loss, data, options_.num_classes, options_.eval_batch_size);
}

void Trainer::save_checkpoint(const std::string& path) {
  const TrainingState state{epoch_, step_, loader_.rng().state(), optimizer_.name()};
  dlfs::save_checkpoint(path, model_.name(), named_values(model_.parameters()), optimizer_.state(), state, options_.run);
}

void Trainer::resume(const std::string& path) {
  const TrainingState state = load_checkpoint(path, model_.name(), named_values(model_.parameters()),
                                              optimizer_.state(), optimizer_.name(), options_.run);
  epoch_ = state.epoch;
  step_ = state.step;
  loader_.rng().set_state(state.rng);
}

}  // namespace dlfs
