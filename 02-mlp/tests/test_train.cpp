#include <catch2/catch.hpp>
#include <omp.h>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "02-mlp/tests/blobs.hpp"
#include "02-mlp/tests/toy_tasks.hpp"
#include "02-mlp/tests/weights_after_training.hpp"
#include "02-mlp/activations.hpp"
#include "02-mlp/dense.hpp"
#include "02-mlp/losses.hpp"
#include "02-mlp/mlp.hpp"
#include "02-mlp/optimizer.hpp"
#include "02-mlp/train.hpp"
#include "common/fashion_mnist.hpp"
#include "common/ops.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using dlfs::test::blobs;
using dlfs::test::BlobsRun;
using dlfs::test::copy_model;
using dlfs::test::copy_task;
using dlfs::test::line;
using dlfs::test::require_close;
using dlfs::test::train_on_blobs;
using dlfs::test::TrainedWeights;
using dlfs::test::weights_after_training;

TEST_CASE("Training on blobs repeats its first losses exactly and drives the loss down", "[02-mlp][train][golden]") {
  const BlobsRun run = train_on_blobs([](std::vector<Parameter*> p) { return std::make_unique<SGD>(std::move(p), 0.1f); },
                                      0.1f);
  // Golden values: a change to initialisation, shuffling, the loss or the update changes these.
  CHECK(run.losses[0] == Approx(0.27326).margin(1e-4));
  CHECK(run.losses[1] == Approx(0.10088).margin(1e-4));
  CHECK(run.losses[2] == Approx(0.07324).margin(1e-4));
  CHECK(run.losses.back() < 0.06);
  CHECK(run.steps == 8 * 10);
  CHECK(run.accuracy > 0.95);
}

namespace {

// Three epochs on blobs in batches of 30: 293 examples, so the last batch is short (23).
TrainedWeights train_blobs(std::size_t micro_batch, std::size_t replicas) {
  TrainOptions options;
  options.batch_size = 30;
  options.micro_batch = micro_batch;
  const TrainedWeights w = weights_after_training([](Rng& r) { return make_mlp(2, {16}, 3, "relu", r); }, blobs(293),
                                                  options, replicas, 0.1f, 3);
  CHECK(w.steps == 3 * 10);  // one optimizer step per batch, not per slice
  return w;
}

void require_same_weights(const TrainedWeights& actual, const TrainedWeights& expected, double tolerance) {
  REQUIRE(actual.values.size() == expected.values.size());
  for (std::size_t i = 0; i < actual.values.size(); ++i)
    require_close(actual.values[i], expected.values[i], tolerance, tolerance * 10);
}

}  // namespace

TEST_CASE("Micro-batches give the same updates as whole batches", "[02-mlp][train][micro-batch]") {
  // Slices of 7: 7, 7, 7, 7, 2 per batch of 30, and 7, 7, 7, 2 in the short last batch of 23.
  const TrainedWeights whole = train_blobs(0, 0), sliced = train_blobs(7, 0);
  require_same_weights(sliced, whole, 1e-5);
  CHECK(sliced.last_loss == Approx(whole.last_loss).epsilon(1e-5));
  // A slice as large as the batch is the whole batch, bit for bit.
  const TrainedWeights same = train_blobs(30, 0);
  require_same_weights(same, whole, 0.0);
  CHECK(same.last_loss == whole.last_loss);
}

TEST_CASE("Replicas on threads of their own give the same updates as one network", "[02-mlp][train][micro-batch]") {
  const TrainedWeights whole = train_blobs(0, 0);
  // The model and two replicas, three workers: slices of 7 shared among them; and, without
  // micro-batches, one slice each (10, 10, 10; 8, 8, 7 in the short batch). The replicas start
  // from other values: train_epoch must hand them the model's before every batch.
  for (std::size_t micro_batch : {std::size_t(7), std::size_t(0)}) {
    INFO("micro_batch " << micro_batch);
    const TrainedWeights parallel = train_blobs(micro_batch, 2);
    require_same_weights(parallel, whole, 1e-5);
    CHECK(parallel.last_loss == Approx(whole.last_loss).epsilon(1e-5));
  }
}

