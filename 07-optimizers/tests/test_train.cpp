// End to end: the chapter's optimizers and losses inside chapter 02's training loop.
#include <catch2/catch.hpp>
#include <filesystem>

#include "02-mlp/tests/blobs.hpp"
#include "02-mlp/mlp.hpp"
#include "02-mlp/train.hpp"
#include "07-optimizers/adam.hpp"
#include "07-optimizers/classification_losses.hpp"
#include "common/fashion_mnist.hpp"

using namespace dlfs;
using dlfs::test::blobs;

TEST_CASE("Training on blobs with Adam repeats its first losses exactly and drives the loss down",
          "[07-optimizers][train][golden]") {
  Rng data_rng(7), rng(42);
  const Examples train = blobs(300, data_rng);
  Sequential model = make_mlp(2, {16}, 3, "relu", rng);
  Adam adam(model.parameters(), 0.01f);
  std::size_t step = 0;
  TrainOptions options;
  options.batch_size = 30;
  options.progress = false;
  std::vector<double> losses;
  for (int epoch = 0; epoch < 8; ++epoch)
    losses.push_back(train_epoch(model, adam, softmax_cross_entropy, train, rng, constant_schedule(0.01f), step, options).loss);
  // Golden values: a change to the update rule, the initialisation or the shuffling changes these.
  CHECK(losses[0] == Approx(0.36520).margin(1e-4));
  CHECK(losses[1] == Approx(0.09264).margin(1e-4));
  CHECK(losses[2] == Approx(0.05012).margin(1e-4));
  CHECK(losses.back() < losses[0] / 2);
  CHECK(evaluate(model, softmax_cross_entropy, train).accuracy > 0.95);
}

TEST_CASE("Every classification loss trains the same MLP on blobs", "[07-optimizers][train]") {
  for (const std::string& name : kClassificationLossNames) {
    DYNAMIC_SECTION(name) {
      Rng data_rng(7), rng(42);
      const Examples train = blobs(300, data_rng);
      Sequential model = make_mlp(2, {16}, 3, "relu", rng);
      Adam adam(model.parameters(), 0.01f);
      const Loss loss = classification_loss(name);
      std::size_t step = 0;
      TrainOptions options;
      options.batch_size = 30;
      options.progress = false;
      for (int epoch = 0; epoch < 8; ++epoch) train_epoch(model, adam, loss, train, rng, constant_schedule(0.01f), step, options);
      CHECK(evaluate(model, loss, train).accuracy > 0.95);
    }
  }
}

TEST_CASE("Adam trains an MLP on a real Fashion-MNIST subset in one epoch", "[07-optimizers][train][real-data]") {
  const std::string dir = fashion_mnist_dir();
  if (!std::filesystem::exists(dir + "/train-images-idx3-ubyte.gz")) FAIL(dir + " is missing: run ./dlfs setup");
  const FashionMnist data = load_fashion_mnist(dir, 3000);
  const auto [mean, stddev] = data.train.pixel_mean_stddev();
  const Examples train = examples_from_images(data.train, mean, stddev);
  const Examples test = examples_from_images(data.test, mean, stddev);
  Rng rng(1);
  Sequential model = make_mlp(784, {64}, 10, "relu", rng);
  model.set_needs_input_grad(false);
  Adam adam(model.parameters());
  std::size_t step = 0;
  TrainOptions options;
  options.progress = false;
  train_epoch(model, adam, softmax_cross_entropy, train, rng, constant_schedule(1e-3f), step, options);
  CHECK(evaluate(model, softmax_cross_entropy, test).accuracy > 0.75);
}
