#include <catch2/catch.hpp>
#include <filesystem>

#include "02-mlp/activations.hpp"
#include "02-mlp/dense.hpp"
#include "02-mlp/flatten.hpp"
#include "02-mlp/losses.hpp"
#include "02-mlp/optimizer.hpp"
#include "02-mlp/tests/weights_after_training.hpp"
#include "02-mlp/train.hpp"
#include "03-cnn/conv2d.hpp"
#include "03-cnn/models.hpp"
#include "03-cnn/pool.hpp"
#include "common/fashion_mnist.hpp"
#include "common/system.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

// conv(1 -> 4, 3x3, pad 1) ReLU maxpool(2) conv(4 -> 4, 3x3) ReLU flatten dense(4*2*2 -> classes)
Sequential tiny_cnn(std::size_t classes, Rng& rng) {
  Sequential m;
  m.emplace<Conv2d>(1, 4, 3, rng, 1, 1);  // (B, 4, 8, 8)
  m.emplace<ReLU>();
  m.emplace<MaxPool2d>(2);                // (B, 4, 4, 4)
  m.emplace<Conv2d>(4, 4, 3, rng);        // (B, 4, 2, 2)
  m.emplace<ReLU>();
  m.emplace<Flatten>();                   // (B, 16)
  m.emplace<Dense>(16, classes, rng, Init::Xavier);
  return m;
}

}  // namespace

TEST_CASE("LeNet-5 maps (B, 1, 28, 28) to 10 logits with 61 706 parameters", "[03-cnn][models]") {
  Rng rng(1);
  Sequential lenet = make_lenet5(rng);
  CHECK(lenet.forward(Tensor({3, 1, 28, 28})).shape() == Shape{3, 10});
  // conv 6*(25+1) + conv 16*(150+1) + 400*120+120 + 120*84+84 + 84*10+10
  CHECK(parameter_count(lenet) == 156 + 2416 + 48120 + 10164 + 850);
  const auto rows = summarize(lenet, {1, 1, 28, 28});
  CHECK(rows[0].output == Shape{1, 6, 28, 28});
  CHECK(rows[2].output == Shape{1, 6, 14, 14});
  CHECK(rows[3].output == Shape{1, 16, 10, 10});
  CHECK(rows[5].output == Shape{1, 16, 5, 5});
  double macs = 0;
  for (const auto& r : rows) macs += r.multiply_adds;
  CHECK(macs == 28 * 28 * 6 * 25 + 10 * 10 * 16 * 150 + 400 * 120 + 120 * 84 + 84 * 10);
}

TEST_CASE("The AlexNet-style network has five convolutions, three pools and three dense layers", "[03-cnn][models]") {
  Rng rng(2);
  Sequential alexnet = make_alexnet(rng);
  CHECK(alexnet.forward(Tensor({2, 1, 28, 28})).shape() == Shape{2, 10});
  std::size_t convs = 0, pools = 0, dense = 0;
  for (std::size_t i = 0; i < alexnet.size(); ++i) {
    convs += dynamic_cast<Conv2d*>(&alexnet[i]) != nullptr;
    pools += dynamic_cast<MaxPool2d*>(&alexnet[i]) != nullptr;
    dense += dynamic_cast<Dense*>(&alexnet[i]) != nullptr;
  }
  CHECK(convs == 5);
  CHECK(pools == 3);
  CHECK(dense == 3);
  CHECK(parameter_count(alexnet) == (12 * 25 + 12) + (32 * 12 * 25 + 32) + (48 * 32 * 9 + 48) + (48 * 48 * 9 + 48) +
                                        (32 * 48 * 9 + 32) + (288 * 256 + 256) + (256 * 256 + 256) + (256 * 10 + 10));
}

TEST_CASE("make_cnn names the models it knows", "[03-cnn][models]") {
  Rng rng(3);
  CHECK(make_cnn("lenet", rng).size() == make_lenet5(rng).size());
  CHECK_THROWS_WITH(make_cnn("vgg", rng), "unknown model 'vgg' (choose one of: lenet, alexnet)");
}