TEST_CASE("With the same replicas, one, two and three threads give the same weights bit for bit", "[02-mlp][train][micro-batch][threads]") {
  // Which worker runs which slice, and the order their gradients are added in, depend on the
  // workers alone: the thread count only decides how many of them run at once.
  const int threads_before = omp_get_max_threads();
  for (std::size_t micro_batch : {std::size_t(7), std::size_t(0)}) {
    INFO("micro_batch " << micro_batch);
    omp_set_num_threads(1);
    const TrainedWeights one = train_blobs(micro_batch, 2);
    for (int threads : {2, 3}) {
      INFO("threads " << threads);
      omp_set_num_threads(threads);
      const TrainedWeights more = train_blobs(micro_batch, 2);
      require_same_weights(more, one, 0.0);
      CHECK(more.last_loss == one.last_loss);
    }
  }
  omp_set_num_threads(threads_before);
}

TEST_CASE("A replica must be another network of the model's architecture", "[02-mlp][train][micro-batch]") {
  Rng rng(1);
  Sequential model = make_mlp(2, {16}, 3, "relu", rng);
  Sequential narrower = make_mlp(2, {8}, 3, "relu", rng), tanh = make_mlp(2, {16}, 3, "tanh", rng);
  Sequential copy = make_mlp(2, {16}, 3, "relu", rng);
  SGD sgd(model.parameters(), 0.1f);
  std::size_t step = 0;
  auto train_with = [&](std::vector<Layer*> replicas) {
    TrainOptions options;
    options.replicas = std::move(replicas);
    options.progress = false;
    train_epoch(model, sgd, softmax_cross_entropy, blobs(30), rng, constant_schedule(0.1f), step, options);
  };
  CHECK_THROWS_WITH(train_with({&narrower}), Catch::Contains("is not a copy of the model"));
  CHECK_THROWS_WITH(train_with({&tanh}), Catch::Contains("is not a copy of the model"));
  // Two threads on one network would race on its caches and gradients.
  CHECK_THROWS_WITH(train_with({&model}), Catch::Contains("appears twice"));
  CHECK_THROWS_WITH(train_with({&copy, &copy}), Catch::Contains("appears twice"));
  CHECK_NOTHROW(train_with({&copy}));
}

TEST_CASE("A 2-4-2 MLP learns XOR, which no perceptron can", "[02-mlp][train][xor]") {
  Rng rng(42);
  Sequential model;
  model.emplace<Dense>(2, 4, rng, Init::Xavier);
  model.emplace<Tanh>();
  model.emplace<Dense>(4, 2, rng, Init::Xavier);
  SGD sgd(model.parameters(), 0.5f);
  const Tensor x({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1});
  const std::vector<int> y = {0, 1, 1, 0};
  for (int epoch = 0; epoch < 500; ++epoch) {
    const LossAndGrad l = softmax_cross_entropy(model.forward(x), y);
    sgd.zero_grad();
    model.backward(l.grad);
    sgd.step();
  }
  const auto predicted = argmax(model.forward(x), 1);
  for (std::size_t i = 0; i < 4; ++i) CHECK(predicted[i] == std::size_t(y[i]));
}

TEST_CASE("evaluate fills the confusion matrix and per-class accuracy", "[02-mlp][train]") {
  // A "model" that always predicts class 1.
  struct Constant : Layer {
    Tensor forward(const Tensor& x) override {
      Tensor logits({x.dim(0), 3});
      for (std::size_t b = 0; b < x.dim(0); ++b) logits(b, 1) = 1.0f;
      return logits;
    }
    Tensor backward(const Tensor& d) override { return d; }
    std::string name() const override { return "Constant"; }
  } constant;
  const Examples data = examples_from_tensor(Tensor({4, 1}), {0, 1, 1, 2});
  const Evaluation ev = evaluate(constant, softmax_cross_entropy, data, 3);  // batches of 3: a short last batch
  CHECK(ev.accuracy == 0.5);
  CHECK(ev.confusion[0][1] == 1);
  CHECK(ev.confusion[1][1] == 2);
  CHECK(ev.confusion[2][1] == 1);
  CHECK(ev.per_class_accuracy == std::vector<double>{0.0, 1.0, 0.0});
}

