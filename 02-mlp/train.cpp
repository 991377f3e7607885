#include "02-mlp/train.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <memory>
#include <numeric>
#include <stdexcept>

#include "common/ops.hpp"
#include "common/progress.hpp"
#include "common/system.hpp"

namespace dlfs {

Examples examples_from_tensor(Tensor x, Targets targets) {
  if (x.ndim() < 1 || x.dim(0) != targets.size())
    throw std::invalid_argument("examples_from_tensor: " + shape_to_string(x.shape()) + " inputs for the targets of " +
                                std::to_string(targets.size()) + " examples");
  auto data = std::make_shared<const Tensor>(std::move(x));
  return {[data](const std::vector<std::size_t>& idx) { return gather_rows(*data, idx); }, std::move(targets)};
}

Examples examples_from_images(const LabeledImages& images, float mean, float stddev) {
  return {[&images, mean, stddev](const std::vector<std::size_t>& idx) { return images.batch(idx, mean, stddev); },
          images.labels};
}

Batch make_batch(const Examples& data, std::vector<std::size_t> indices) {
  Batch batch;
  batch.targets = data.targets.rows(indices);
  batch.inputs = data.inputs(indices);  // (B, ...)
  batch.indices = std::move(indices);
  return batch;
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

// The model, then its replicas, each checked to be another network of the same architecture
// (name() lists every layer and its settings) and pointed at the model's parameter values. The
// model itself or a replica listed twice would put two threads on one network's caches and
// gradients. The view is made again whenever the model's tensors are new (a load replaced them).
std::vector<Layer*> workers_of(Layer& model, const std::vector<Layer*>& replicas) {
  std::vector<Layer*> workers{&model};
  if (replicas.empty()) return workers;
  const std::string architecture = model.name();
  const std::vector<Parameter*> mine = model.parameters();
  for (Layer* replica : replicas) {
    if (replica->name() != architecture)
      throw std::invalid_argument("train: replica " + replica->name() + " is not a copy of the model " + architecture);
    if (std::find(workers.begin(), workers.end(), replica) != workers.end())
      throw std::invalid_argument("train: the same network appears twice among the model and its replicas");
    const std::vector<Parameter*> theirs = replica->parameters();
    for (std::size_t i = 0; i < mine.size(); ++i)
      if (!theirs[i]->value.shares_storage_with(mine[i]->value)) theirs[i]->value = mine[i]->value.shared_view();
    // Only when it differs: a Sequential passes the flag down its layers, counting their parameters.
    if (replica->needs_input_grad() != model.needs_input_grad()) replica->set_needs_input_grad(model.needs_input_grad());
    replica->set_training(model.training());
    workers.push_back(replica);
  }
  return workers;
}

// Elements [begin, end) of every gradient of `active` workers added into the model's (workers[0]),
// in worker order, and whether all the sums are finite. x * 0 is 0 for a finite x and NaN for
// NaN or infinity, so one vectorized sum of g * 0 tells whether any g was not finite.
bool add_gradient_share(const std::vector<std::vector<Parameter*>>& params, std::size_t active, std::size_t thread,
                        std::size_t threads) {
  float poison = 0.0f;
  for (std::size_t i = 0; i < params[0].size(); ++i) {
    const auto [begin, end] = part_of(params[0][i]->grad.size(), thread, threads);
    float* sum = params[0][i]->grad.data();
    for (std::size_t w = 1; w < active; ++w) {
      const float* theirs = params[w][i]->grad.data();
#pragma omp simd
      for (std::size_t k = begin; k < end; ++k) sum[k] += theirs[k];
    }
#pragma omp simd reduction(+ : poison)
    for (std::size_t k = begin; k < end; ++k) poison += sum[k] * 0.0f;
  }
  return poison == 0.0f;
}

// The first parameter with a non-finite gradient, for the error message.
std::string first_non_finite_gradient(Layer& model) {
  for (Parameter* p : model.parameters())
    for (float g : p->grad)
      if (!std::isfinite(g)) return "the gradient of " + p->name;
  return "a gradient";
}

}  // namespace

std::vector<Sequential> make_replicas(std::size_t count, const std::function<Sequential(Rng&)>& make) {
  Rng throwaway(0);
  std::vector<Sequential> replicas;
  for (std::size_t r = 0; r < count; ++r) replicas.push_back(make(throwaway));
  return replicas;
}

// Forward and backward for the batch, in slices of at most `slice` examples shared among the
// workers: thread t always runs workers[t], so no two threads touch one network. In one parallel
// region: each thread zeroes its network's gradients and runs its slices; then (after a barrier)
// each adds up its share of the gradient elements into the model's; then (after another, and
// unless the gradients must first travel to other processes) each updates the weights of its
// share, which it has just summed and holds in its cache. Nothing is serial.
BatchResult train_on_batch(Layer& model, Optimizer& optimizer, const Loss& loss, const Batch& batch,
                           float learning_rate, const TrainOptions& options) {
  const std::vector<Layer*> workers = workers_of(model, options.replicas);
  const std::size_t B = batch.targets.size();
  if (B == 0) throw std::invalid_argument("train: an empty batch");
  const ProcessShare& processes = options.processes;
  if (processes.count > 1 && (processes.rank >= processes.count || !processes.all_reduce))
    throw std::invalid_argument("train: process " + std::to_string(processes.rank) + " of " +
                                std::to_string(processes.count) + " needs a rank below the count and an all_reduce");
  // This process's rows [first, last): the whole batch, or its share of it among several processes.
  const auto [first, last] = processes.rows(B);
  const std::size_t rows = last - first;
  // Slices of micro_batch examples, or else one per worker: with neither, the whole batch at once.
  const std::size_t slice = rows == 0              ? 1
                            : options.micro_batch > 0 ? std::min(options.micro_batch, rows)
                                                      : (rows + workers.size() - 1) / workers.size();
  const std::size_t slices = (rows + slice - 1) / slice;
  if (slices > 1)
    if (const std::string coupled = model.batch_coupled_layer(); !coupled.empty())
      throw std::invalid_argument("train: " + coupled +
                                  " computes statistics over the examples of its batch, so the batch cannot be split "
                                  "into micro-batches or shared among replicas; train it with neither");
  // Worker w runs slices w, w + W, ... and thread t runs workers t, t + threads, ...: which worker
  // computes which slice never depends on the thread count, and neither does the order in which
  // the workers' gradients are added up, so one thread and two give the same bits.
  const std::size_t active = std::max<std::size_t>(1, std::min(workers.size(), slices));  // W
  const std::size_t threads = std::min<std::size_t>(active, std::size_t(std::max(1, omp_get_max_threads())));
  const double batch_count = double(batch.targets.count());

  std::vector<std::vector<Parameter*>> params(active);  // params[w]: workers[w]'s, in one order
  for (std::size_t w = 0; w < active; ++w) params[w] = workers[w]->parameters();
  std::vector<MetricSums> slice_sums(slices);  // kept apart, added in slice order below
  std::vector<double> slice_loss(slices);
  std::vector<char> finite(threads, 1);
  std::vector<std::exception_ptr> failure(threads);  // an exception must not leave a parallel region
  // L_batch: the slices' shares of the loss, added in slice order (the same on any thread count).
  auto batch_loss = [&] { return std::accumulate(slice_loss.begin(), slice_loss.end(), 0.0); };
  // The threads take the optimizer's step themselves when the summed gradients are final here
  // (one process), and only when nothing threw and the loss and every gradient are finite.
  const bool step_in_region = processes.count == 1;
  bool stepped = false;
  auto may_step = [&] {
    return std::all_of(failure.begin(), failure.end(), [](const std::exception_ptr& e) { return !e; }) &&
           std::isfinite(batch_loss()) && std::find(finite.begin(), finite.end(), 0) == finite.end();
  };

  // Thread t's share: its workers' slices, forward and backward.
  auto run_workers = [&](std::size_t t) {
    try {
      for (std::size_t w = t; w < active; w += threads) {
        for (Parameter* p : params[w]) p->grad.zero();
        Layer& worker = *workers[w];
        for (std::size_t s = w; s < slices; s += active) {
          const std::size_t begin = first + s * slice, end = std::min(begin + slice, last);
          // A slice is a copy of its rows; the whole batch is used as it is.
          const bool whole = begin == 0 && end == B;
          const Targets sliced_targets = whole ? Targets() : batch.targets.slice(begin, end);
          const Tensor sliced_inputs = whole ? Tensor() : slice_rows(batch.inputs, begin, end);
          const Targets& targets = whole ? batch.targets : sliced_targets;
          const Tensor output = worker.forward(whole ? batch.inputs : sliced_inputs);
          LossAndGrad l = loss(output, targets);  // the slice's mean loss; doutput: like output
          // L_batch = sum over slices of (n_s / n) L_slice, n counting targets (Targets::count), so each
          // slice's gradient is scaled by its share n_s / n.
          const double count = double(targets.count());
          const float share = batch_count > 0 ? float(count / batch_count) : 0.0f;
          if (share != 1.0f) l.grad *= share;
          worker.backward(l.grad);  // adds this slice's share into the worker's .grad
          slice_loss[s] = double(share) * l.loss;
          slice_sums[s].add(output, targets, l.loss);
        }
      }
    } catch (...) {
      failure[t] = std::current_exception();
    }
  };
  if (threads == 1) {
    // On the calling thread, without a parallel region: an inactive one (`omp parallel if (false)`)
    // would make every parallel region inside the network a nested one, which libgomp serves with
    // freshly started threads instead of its pool (ResNet-20's step at two threads: see chapter 05).
    run_workers(0);
    if (!failure[0]) finite[0] = add_gradient_share(params, active, 0, 1);
  } else {
#pragma omp parallel num_threads(int(threads))
    {
      const std::size_t t = std::size_t(omp_get_thread_num());
      run_workers(t);
#pragma omp barrier
      if (!failure[t]) finite[t] = add_gradient_share(params, active, t, threads);
      if (step_in_region) {
#pragma omp barrier
        if (may_step()) {  // the same verdict on every thread: they read the same numbers
#pragma omp single
          try {
            optimizer.set_learning_rate(learning_rate);
            optimizer.begin_step();
            stepped = true;
          } catch (...) {
            failure[t] = std::current_exception();
          }
          if (stepped) optimizer.update_part(t, threads);  // after the single's barrier
        }
      }
    }
  }
  for (const std::exception_ptr& e : failure)
    if (e) std::rethrow_exception(e);

  BatchResult result;
  result.loss = batch_loss();
  for (const MetricSums& sums : slice_sums) result.sums.add(sums);
  bool gradients_finite = std::find(finite.begin(), finite.end(), 0) == finite.end();
  if (processes.count > 1) {
    processes.all_reduce(model, batch, result);
    // A NaN or infinity anywhere survives the sums, so every process now sees the same verdict
    // (one worker: nothing is added, the gradients are only checked).
    gradients_finite = add_gradient_share(params, 1, 0, 1);
  }
  if (!std::isfinite(result.loss)) {
    result.non_finite = "the loss";
  } else if (!gradients_finite) {
    result.non_finite = first_non_finite_gradient(model);
  } else if (!stepped) {
    optimizer.set_learning_rate(learning_rate);
    optimizer.step();
  }
  return result;
}

namespace {

std::string diverged_message(const std::string& where, std::size_t step, const BatchResult& batch,
                             double last_finite_loss) {
  auto number = [](double x) {
    if (std::isnan(x)) return std::string("nan");
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", x);
    return std::string(text);
  };
  const std::string what = batch.non_finite == "the loss" ? (std::isnan(batch.loss) ? "nan" : "infinite") : "not finite";
  return "training diverged at " + where + ", step " + std::to_string(step) + ": " + batch.non_finite + " is " + what +
         " (batch loss " + number(batch.loss) + "; last finite batch loss: " +
         (std::isnan(last_finite_loss) ? "none yet" : number(last_finite_loss)) +
         "). The weights are not updated from it and nothing is saved. Lower the learning rate (--lr), or clip the "
         "gradients (chapter 07).";
}

}  // namespace

TrainingDiverged::TrainingDiverged(const std::string& where, std::size_t step, const BatchResult& batch,
                                   double last_finite_loss)
    : std::runtime_error(diverged_message(where, step, batch, last_finite_loss)) {}

EpochStats train_epoch(Layer& model, Optimizer& optimizer, const Loss& loss, const Examples& train, Rng& rng,
                       const Schedule& schedule, std::size_t& step, const TrainOptions& options) {
  if (options.batch_size == 0) throw std::invalid_argument("train_epoch: batch size must be positive");
  model.set_training(true);
  const std::vector<std::size_t> order = rng.permutation(train.size());
  const std::size_t batches = (train.size() + options.batch_size - 1) / options.batch_size;
  ProgressBar bar(options.label, batches, options.batch_size);
  Stopwatch clock;

  MetricSums sums;
  double loss_sum = 0.0, last_loss = Metrics::kNone;
  for (std::size_t batch = 0; batch < batches; ++batch) {
    const std::size_t begin = batch * options.batch_size;
    const std::size_t end = std::min(begin + options.batch_size, train.size());
    const Batch b = make_batch(train, {order.begin() + std::ptrdiff_t(begin), order.begin() + std::ptrdiff_t(end)});

    const BatchResult result = train_on_batch(model, optimizer, loss, b, schedule(step), options);
    if (!result.non_finite.empty()) throw TrainingDiverged(options.label, step, result, last_loss);
    ++step;

    sums.add(result.sums);
    loss_sum += result.loss;
    last_loss = result.loss;
    if (options.progress) bar.update(batch + 1, loss_sum / double(batch + 1));
  }
  EpochStats stats;
  static_cast<Metrics&>(stats) = sums.metrics();
  stats.seconds = clock.seconds();
  if (options.progress) bar.finish();
  return stats;
}

Evaluation evaluate(Layer& model, const Loss& loss, const Examples& data, std::size_t batch_size) {
  if (batch_size == 0) throw std::invalid_argument("evaluate: batch size must be positive");
  model.set_training(false);
  MetricSums sums;
  std::vector<std::vector<double>> confusion;
  std::vector<std::size_t> idx;
  for (std::size_t begin = 0; begin < data.size(); begin += batch_size) {
    idx.resize(std::min(begin + batch_size, data.size()) - begin);
    std::iota(idx.begin(), idx.end(), begin);
    const Batch b = make_batch(data, idx);
    const Tensor output = model.forward(b.inputs);  // (B, ...)
    sums.add(output, b.targets, loss(output, b.targets).loss);
    if (b.targets.kind == Targets::Kind::class_per_example) {
      const std::size_t C = output.shape().back();
      if (confusion.empty()) confusion.assign(C, std::vector<double>(C, 0.0));
      const auto predicted = argmax(output, 1);
      for (std::size_t k = 0; k < idx.size(); ++k)
        if (b.targets.labels[k] != kIgnoreIndex) confusion.at(std::size_t(b.targets.labels[k])).at(predicted[k]) += 1;
    }
  }
  model.set_training(true);
  Evaluation ev;
  static_cast<Metrics&>(ev) = sums.metrics();
  ev.confusion = std::move(confusion);
  for (std::size_t c = 0; c < ev.confusion.size(); ++c) {
    const double total = std::accumulate(ev.confusion[c].begin(), ev.confusion[c].end(), 0.0);
    ev.per_class_accuracy.push_back(total > 0 ? ev.confusion[c][c] / total : 0.0);
  }
  return ev;
}

}  // namespace dlfs
