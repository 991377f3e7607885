#include "02-mlp/train.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <memory>
#include <numeric>
#include <stdexcept>

#include "common/ops.hpp"
#include "common/progress.hpp"
#include "common/system.hpp"

namespace dlfs {

Tensor gather_rows(const Tensor& x, const std::vector<std::size_t>& indices) {
  Shape shape = x.shape();
  const std::size_t n = shape.at(0), row = x.size() / std::max<std::size_t>(n, 1);
  shape[0] = indices.size();
  Tensor out(shape);  // (indices.size(), ...)
  for (std::size_t b = 0; b < indices.size(); ++b) {
    if (indices[b] >= n)
      throw std::out_of_range("gather_rows: index " + std::to_string(indices[b]) + " of " + std::to_string(n));
    std::memcpy(out.data() + b * row, x.data() + indices[b] * row, row * sizeof(float));
  }
  return out;
}

Examples examples_from_tensor(Tensor x, std::vector<int> labels) {
  if (x.ndim() < 1 || x.dim(0) != labels.size())
    throw std::invalid_argument("examples_from_tensor: " + shape_to_string(x.shape()) + " inputs for " +
                                std::to_string(labels.size()) + " labels");
  auto data = std::make_shared<const Tensor>(std::move(x));
  return {[data](const std::vector<std::size_t>& idx) { return gather_rows(*data, idx); }, std::move(labels)};
}

Examples examples_from_images(const LabeledImages& images, float mean, float stddev) {
  return {[&images, mean, stddev](const std::vector<std::size_t>& idx) { return images.batch(idx, mean, stddev); },
          images.labels};
}

Schedule constant_schedule(float lr) {
  return [lr](std::size_t) { return lr; };
}

Schedule cosine_schedule(float lr, std::size_t total_steps) {
  return [lr, total_steps](std::size_t step) {
    const double t = total_steps ? std::min(1.0, double(step) / double(total_steps)) : 1.0;
    return float(lr * 0.5 * (1.0 + std::cos(M_PI * t)));
  };
}

namespace {

std::size_t count_correct(const Tensor& logits, const std::vector<int>& labels) {
  const auto predicted = argmax(logits, 1);
  std::size_t correct = 0;
  for (std::size_t b = 0; b < labels.size(); ++b) correct += predicted[b] == std::size_t(labels[b]);
  return correct;
}

// The model, then its replicas, each checked to be another network of the same architecture
// (name() lists every layer and its settings) and put in the model's modes. The model itself or a
// replica listed twice would put two threads on one network's caches and gradients.
std::vector<Layer*> workers_of(Layer& model, const std::vector<Layer*>& replicas) {
  std::vector<Layer*> workers{&model};
  for (Layer* replica : replicas) {
    if (replica->name() != model.name())
      throw std::invalid_argument("train_epoch: replica " + replica->name() + " is not a copy of the model " + model.name());
    if (std::find(workers.begin(), workers.end(), replica) != workers.end())
      throw std::invalid_argument("train_epoch: the same network appears twice among the model and its replicas");
    replica->set_needs_input_grad(model.needs_input_grad());
    workers.push_back(replica);
  }
  for (Layer* worker : workers) worker->set_training(true);
  return workers;
}

// Every replica (workers[1...]) gets the model's parameter values and zero gradients.
void send_weights(const std::vector<Layer*>& workers) {
  const std::vector<Parameter*> mine = workers[0]->parameters();
  for (std::size_t w = 1; w < workers.size(); ++w) {
    const std::vector<Parameter*> theirs = workers[w]->parameters();
    for (std::size_t i = 0; i < mine.size(); ++i) theirs[i]->value.copy_from(mine[i]->value), theirs[i]->grad.zero();
  }
}

// The replicas' gradients, added into the model's in replica order.
void add_gradients(const std::vector<Layer*>& workers) {
  const std::vector<Parameter*> mine = workers[0]->parameters();
  for (std::size_t w = 1; w < workers.size(); ++w) {
    const std::vector<Parameter*> theirs = workers[w]->parameters();
    for (std::size_t i = 0; i < mine.size(); ++i) mine[i]->grad += theirs[i]->grad;
  }
}

struct BatchTotals {
  double loss = 0.0;        // the batch's mean loss
  std::size_t correct = 0;  // examples classified right
};

// Forward and backward for one batch, the examples indices[0, B), in slices of at most `slice`
// examples shared among the workers: thread t always runs on workers[t], so no two threads touch
// one network. Each worker's .grad ends up holding its slices' shares of the batch gradient.
BatchTotals forward_backward(const std::vector<Layer*>& workers, const ClassificationLoss& loss,
                             const Examples& train, const std::size_t* indices, std::size_t B, std::size_t slice) {
  const std::size_t slices = (B + slice - 1) / slice;
  std::vector<double> slice_loss(slices);  // kept apart, added in slice order below
  std::vector<std::size_t> slice_correct(slices);
  std::vector<std::exception_ptr> failure(slices);  // an exception must not leave a parallel loop
  const int threads = int(std::min(workers.size(), slices));
#pragma omp parallel for num_threads(threads) schedule(static, 1) if (threads > 1)
  for (std::size_t s = 0; s < slices; ++s) {
    try {
      Layer& worker = *workers[std::size_t(omp_get_thread_num())];
      const std::vector<std::size_t> idx(indices + s * slice, indices + std::min((s + 1) * slice, B));
      std::vector<int> y(idx.size());
      for (std::size_t b = 0; b < idx.size(); ++b) y[b] = train.labels[idx[b]];

      const Tensor x = train.inputs(idx);       // (n, ...)
      const Tensor logits = worker.forward(x);  // (n, classes)
      LossAndGrad l = loss(logits, y);          // the slice's mean loss; dlogits: (n, classes)
      // L_batch = sum over slices of (n / B) L_slice, so each slice's gradient is scaled by n / B.
      const float share = float(idx.size()) / float(B);
      if (share != 1.0f) l.grad *= share;
      worker.backward(l.grad);  // adds this slice's share into the worker's .grad
      slice_loss[s] = double(share) * l.loss;
      slice_correct[s] = count_correct(logits, y);
    } catch (...) {
      failure[s] = std::current_exception();
    }
  }
  for (const std::exception_ptr& e : failure)
    if (e) std::rethrow_exception(e);
  BatchTotals totals;
  for (std::size_t s = 0; s < slices; ++s) totals.loss += slice_loss[s], totals.correct += slice_correct[s];
  return totals;
}

}  // namespace

std::vector<Sequential> make_replicas(std::size_t count, const std::function<Sequential(Rng&)>& make) {
  Rng throwaway(0);
  std::vector<Sequential> replicas;
  for (std::size_t r = 0; r < count; ++r) replicas.push_back(make(throwaway));
  return replicas;
}

EpochStats train_epoch(Layer& model, Optimizer& optimizer, const ClassificationLoss& loss,
                       const Examples& train, Rng& rng, const Schedule& schedule,
                       std::size_t& step, const TrainOptions& options) {
  if (options.batch_size == 0) throw std::invalid_argument("train_epoch: batch size must be positive");
  const std::vector<Layer*> workers = workers_of(model, options.replicas);
  const std::vector<std::size_t> order = rng.permutation(train.size());
  const std::size_t batches = (train.size() + options.batch_size - 1) / options.batch_size;
  ProgressBar bar(options.label, batches, options.batch_size);
  Stopwatch clock;

  double loss_sum = 0.0;
  std::size_t correct = 0;
  for (std::size_t batch = 0; batch < batches; ++batch) {
    const std::size_t begin = batch * options.batch_size;
    const std::size_t B = std::min(options.batch_size, train.size() - begin);
    // Slices of micro_batch examples, or else one per worker: with neither, the whole batch at once.
    const std::size_t slice = options.micro_batch > 0 ? std::min(options.micro_batch, B)
                                                      : (B + workers.size() - 1) / workers.size();

    optimizer.zero_grad();
    send_weights(workers);
    const BatchTotals totals = forward_backward(workers, loss, train, order.data() + begin, B, slice);
    add_gradients(workers);
    optimizer.set_learning_rate(schedule(step++));
    optimizer.step();

    loss_sum += totals.loss;
    correct += totals.correct;
    if (options.progress) bar.update(batch + 1, loss_sum / double(batch + 1));
  }
  EpochStats stats;
  stats.loss = loss_sum / double(std::max<std::size_t>(batches, 1));
  stats.accuracy = double(correct) / double(std::max<std::size_t>(train.size(), 1));
  stats.seconds = clock.seconds();
  if (options.progress) bar.finish();
  return stats;
}

Evaluation evaluate(Layer& model, const ClassificationLoss& loss, const Examples& data,
                    std::size_t num_classes, std::size_t batch_size) {
  model.set_training(false);
  Evaluation ev;
  ev.confusion.assign(num_classes, std::vector<double>(num_classes, 0.0));
  std::vector<std::size_t> idx;
  std::vector<int> y;
  std::size_t correct = 0;
  for (std::size_t begin = 0; begin < data.size(); begin += batch_size) {
    const std::size_t end = std::min(begin + batch_size, data.size());
    idx.resize(end - begin);
    std::iota(idx.begin(), idx.end(), begin);
    y.assign(data.labels.begin() + std::ptrdiff_t(begin), data.labels.begin() + std::ptrdiff_t(end));
    const Tensor logits = model.forward(data.inputs(idx));  // (B, classes)
    ev.loss += loss(logits, y).loss * double(y.size());
    const auto predicted = argmax(logits, 1);
    for (std::size_t b = 0; b < y.size(); ++b) {
      ev.confusion.at(std::size_t(y[b])).at(predicted[b]) += 1;
      correct += predicted[b] == std::size_t(y[b]);
    }
  }
  model.set_training(true);
  const double n = double(std::max<std::size_t>(data.size(), 1));
  ev.loss /= n;
  ev.accuracy = double(correct) / n;
  for (std::size_t c = 0; c < num_classes; ++c) {
    const double total = std::accumulate(ev.confusion[c].begin(), ev.confusion[c].end(), 0.0);
    ev.per_class_accuracy.push_back(total > 0 ? ev.confusion[c][c] / total : 0.0);
  }
  return ev;
}

}  // namespace dlfs
