#include <omp.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>

#include "02-mlp/tests/blobs.hpp"
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
  const Evaluation ev = evaluate(model, softmax_cross_entropy, train, 3);
  CHECK(ev.accuracy > 0.95);
}

TEST_CASE("Micro-batches give the same updates as whole batches", "[02-mlp][train][micro-batch]") {
  // Batches of 30 in slices of 7 (7, 7, 7, 7, 2: a ragged last slice) against whole batches, from
  // the same initialisation and shuffling: the gradients only add up in a different order.
  const Examples train = blobs(300);
  auto run = [&](std::size_t micro_batch, double& loss, std::size_t replicas = 0) {
    Rng rng(42);
    Sequential model = make_mlp(2, {16}, 3, "relu", rng);
    Rng other(7);  // the copies start from other values: train_epoch must overwrite them
    std::vector<Sequential> copies;
    for (std::size_t r = 0; r < replicas; ++r) copies.push_back(make_mlp(2, {16}, 3, "relu", other));
    SGD sgd(model.parameters(), 0.1f);
    std::size_t step = 0;
    TrainOptions options;
    options.batch_size = 30;
    options.micro_batch = micro_batch;
    for (Sequential& copy : copies) options.replicas.push_back(&copy);
    options.progress = false;
    for (int epoch = 0; epoch < 3; ++epoch)
      loss = train_epoch(model, sgd, softmax_cross_entropy, train, rng, constant_schedule(0.1f), step, options).loss;
    CHECK(step == 3 * 10);  // one optimizer step per batch, not per slice
    std::vector<Tensor> values;
    for (Parameter* p : model.parameters()) values.push_back(p->value);
    return values;
  };
  double whole_loss = 0.0, sliced_loss = 0.0;
  const std::vector<Tensor> whole = run(0, whole_loss), sliced = run(7, sliced_loss);
  REQUIRE(whole.size() == sliced.size());
  for (std::size_t i = 0; i < whole.size(); ++i) require_close(sliced[i], whole[i], 1e-5, 1e-4);
  CHECK(sliced_loss == Approx(whole_loss).epsilon(1e-5));
  // A slice as large as the batch is the whole batch, bit for bit.
  double same_loss = 0.0;
  const std::vector<Tensor> same = run(30, same_loss);
  for (std::size_t i = 0; i < whole.size(); ++i) require_close(same[i], whole[i], 0.0, 0.0);

  // Slices shared among the model and two replicas on up to three threads: still the same updates.
  const int saved = omp_get_max_threads();
  omp_set_num_threads(3);
  double parallel_loss = 0.0;
  const std::vector<Tensor> parallel = run(7, parallel_loss, 2);
  omp_set_num_threads(saved);
  for (std::size_t i = 0; i < whole.size(); ++i) require_close(parallel[i], whole[i], 1e-5, 1e-4);
  CHECK(parallel_loss == Approx(whole_loss).epsilon(1e-5));
}

TEST_CASE("A replica that is not a copy of the model is refused", "[02-mlp][train][micro-batch]") {
  Rng rng(1);
  Sequential model = make_mlp(2, {16}, 3, "relu", rng), other = make_mlp(2, {8}, 3, "relu", rng);
  SGD sgd(model.parameters(), 0.1f);
  std::size_t step = 0;
  TrainOptions options;
  options.replicas = {&other};
  options.progress = false;
  CHECK_THROWS_WITH(train_epoch(model, sgd, softmax_cross_entropy, blobs(30), rng, constant_schedule(0.1f), step, options),
                    Catch::Contains("does not match the model"));
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
  const Evaluation ev = evaluate(constant, softmax_cross_entropy, data, 3, 3);
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
  CHECK(evaluate(model, softmax_cross_entropy, test, 10).accuracy > 0.75);
}
