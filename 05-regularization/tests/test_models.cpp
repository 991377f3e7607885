#include <catch2/catch.hpp>
#include <cmath>

#include "02-mlp/dense.hpp"
#include "02-mlp/losses.hpp"
#include "02-mlp/optimizer.hpp"
#include "02-mlp/train.hpp"
#include "03-cnn/conv2d.hpp"
#include "05-regularization/batch_norm.hpp"
#include "05-regularization/dropout.hpp"
#include "05-regularization/models.hpp"
#include "05-regularization/residual.hpp"
#include "05-regularization/tests/layer_checks.hpp"
#include "common/ops.hpp"
#include "common/safetensors.hpp"
#include "tests/support/tmp.hpp"

using namespace dlfs;
using namespace dlfs::test;

namespace {

// Every layer of a network, descending into residual blocks.
void for_each_layer(Layer& layer, const std::function<void(Layer&)>& visit) {
  visit(layer);
  if (auto* seq = dynamic_cast<Sequential*>(&layer)) {
    for (std::size_t i = 0; i < seq->size(); ++i) for_each_layer((*seq)[i], visit);
  } else if (auto* block = dynamic_cast<ResidualBlock*>(&layer)) {
    for_each_layer(block->body(), visit);
    for_each_layer(block->shortcut(), visit);
  }
}

template <class L>
std::size_t count_of(Sequential& model) {
  std::size_t n = 0;
  for_each_layer(model, [&](Layer& l) { n += dynamic_cast<L*>(&l) != nullptr; });
  return n;
}

// n images (1, 28, 28) of noise with a bright 7x7 square whose place says the class (4 classes).
Examples squares(std::size_t n, Rng& rng) {
  Tensor x({n, 1, 28, 28});
  rng.fill_normal(x, 0.0f, 0.3f);
  std::vector<int> labels(n);
  for (std::size_t i = 0; i < n; ++i) {
    const int label = int(i % 4);
    labels[i] = label;
    const std::size_t top = 3 + 14 * std::size_t(label / 2), left = 3 + 14 * std::size_t(label % 2);
    for (std::size_t h = top; h < top + 7; ++h)
      for (std::size_t w = left; w < left + 7; ++w) x(i, 0, h, w) += 2.0f;
  }
  return examples_from_tensor(std::move(x), Targets(labels));
}

TrainOptions quiet(std::size_t batch) {
  TrainOptions options;
  options.batch_size = batch;
  options.progress = false;
  return options;
}

// Trains on one fixed batch and returns the losses of `steps` updates.
std::vector<double> overfit(Sequential& model, const Examples& data, std::size_t steps, float lr) {
  SGD sgd(model.parameters(), lr);
  std::vector<std::size_t> all(data.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  const Batch batch = make_batch(data, all);
  model.set_training(true);
  std::vector<double> losses;
  for (std::size_t s = 0; s < steps; ++s) {
    const BatchResult r = train_on_batch(model, sgd, softmax_cross_entropy, batch, lr);
    REQUIRE(r.non_finite.empty());
    losses.push_back(r.loss);
  }
  return losses;
}

}  // namespace

TEST_CASE("ResNet-20 maps (B, 1, 28, 28) to 10 logits through stages of 16, 32 and 64 channels",
          "[05-regularization][models]") {
  Rng rng(1);
  Sequential resnet = make_resnet(rng);
  const std::vector<LayerSummary> rows = summarize_network(resnet, {2, 1, 28, 28});
  REQUIRE(rows.size() == 3 + 9 + 2);  // stem conv, BN, ReLU; 9 blocks; pooling, Dense
  CHECK(rows[2].output == Shape{2, 16, 28, 28});
  CHECK(rows[5].output == Shape{2, 16, 28, 28});   // stage 1
  CHECK(rows[8].output == Shape{2, 32, 14, 14});   // stage 2
  CHECK(rows[11].output == Shape{2, 64, 7, 7});    // stage 3
  CHECK(rows[12].output == Shape{2, 64});
  CHECK(rows[13].output == Shape{2, 10});
  // 6n + 2 = 20 weighted layers: 19 convolutions on the main path and the Dense; 2 projections.
  CHECK(count_of<ResidualBlock>(resnet) == 9);
  CHECK(count_of<Conv2d>(resnet) == 19 + 2);
  // The summary runs in evaluation mode and gives the model back in its own, even when it throws.
  REQUIRE(resnet.training());
  CHECK_THROWS(summarize_network(resnet, {2, 3, 28, 28}));  // three channels for a one-channel stem
  CHECK(resnet.training());
  CHECK(count_of<Dense>(resnet) == 1);
  // stem 144 + 32; stage 1: 3 x (2 x 2304 + 2 x 32); stage 2: 4608 + 9216 + 512 + 3 x 64, then 2 x (2 x 9216 + 2 x 64);
  // stage 3: 18432 + 36864 + 2048 + 3 x 128, then 2 x (2 x 36864 + 2 x 128); Dense 650
  const std::size_t expected = 176 + 3 * 4672 + (14336 + 192) + 2 * 18560 + (57344 + 384) + 2 * 73984 + 650;
  CHECK(parameter_count(resnet) == expected);
  CHECK(expected == 272186);
}

TEST_CASE("The plain CNN has the ResNet's depth and widths, without a single shortcut", "[05-regularization][models]") {
  Rng rng(2);
  Sequential plain = make_plain_cnn(rng);
  Sequential resnet = make_resnet(rng);
  CHECK(plain.forward(Tensor({2, 1, 28, 28})).shape() == Shape{2, 10});
  CHECK(count_of<ResidualBlock>(plain) == 0);
  CHECK(count_of<Conv2d>(plain) == 19);
  CHECK(count_of<BatchNorm2d>(plain) == 19);
  CHECK(count_of<Dense>(plain) == 1);
  // The ResNet's extra parameters are its two projection shortcuts (conv 1x1 and BN each).
  CHECK(parameter_count(resnet) - parameter_count(plain) == (16 * 32 + 64) + (32 * 64 + 128));
  Rng rng_a(3), rng_b(3);
  ModelOptions deeper;
  deeper.blocks = 5;  // 32 layers
  Sequential plain32 = make_plain_cnn(rng_a, deeper), resnet32 = make_resnet(rng_b, deeper);
  CHECK(count_of<Conv2d>(plain32) == 31);
  CHECK(count_of<ResidualBlock>(resnet32) == 15);
}

TEST_CASE("The BN-CNN is conv-BN-ReLU blocks; without batch norm its convolutions keep their biases",
          "[05-regularization][models]") {
  Rng rng(4);
  ModelOptions options;
  options.dropout = 0.3f;
  Sequential bn_cnn = make_bn_cnn(rng, options);
  CHECK(bn_cnn.forward(Tensor({2, 1, 28, 28})).shape() == Shape{2, 10});
  CHECK(count_of<BatchNorm2d>(bn_cnn) == 4);
  CHECK(count_of<BatchNorm1d>(bn_cnn) == 1);
  CHECK(count_of<Dropout>(bn_cnn) == 1);
  // conv 9*32, 9*32*32, 9*32*64, 9*64*64 (no biases), BN 2 x (32+32+64+64), Dense 3136*128 + 128, BN1d 256, Dense 1290
  CHECK(parameter_count(bn_cnn) == 288 + 9216 + 18432 + 36864 + 384 + 401536 + 256 + 1290);

  options.batch_norm = false;
  options.dropout = 0.0f;
  Sequential plain = make_bn_cnn(rng, options);
  CHECK(count_of<BatchNorm>(plain) == 0);
  CHECK(count_of<Dropout>(plain) == 0);
  CHECK(parameter_count(plain) == 288 + 9216 + 18432 + 36864 + (32 + 32 + 64 + 64) + 401536 + 1290);
}

TEST_CASE("The VGG-style network doubles its channels per stage of two 3x3 convolutions", "[05-regularization][models]") {
  Rng rng(5);
  Sequential vgg = make_vgg(rng);
  const std::vector<LayerSummary> rows = summarize_network(vgg, {1, 1, 28, 28});
  std::vector<Shape> after_pools;
  std::size_t convs = 0;
  for (std::size_t i = 0; i < vgg.size(); ++i) {
    if (auto* conv = dynamic_cast<Conv2d*>(&vgg[i])) {
      ++convs;
      CHECK(conv->window().kernel_h == 3);
    }
    if (vgg[i].name().rfind("MaxPool2d", 0) == 0) after_pools.push_back(rows[i].output);
  }
  CHECK(convs == 6);
  CHECK(after_pools == std::vector<Shape>{{1, 16, 14, 14}, {1, 32, 7, 7}, {1, 64, 3, 3}});
  CHECK(rows.back().output == Shape{1, 10});
}

TEST_CASE("The wide MLP has two hidden layers of 1024, with dropout after each when asked", "[05-regularization][models]") {
  Rng rng(7);
  Sequential mlp = make_wide_mlp(rng);
  CHECK(mlp.forward(Tensor({2, 1, 28, 28})).shape() == Shape{2, 10});
  CHECK(count_of<Dropout>(mlp) == 0);
  CHECK(parameter_count(mlp) == (784 * 1024 + 1024) + (1024 * 1024 + 1024) + (1024 * 10 + 10));
  ModelOptions options;
  options.dropout = 0.5f;
  options.width = 64;
  Sequential dropped = make_wide_mlp(rng, options);
  CHECK(count_of<Dropout>(dropped) == 2);
  CHECK(count_of<Dense>(dropped) == 3);
  CHECK(parameter_count(dropped) == (784 * 64 + 64) + (64 * 64 + 64) + (64 * 10 + 10));
}

TEST_CASE("Models are made by name, and an unknown name lists the valid ones", "[05-regularization][models]") {
  Rng rng(6);
  for (const std::string& name : kRegularizationModelNames) {
    INFO(name);
    ModelOptions small;
    small.width = 4;
    small.blocks = 1;
    Sequential m = make_regularization_model(name, rng, small);
    CHECK(m.forward(Tensor({2, 1, 28, 28})).shape() == Shape{2, 10});
  }
  CHECK_THROWS_WITH(make_regularization_model("vgg19", rng), Catch::Contains("bn-cnn, vgg, resnet, plain, mlp"));
}

TEST_CASE("Switching a network's mode reaches every layer, inside residual blocks too", "[05-regularization][models]") {
  Rng rng(7);
  ModelOptions small;
  small.width = 4;
  small.blocks = 2;
  Sequential resnet = make_resnet(rng, small);
  auto modes = [&](bool training) {
    std::size_t agree = 0, total = 0;
    for_each_layer(resnet, [&](Layer& l) { ++total, agree += l.training() == training; });
    return agree == total;
  };
  CHECK(modes(true));
  CHECK(resnet.batch_coupled_layer() == "BatchNorm2d(4)");
  resnet.set_training(false);
  CHECK(modes(false));
  CHECK(resnet.batch_coupled_layer().empty());
  // In evaluation a network's output for one image does not depend on the rest of the batch.
  Tensor x = random_tensor({3, 1, 28, 28}, rng);
  const Tensor all = resnet.forward(x);
  const Tensor one = resnet.forward(slice_rows(x, 1, 2));
  for (std::size_t k = 0; k < 10; ++k) CHECK(one[k] == Approx(all[10 + k]).margin(1e-5));
  resnet.set_training(true);
  CHECK(modes(true));
}

TEST_CASE("Save, load, evaluate: the same outputs, running statistics included", "[05-regularization][models]") {
  const std::string dir = scratch_dir("05-save-load");
  ModelOptions small;
  small.width = 4;
  small.blocks = 1;
  Rng rng(8);
  Sequential model = make_resnet(rng, small);
  Rng data_rng(9);
  const Tensor x = random_tensor({6, 1, 28, 28}, data_rng);
  for (int i = 0; i < 3; ++i) model.forward(random_tensor({4, 1, 28, 28}, data_rng, 2.0f));  // moves the running statistics
  model.set_training(false);
  const Tensor expected = model.forward(x);
  save_model(dir + "/resnet.safetensors", model.name(), named_values(model.parameters()));

  Rng other(10);
  Sequential loaded = make_resnet(other, small);
  loaded.set_training(false);
  const Tensor before = loaded.forward(x);
  CHECK(std::fabs(before[0] - expected[0]) > 1e-6f);  // a different initialisation gives different logits
  load_model(dir + "/resnet.safetensors", loaded.name(), named_values(loaded.parameters()));
  require_close(loaded.forward(x), expected, 0.0, 0.0);
  const std::vector<Parameter*> a = model.parameters(), b = loaded.parameters();
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO(a[i]->name);
    require_close(b[i]->value, a[i]->value, 0.0, 0.0);
  }
}

