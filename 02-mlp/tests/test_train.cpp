#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>

#include "02-mlp/tests/blobs.hpp"
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
using dlfs::test::require_close;
using dlfs::test::TrainedWeights;
using dlfs::test::weights_after_training;

TEST_CASE("Training on blobs repeats its first losses exactly and drives the loss down", "[02-mlp][train][golden]") {
  Rng data_rng(7), rng(42);
  const Examples train = blobs(300, data_rng);
  Sequential model = make_mlp(2, {16}, 3, "relu", rng);
  SGD sgd(model.parameters(), 0.1f);
  std::size_t step = 0;
  TrainOptions options;
  options.batch_size = 30;
  options.progress = false;
  std::vector<double> losses;
  for (int epoch = 0; epoch < 8; ++epoch)
    losses.push_back(train_epoch(model, sgd, softmax_cross_entropy, train, rng, constant_schedule(0.1f), step, options).loss);
  // Golden values: a change to initialisation, shuffling, the loss or the update changes these.
  CHECK(losses[0] == Approx(0.27326).margin(1e-4));
  CHECK(losses[1] == Approx(0.10088).margin(1e-4));
  CHECK(losses[2] == Approx(0.07324).margin(1e-4));
  CHECK(losses.back() < 0.06);
  CHECK(step == 8 * 10);
  const Evaluation ev = evaluate(model, softmax_cross_entropy, train);
  CHECK(ev.accuracy > 0.95);
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
  // The model and two replicas on three threads: slices of 7 shared among them; and, without
  // micro-batches, one slice each (10, 10, 10; 8, 8, 7 in the short batch). The replicas start
  // from other values: train_epoch must hand them the model's before every batch.
  for (std::size_t micro_batch : {std::size_t(7), std::size_t(0)}) {
    INFO("micro_batch " << micro_batch);
    const TrainedWeights parallel = train_blobs(micro_batch, 2);
    require_same_weights(parallel, whole, 1e-5);
    CHECK(parallel.last_loss == Approx(whole.last_loss).epsilon(1e-5));
  }
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