TEST_CASE("The cosine schedule decays from lr to zero", "[02-mlp][train][schedule]") {
  const Schedule s = cosine_schedule(0.1f, 100);
  CHECK(s(0) == Approx(0.1f));
  CHECK(s(50) == Approx(0.05f));
  CHECK(s(100) == Approx(0.0f).margin(1e-9));
  CHECK(s(200) == Approx(0.0f).margin(1e-9));
  CHECK(constant_schedule(0.3f)(1000) == 0.3f);
}

TEST_CASE("gather_rows picks rows in the given order", "[02-mlp][train]") {
  const Tensor x({3, 2}, {0, 1, 2, 3, 4, 5});
  const Tensor g = gather_rows(x, {2, 0});
  CHECK(g.shape() == Shape{2, 2});
  CHECK(g[0] == 4);
  CHECK(g[3] == 1);
  CHECK_THROWS_WITH(gather_rows(x, {3}), Catch::Contains("index 3 of 3"));
}

TEST_CASE("An MLP learns a real Fashion-MNIST subset", "[02-mlp][train][real-data]") {
  const std::string dir = fashion_mnist_dir();
  if (!std::filesystem::exists(dir + "/train-images-idx3-ubyte.gz")) FAIL(dir + " is missing: run ./dlfs setup");
  const FashionMnist data = load_fashion_mnist(dir, 3000);
  const auto [mean, stddev] = data.train.pixel_mean_stddev();
  const Examples train = examples_from_images(data.train, mean, stddev);
  const Examples test = examples_from_images(data.test, mean, stddev);
  Rng rng(1);
  Sequential model = make_mlp(784, {64}, 10, "relu", rng);
  SGD sgd(model.parameters(), 0.1f);
  std::size_t step = 0;
  TrainOptions options;
  options.progress = false;
  for (int epoch = 0; epoch < 3; ++epoch)
    train_epoch(model, sgd, softmax_cross_entropy, train, rng, constant_schedule(0.1f), step, options);
  CHECK(evaluate(model, softmax_cross_entropy, test).accuracy > 0.75);
}

namespace {

TrainOptions quiet(std::size_t batch_size) {
  TrainOptions options;
  options.batch_size = batch_size;
  options.progress = false;
  return options;
}

}  // namespace