TEST_CASE("A model file without the running statistics is rejected, naming what is missing",
          "[05-regularization][models]") {
  const std::string dir = scratch_dir("05-missing-statistics");
  ModelOptions small;
  small.width = 4;
  Rng rng(11);
  Sequential model = make_bn_cnn(rng, small);
  std::vector<Parameter*> trainable;
  for (Parameter* p : model.parameters())
    if (p->trainable) trainable.push_back(p);
  save_model(dir + "/weights_only.safetensors", model.name(), named_values(trainable));
  const Tensor before = model.parameters()[0]->value;
  CHECK_THROWS_WITH(load_model(dir + "/weights_only.safetensors", model.name(), named_values(model.parameters())),
                    Catch::Contains("missing tensor(s)") && Catch::Contains("'1.running_mean'") &&
                        Catch::Contains("'1.running_var'"));
  require_close(model.parameters()[0]->value, before, 0.0, 0.0);  // nothing was changed
}

TEST_CASE("Chapter 02's loop refuses micro-batches and replicas for a network with batch norm, naming the layer",
          "[05-regularization][models][batchnorm]") {
  ModelOptions small;
  small.width = 4;
  auto make = [&](Rng& r) { return make_bn_cnn(r, small); };
  Rng rng(12);
  Sequential model = make(rng);
  const Examples data = squares(16, rng);
  SGD sgd(model.parameters(), 0.01f);
  std::size_t step = 0;
  TrainOptions micro = quiet(8);
  micro.micro_batch = 4;
  CHECK_THROWS_WITH(train_epoch(model, sgd, softmax_cross_entropy, data, rng, constant_schedule(0.01f), step, micro),
                    Catch::Contains("BatchNorm2d(4) computes statistics over the examples of its batch"));
  std::vector<Sequential> copies = make_replicas(1, make);
  TrainOptions replicated = quiet(8);
  replicated.replicas.push_back(&copies[0]);
  CHECK_THROWS_WITH(train_epoch(model, sgd, softmax_cross_entropy, data, rng, constant_schedule(0.01f), step, replicated),
                    Catch::Contains("BatchNorm2d(4)") && Catch::Contains("shared among replicas"));
  CHECK(step == 0);
  // Whole batches train.
  CHECK_NOTHROW(train_epoch(model, sgd, softmax_cross_entropy, data, rng, constant_schedule(0.01f), step, quiet(8)));
  CHECK(step == 2);
}

