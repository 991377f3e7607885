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
using dlfs::test::BlobsRun;
using dlfs::test::train_on_blobs;

TEST_CASE("Training on blobs with Adam repeats its first losses exactly and drives the loss down",
          "[07-optimizers][train][golden]") {
  const BlobsRun run =
      train_on_blobs([](std::vector<Parameter*> p) { return std::make_unique<Adam>(std::move(p), 0.01f); }, 0.01f);
  // Golden values: a change to the update rule, the initialisation or the shuffling changes these.
  CHECK(run.losses[0] == Approx(0.36520).margin(1e-4));
  CHECK(run.losses[1] == Approx(0.09264).margin(1e-4));
  CHECK(run.losses[2] == Approx(0.05012).margin(1e-4));
  CHECK(run.losses.back() < run.losses[0] / 2);
  CHECK(run.accuracy > 0.95);
}

TEST_CASE("Every classification loss trains the same MLP on blobs", "[07-optimizers][train]") {
  for (const std::string& name : kClassificationLossNames) {
    DYNAMIC_SECTION(name) {
      const BlobsRun run = train_on_blobs(
          [](std::vector<Parameter*> p) { return std::make_unique<Adam>(std::move(p), 0.01f); }, 0.01f,
          classification_loss(name));
      CHECK(run.accuracy > 0.95);
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
