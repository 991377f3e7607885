#include "02-mlp/train.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
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

}  // namespace

EpochStats train_epoch(Layer& model, Optimizer& optimizer, const ClassificationLoss& loss,
                       const Examples& train, Rng& rng, const Schedule& schedule,
                       std::size_t& step, const TrainOptions& options) {
  if (options.batch_size == 0) throw std::invalid_argument("train_epoch: batch size must be positive");
  model.set_training(true);
  const std::vector<std::size_t> order = rng.permutation(train.size());
  const std::size_t batches = (train.size() + options.batch_size - 1) / options.batch_size;
  ProgressBar bar(options.label, batches, options.batch_size);
  Stopwatch clock;

  double loss_sum = 0.0;
  std::size_t correct = 0;
  std::vector<std::size_t> idx;
  std::vector<int> y;
  for (std::size_t batch = 0; batch < batches; ++batch) {
    const std::size_t begin = batch * options.batch_size;
    const std::size_t end = std::min(begin + options.batch_size, train.size());
    idx.assign(order.begin() + std::ptrdiff_t(begin), order.begin() + std::ptrdiff_t(end));
    y.resize(idx.size());
    for (std::size_t b = 0; b < idx.size(); ++b) y[b] = train.labels[idx[b]];

    const Tensor x = train.inputs(idx);          // (B, ...)
    const Tensor logits = model.forward(x);      // (B, classes)
    const LossAndGrad l = loss(logits, y);       // dlogits: (B, classes)
    optimizer.zero_grad();
    model.backward(l.grad);
    optimizer.set_learning_rate(schedule(step++));
    optimizer.step();

    loss_sum += l.loss;
    correct += count_correct(logits, y);
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