TEST_CASE("A copy task labelled per position trains through train_epoch, and evaluate's metrics are right by hand",
          "[02-mlp][train][targets]") {
  Rng rng(3);
  const Examples data = copy_task(60, 5, 4, rng);
  Sequential model = copy_model(4, rng);
  SGD sgd(model.parameters(), 0.5f);
  std::size_t step = 0;
  const EpochStats first = train_epoch(model, sgd, softmax_cross_entropy, data, rng, constant_schedule(0.5f), step, quiet(16));
  CHECK(first.loss < std::log(4.0) + 0.1);  // no worse than guessing among 4 tokens
  CHECK(first.bits_per_token == Approx(first.loss / std::log(2.0)));
  EpochStats last;
  for (int epoch = 0; epoch < 30; ++epoch)
    last = train_epoch(model, sgd, softmax_cross_entropy, data, rng, constant_schedule(0.5f), step, quiet(16));
  CHECK(last.loss < 0.2 * first.loss);

  // evaluate in batches of 7 (a short last batch) against the same numbers computed here directly.
  const Evaluation ev = evaluate(model, softmax_cross_entropy, data, 7);
  model.set_training(false);
  std::vector<std::size_t> all(60);
  std::iota(all.begin(), all.end(), std::size_t(0));
  const Tensor logits = model.forward(data.inputs(all));  // (60, 5, 4)
  double nats = 0.0;
  std::size_t tokens = 0, right = 0;
  for (std::size_t r = 0; r < 60 * 5; ++r) {
    const int y = data.targets.labels[r];
    if (y == kIgnoreIndex) continue;
    double total = 0.0;
    for (std::size_t j = 0; j < 4; ++j) total += std::exp(double(logits[r * 4 + j]));
    nats += std::log(total) - logits[r * 4 + std::size_t(y)];
    std::size_t best = 0;
    for (std::size_t j = 1; j < 4; ++j)
      if (logits[r * 4 + j] > logits[r * 4 + best]) best = j;
    right += best == std::size_t(y), ++tokens;
  }
  CHECK(tokens == 60 * 5 - 20);
  CHECK(ev.loss == Approx(nats / double(tokens)).epsilon(1e-5));
  CHECK(ev.bits_per_token == Approx(nats / double(tokens) / std::log(2.0)).epsilon(1e-5));
  CHECK(ev.accuracy == Approx(double(right) / double(tokens)));
  CHECK(ev.accuracy == 1.0);
  CHECK(ev.confusion.empty());  // a confusion matrix is for one class per example
}

TEST_CASE("A real-valued regression trains through train_epoch, and evaluate's MAE and RMSE are right by hand",
          "[02-mlp][train][targets]") {
  Rng rng(4);
  const Examples data = line(100, rng);
  Sequential model;
  model.emplace<Dense>(2, 1, rng, Init::Xavier);
  SGD sgd(model.parameters(), 0.1f);
  std::size_t step = 0;
  EpochStats stats;
  for (int epoch = 0; epoch < 40; ++epoch)
    stats = train_epoch(model, sgd, mse, data, rng, constant_schedule(0.1f), step, quiet(10));
  CHECK(stats.loss < 1e-4);
  CHECK(std::isnan(stats.accuracy));

  const Evaluation ev = evaluate(model, mse, data, 30);
  std::vector<std::size_t> all(100);
  std::iota(all.begin(), all.end(), std::size_t(0));
  model.set_training(false);
  const Tensor predicted = model.forward(data.inputs(all));  // (100, 1)
  double absolute = 0.0, squared = 0.0;
  for (std::size_t i = 0; i < 100; ++i) {
    const double error = double(predicted[i]) - data.targets.values[i];
    absolute += std::abs(error), squared += error * error;
  }
  CHECK(ev.mae == Approx(absolute / 100).epsilon(1e-5));
  CHECK(ev.rmse == Approx(std::sqrt(squared / 100)).epsilon(1e-5));
  CHECK(ev.loss == Approx(squared / 100).epsilon(1e-4));
  CHECK(ev.rmse < 0.01);
}