TEST_CASE("A tiny BN-CNN overfits a small batch, from pinned first losses", "[05-regularization][models][train]") {
  Rng rng(13);
  ModelOptions small;
  small.width = 4;
  Sequential model = make_bn_cnn(rng, small);
  const std::vector<double> losses = overfit(model, squares(16, rng), 25, 0.05f);
  INFO("first " << losses.front() << ", last " << losses.back());
  // Golden values (seed 13): a change to any layer's arithmetic moves them.
  CHECK(losses[0] == Approx(2.78482).epsilon(1e-4));
  CHECK(losses[1] == Approx(1.25299).epsilon(1e-4));
  CHECK(losses[2] == Approx(0.578958).epsilon(1e-4));
  CHECK(losses.back() < 0.1 * losses.front());
}

TEST_CASE("A tiny ResNet overfits a small batch, from pinned first losses", "[05-regularization][models][train]") {
  Rng rng(14);
  ModelOptions small;
  small.width = 4;
  small.blocks = 1;
  Sequential model = make_resnet(rng, small);
  const std::vector<double> losses = overfit(model, squares(16, rng), 40, 0.1f);
  INFO("first " << losses.front() << ", last " << losses.back());
  // Golden values (seed 14).
  CHECK(losses[0] == Approx(2.56925).epsilon(1e-4));
  CHECK(losses[1] == Approx(2.40004).epsilon(1e-4));
  CHECK(losses[2] == Approx(2.25027).epsilon(1e-4));
  CHECK(losses.back() < 0.2 * losses.front());
}