TEST_CASE("A small CNN's backward matches central differences end to end", "[03-cnn][models][grad]") {
  Rng rng(4);
  Sequential model = tiny_cnn(3, rng);
  Tensor x = random_tensor({2, 1, 8, 8}, rng);
  const std::vector<int> labels{0, 2};
  auto loss = [&] { return softmax_cross_entropy(model.forward(x), labels).loss; };
  const LossAndGrad l = softmax_cross_entropy(model.forward(x), labels);
  model.zero_grad();
  const Tensor dx = model.backward(l.grad);
  require_close(dx, numerical_gradient(loss, x, 1e-3), 2e-3, 2e-2);
  Conv2d& first = dynamic_cast<Conv2d&>(model[0]);
  require_close(first.weight().grad, numerical_gradient(loss, first.weight().value, 1e-3), 2e-3, 2e-2);
}

TEST_CASE("A tiny CNN overfits a small batch to near-zero loss, repeating its first losses", "[03-cnn][models][golden]") {
  Rng rng(42);
  const Tensor x = random_tensor({16, 1, 8, 8}, rng);  // 16 random images with random labels: pure memorisation
  std::vector<int> labels(16);
  for (int& y : labels) y = int(rng.below(4));
  Sequential model = tiny_cnn(4, rng);
  SGD sgd(model.parameters(), 0.1f);
  std::vector<double> losses;
  for (int step = 0; step < 300; ++step) {
    const LossAndGrad l = softmax_cross_entropy(model.forward(x), labels);
    losses.push_back(l.loss);
    sgd.zero_grad();
    model.backward(l.grad);
    sgd.step();
  }
  // Golden values: a change to initialisation, the layers, the loss or the update changes these.
  CHECK(losses[0] == Approx(1.98366).margin(1e-4));
  CHECK(losses[1] == Approx(1.30439).margin(1e-4));
  CHECK(losses[2] == Approx(1.20347).margin(1e-4));
  CHECK(losses.back() < 0.01);
}

TEST_CASE("A CNN trained in slices on two threads makes the whole-batch updates", "[03-cnn][models][micro-batch]") {
  // The example's default way of training (slices, a replica per further thread) through Conv2d's
  // chunks (one image each here) and MaxPool2d's argmax: 40 images in batches of 12 (a short last
  // batch of 4), slices of 5, one replica; against whole batches on one network.
  Rng data_rng(3);
  Tensor x = random_tensor({40, 1, 8, 8}, data_rng);  // (N, 1, 8, 8)
  std::vector<int> labels(40);
  for (int& y : labels) y = int(data_rng.below(3));
  const Examples train = examples_from_tensor(std::move(x), labels);
  auto make = [](Rng& r) {
    Sequential m = tiny_cnn(3, r);
    set_conv_chunk_bytes(m, 1);  // one image per chunk
    return m;
  };
  TrainOptions whole_batches, slices;
  whole_batches.batch_size = slices.batch_size = 12;
  slices.micro_batch = 5;
  const TrainedWeights whole = weights_after_training(make, train, whole_batches, 0, 0.05f, 3);
  const TrainedWeights parallel = weights_after_training(make, train, slices, 1, 0.05f, 3);
  REQUIRE(whole.values.size() == parallel.values.size());
  for (std::size_t i = 0; i < whole.values.size(); ++i) require_close(parallel.values[i], whole.values[i], 1e-5, 1e-4);
}

TEST_CASE("LeNet-5 learns a real Fashion-MNIST subset", "[03-cnn][models][real-data]") {
  const std::string dir = fashion_mnist_dir();
  if (!std::filesystem::exists(dir + "/train-images-idx3-ubyte.gz")) FAIL(dir + " is missing: run ./dlfs setup");
  // One thread: this test is about learning, not speed, and on a busy two-core machine OpenMP's
  // spinning worker threads can make small parallel loops many times slower.
  set_threads(1);
  const FashionMnist data = load_fashion_mnist(dir, 2000);
  const auto [mean, stddev] = data.train.pixel_mean_stddev();
  const Examples train = examples_from_images(data.train, mean, stddev);
  Examples test = examples_from_images(data.test, mean, stddev);
  test.targets.labels.resize(2000);  // the first 2000 test images are plenty to tell learning from guessing
  Rng rng(1);
  Sequential model = make_lenet5(rng);
  model.set_needs_input_grad(false);
  SGD sgd(model.parameters(), 0.1f);
  std::size_t step = 0;
  TrainOptions options;
  options.progress = false;
  for (int epoch = 0; epoch < 2; ++epoch)
    train_epoch(model, sgd, softmax_cross_entropy, train, rng, constant_schedule(0.1f), step, options);
  CHECK(evaluate(model, softmax_cross_entropy, test).accuracy > 0.65);  // 0.73 when written; guessing gives 0.1
}
