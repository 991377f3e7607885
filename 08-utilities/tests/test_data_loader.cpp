#include <algorithm>
#include <catch2/catch.hpp>
#include <numeric>
#include <set>

#include "08-utilities/data_loader.hpp"

using namespace dlfs;

namespace {

// N examples whose single input value is their own index, labels index % 3.
Examples numbered(std::size_t n) {
  Tensor x({n, 1});  // (N, 1)
  std::vector<int> y(n);
  for (std::size_t i = 0; i < n; ++i) x(i, 0) = float(i), y[i] = int(i % 3);
  return examples_from_tensor(std::move(x), std::move(y));
}

std::vector<std::size_t> epoch_order(DataLoader& loader) {
  std::vector<std::size_t> order;
  loader.start_epoch();
  for (std::size_t i = 0; i < loader.batches(); ++i) {
    const Batch b = loader.batch(i);
    order.insert(order.end(), b.indices.begin(), b.indices.end());
  }
  return order;
}

}  // namespace

TEST_CASE("A DataLoader without shuffling yields the examples in order with a smaller last batch", "[08-utilities][loader]") {
  LoaderOptions options;
  options.batch_size = 4;
  options.shuffle = false;
  DataLoader loader(numbered(10), options, Rng(1));
  CHECK(loader.batches() == 3);
  loader.start_epoch();
  const Batch last = loader.batch(2);
  CHECK(last.indices == std::vector<std::size_t>{8, 9});
  CHECK(last.targets.labels == std::vector<int>{2, 0});
  CHECK(last.inputs.shape() == Shape{2, 1});
  CHECK(last.inputs(1, 0) == 9.0f);
  CHECK_THROWS_WITH(loader.batch(3), Catch::Contains("batch 3 of 3"));
}

TEST_CASE("drop_last drops the examples that do not fill a batch", "[08-utilities][loader]") {
  LoaderOptions options;
  options.batch_size = 4;
  options.drop_last = true;
  DataLoader loader(numbered(10), options, Rng(1));
  CHECK(loader.batches() == 2);
  const auto order = epoch_order(loader);
  CHECK(order.size() == 8);
  CHECK(std::set<std::size_t>(order.begin(), order.end()).size() == 8);
}

TEST_CASE("Shuffled epochs are fresh permutations that a seed repeats", "[08-utilities][loader]") {
  LoaderOptions options;
  options.batch_size = 3;
  DataLoader a(numbered(20), options, Rng(5)), b(numbered(20), options, Rng(5)), c(numbered(20), options, Rng(6));
  const auto a1 = epoch_order(a), a2 = epoch_order(a);
  std::vector<std::size_t> sorted = a1;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::size_t> all(20);
  std::iota(all.begin(), all.end(), std::size_t(0));
  CHECK(sorted == all);  // every example exactly once
  CHECK(a1 != a2);       // a new order each epoch
  CHECK(epoch_order(b) == a1);
  CHECK(epoch_order(b) == a2);
  CHECK(epoch_order(c) != a1);
}

TEST_CASE("Shuffled batches are the ones chapter 02's train_epoch draws from the same Rng", "[08-utilities][loader]") {
  LoaderOptions options;
  options.batch_size = 7;
  DataLoader loader(numbered(30), options, Rng(42));
  Rng rng(42);
  for (int epoch = 0; epoch < 3; ++epoch) CHECK(epoch_order(loader) == rng.permutation(30));
}

TEST_CASE("The augmentation hook changes every batch and draws from the loader's stream", "[08-utilities][loader]") {
  LoaderOptions options;
  options.batch_size = 4;
  options.shuffle = false;
  std::size_t calls = 0;
  options.augment = [&calls](Tensor& x, Rng& rng) {
    ++calls;
    for (float& v : x) v += float(rng.below(2)) * 100.0f;
  };
  DataLoader a(numbered(8), options, Rng(3)), b(numbered(8), options, Rng(3));
  a.start_epoch(), b.start_epoch();
  const Batch a0 = a.batch(0), b0 = b.batch(0);
  CHECK(calls == 2);
  CHECK(std::equal(a0.inputs.begin(), a0.inputs.end(), b0.inputs.begin()));  // same seed, same augmentation
  // The batch the loader returns is the augmented one: against the same batch without the hook,
  // every value is itself or itself + 100, and some moved.
  LoaderOptions plain_options = options;
  plain_options.augment = nullptr;
  DataLoader plain(numbered(8), plain_options, Rng(3));
  plain.start_epoch();
  const Batch p0 = plain.batch(0);
  REQUIRE(p0.inputs.size() == a0.inputs.size());
  std::size_t moved = 0;
  for (std::size_t i = 0; i < a0.inputs.size(); ++i) {
    const float d = a0.inputs[i] - p0.inputs[i];
    CHECK((d == 0.0f || d == 100.0f));
    moved += d != 0.0f;
  }
  CHECK(moved > 0);
  CHECK(a.rng().state() != Rng(3).state());                                    // the stream moved on
  CHECK(a0.targets.labels == std::vector<int>{0, 1, 2, 0});                            // labels untouched
}

TEST_CASE("random_horizontal_flip mirrors every row of an image with probability p", "[08-utilities][loader][augment]") {
  Tensor images({2, 1, 2, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});  // (B, C, H, W)
  Rng rng(1);
  Tensor flipped = images;
  random_horizontal_flip(1.0f)(flipped, rng);
  CHECK(std::vector<float>(flipped.begin(), flipped.end()) ==
        std::vector<float>{3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10});
  Tensor kept = images;
  random_horizontal_flip(0.0f)(kept, rng);
  CHECK(std::equal(kept.begin(), kept.end(), images.begin()));
}

TEST_CASE("split_validation carves disjoint sets that together are the data", "[08-utilities][loader]") {
  Rng rng(9);
  const auto [train, validation] = split_validation(numbered(50), 10, rng);
  CHECK(train.size() == 40);
  CHECK(validation.size() == 10);
  std::vector<std::size_t> all_t(40), all_v(10);
  std::iota(all_t.begin(), all_t.end(), std::size_t(0));
  std::iota(all_v.begin(), all_v.end(), std::size_t(0));
  const Tensor xt = train.inputs(all_t), xv = validation.inputs(all_v);  // inputs are the original indices
  std::set<float> seen(xt.begin(), xt.end());
  seen.insert(xv.begin(), xv.end());
  CHECK(seen.size() == 50);
  for (std::size_t i = 0; i < 10; ++i) CHECK(validation.targets.labels[i] == int(xv[i]) % 3);
  CHECK_THROWS_WITH(split_validation(numbered(5), 5, rng), Catch::Contains("must be between 1 and 4"));
}