TEST_CASE("A batch-coupled layer refuses micro-batches and replicas, naming itself", "[02-mlp][train][micro-batch]") {
  // y = x - mean over the batch: one example's output depends on the others, as in batch norm.
  struct BatchCentering : Layer {
    Tensor forward(const Tensor& x) override {
      Tensor y = x;
      const std::size_t B = x.dim(0), F = x.size() / B;
      for (std::size_t f = 0; f < F; ++f) {
        double mean = 0.0;
        for (std::size_t b = 0; b < B; ++b) mean += x[b * F + f] / double(B);
        for (std::size_t b = 0; b < B; ++b) y[b * F + f] -= float(mean);
      }
      return y;
    }
    Tensor backward(const Tensor& d) override {  // the centering's Jacobian is symmetric: center d too
      return forward(d);
    }
    std::string name() const override { return "BatchCentering"; }
    std::string batch_coupled_layer() const override { return name(); }
  };
  auto make = [](Rng& rng) {
    Sequential net;
    net.emplace<Dense>(2, 8, rng);
    net.emplace<BatchCentering>();
    net.emplace<Dense>(8, 3, rng);
    return net;
  };
  Rng rng(1);
  Sequential model = make(rng);
  std::vector<Sequential> copies = make_replicas(1, make);
  CHECK(model.batch_coupled_layer() == "BatchCentering");
  SGD sgd(model.parameters(), 0.1f);
  std::size_t step = 0;
  TrainOptions options = quiet(30);
  options.micro_batch = 10;
  CHECK_THROWS_WITH(train_epoch(model, sgd, softmax_cross_entropy, blobs(60), rng, constant_schedule(0.1f), step, options),
                    Catch::Contains("BatchCentering computes statistics over the examples of its batch") &&
                        Catch::Contains("micro-batches or shared among replicas"));
  options.micro_batch = 0;
  options.replicas = {&copies[0]};
  CHECK_THROWS_WITH(train_epoch(model, sgd, softmax_cross_entropy, blobs(60), rng, constant_schedule(0.1f), step, options),
                    Catch::Contains("BatchCentering"));
  options.replicas.clear();
  CHECK_NOTHROW(train_epoch(model, sgd, softmax_cross_entropy, blobs(60), rng, constant_schedule(0.1f), step, options));
}

TEST_CASE("A NaN loss or gradient stops training before the update, with a clear message", "[02-mlp][train][diverged]") {
  for (const bool in_gradient : {false, true})
    for (const std::size_t replicas : {std::size_t(0), std::size_t(1)}) {
      INFO("NaN in the " << (in_gradient ? "gradient" : "loss") << ", replicas " << replicas);
      auto make = [](Rng& r) { return make_mlp(2, {8}, 3, "relu", r); };
      Rng rng(2);
      Sequential model = make(rng);
      std::vector<Sequential> copies = make_replicas(replicas, make);
      TrainOptions options = quiet(10);
      for (Sequential& copy : copies) options.replicas.push_back(&copy);
      options.label = "epoch 1/1";
      // Cross-entropy, until the third batch: then NaN in its loss, or in its gradient only.
      // (Each batch of 10 is one slice per network: two batches make 2 (replicas + 1) good calls.)
      std::size_t calls = 0;
      const Loss failing = [&](const Tensor& logits, const Targets& targets) {
        LossAndGrad l = softmax_cross_entropy(logits, targets);
        if (++calls > 2 * (replicas + 1)) {
          if (in_gradient) l.grad[0] = NAN;
          else l.loss = NAN;
        }
        return l;
      };
      SGD sgd(model.parameters(), 0.1f);
      std::size_t step = 0;
      std::vector<Tensor> before;
      const std::string message = [&] {
        try {
          // Record the weights after each good step: the last record must survive the bad batch.
          const Schedule recording = [&](std::size_t) {
            before.clear();
            for (Parameter* p : model.parameters()) before.push_back(p->value);
            return 0.1f;
          };
          train_epoch(model, sgd, failing, blobs(60), rng, recording, step, options);
        } catch (const TrainingDiverged& e) {
          return std::string(e.what());
        }
        return std::string("no exception");
      }();
      CHECK_THAT(message, Catch::Contains("training diverged at epoch 1/1, step 2"));
      if (in_gradient)
        CHECK_THAT(message, Catch::Contains("the gradient of ") && Catch::Contains(".weight is not finite"));
      else
        CHECK_THAT(message, Catch::Contains("the loss is nan"));
      CHECK_THAT(message, Catch::Contains("last finite batch loss: 1.") || Catch::Contains("last finite batch loss: 0."));
      CHECK_THAT(message, Catch::Contains("Lower the learning rate (--lr)"));
      CHECK(step == 2);
      const auto params = model.parameters();
      for (std::size_t i = 0; i < params.size(); ++i) require_close(params[i]->value, before[i], 0.0, 0.0);
    }
}
