#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>

#include "01-perceptron/dataset.hpp"
#include "01-perceptron/perceptron.hpp"
#include "01-perceptron/preprocessing.hpp"
#include "01-perceptron/synthetic.hpp"
#include "common/ops.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;

namespace {

std::vector<std::size_t> in_order(std::size_t n) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  return order;
}

// The four corners of XOR, exactly. x: (4, 2).
const Tensor kXorX({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1});
const std::vector<int> kXorY{-1, 1, 1, -1};

Dataset load_iris() {
  const CsvTable table = read_csv(default_data_dir() + "/iris.csv");
  TableEncoder enc(table, "species");
  enc.fit(table.all_rows());
  return enc.transform(table.all_rows());
}

}  // namespace

// ---- the rule ----

TEST_CASE("The perceptron updates w by lr y x and b by lr y on a mistake only", "[01-perceptron][perceptron]") {
  Perceptron p(2);
  const Tensor x({2, 2}, {1, 2, -1, 0.5f});  // (2, 2)
  // Row 0, label +1: w = 0 scores 0, a mistake: w = 0.5 (1, 2), b = 0.5.
  // Row 1, label -1: score 0.5 * -1 + 1 * 0.5 + 0.5 = 0.5 > 0, a mistake: w -= 0.5 (-1, 0.5), b -= 0.5.
  CHECK(p.train_epoch(x, {1, -1}, {0, 1}, 0.5f) == 2);
  test::require_close(p.weight(), Tensor({2}, {1.0f, 0.75f}), 0, 0);
  CHECK(p.bias() == 0.0f);
  // Both rows are now on their side (scores 2.5 and -0.625): no more updates.
  CHECK(p.train_epoch(x, {1, -1}, {0, 1}, 0.5f) == 0);
  test::require_close(p.weight(), Tensor({2}, {1.0f, 0.75f}), 0, 0);
  CHECK(p.count_errors(x, {1, -1}) == 0);
}

TEST_CASE("Weights or features that leave the float range stop training instead of passing for convergence",
          "[01-perceptron][perceptron][errors]") {
  // lr 3e38 and a feature of 2: the first update is past FLT_MAX (3.4e38). Before, the NaN margins
  // that followed were never <= 0, so an epoch "without mistakes" reported convergence.
  const Tensor x({2, 2}, {2, 1, -1, 0.5f});  // (2, 2)
  Perceptron huge(2);
  CHECK_THROWS_WITH(huge.train_epoch(x, {1, -1}, {0, 1}, 3e38f),
                    Catch::StartsWith("perceptron: an update overflowed the weights at training row 0"));
  // A feature that is already NaN (or infinite, against zero weights: 0 * inf) gives a NaN margin.
  const Tensor bad({2, 2}, {1, std::nanf(""), -1, 0.5f});
  Perceptron p(2);
  CHECK_THROWS_WITH(p.train_epoch(bad, {1, -1}, {0, 1}, 0.5f),
                    Catch::StartsWith("perceptron: the margin y (w . x + b) is NaN at training row 0"));
}

TEST_CASE("The perceptron converges on separable data within Novikoff's (R / gamma)^2 mistakes",
          "[01-perceptron][perceptron][theorem]") {
  for (const auto& [features, margin, seed] : {std::tuple{2, 0.05f, 1}, std::tuple{5, 0.1f, 2}, std::tuple{10, 0.05f, 3}}) {
    Rng rng(std::uint64_t(seed) + 100);
    const SeparableProblem p = make_separable(400, std::size_t(features), margin, rng);
    const std::vector<int> y = binary_targets(p.data.y, 1);
    // R = max |(x, 1)| and gamma = min y w_star . (x, 1), both in the augmented space where the
    // bias is one more weight.
    double r2 = 0.0, gamma = 1e30;
    for (std::size_t i = 0; i < p.data.size(); ++i) {
      double norm2 = 1.0, s = p.w_star[std::size_t(features)];
      for (std::size_t j = 0; j < std::size_t(features); ++j) {
        norm2 += double(p.data.x(i, j)) * p.data.x(i, j);
        s += double(p.w_star[j]) * p.data.x(i, j);
      }
      r2 = std::max(r2, norm2);
      gamma = std::min(gamma, y[i] * s);
    }
    const double bound = r2 / (gamma * gamma);

    Perceptron model{std::size_t(features)};
    std::size_t total_mistakes = 0, epochs = 0;
    bool converged = false;
    while (!converged && epochs < 10000) {
      const std::size_t mistakes = model.train_epoch(p.data.x, y, rng.permutation(p.data.size()));
      total_mistakes += mistakes;
      converged = mistakes == 0;
      ++epochs;
    }
    INFO("features " << features << ", R^2 " << r2 << ", gamma " << gamma << ", bound " << bound << ", mistakes "
                     << total_mistakes << " in " << epochs << " epochs");
    CHECK(converged);
    CHECK(double(total_mistakes) <= bound);
    CHECK(model.count_errors(p.data.x, y) == 0);
  }
}

TEST_CASE("The learning rate only rescales the weights when they start at zero", "[01-perceptron][perceptron]") {
  Rng rng(9);
  const SeparableProblem p = make_separable(100, 3, 0.02f, rng);
  const std::vector<int> y = binary_targets(p.data.y, 1);
  Perceptron a(3), b(3);
  const std::vector<std::size_t> order = in_order(100);
  for (int epoch = 0; epoch < 5; ++epoch) {
    // lr = 1 and lr = 0.25 (a power of two, so the rescaling is exact in float) make the same
    // mistakes: every update is the same multiple of lr, so w and b scale together.
    CHECK(a.train_epoch(p.data.x, y, order, 1.0f) == b.train_epoch(p.data.x, y, order, 0.25f));
  }
  test::require_close(b.weight() * 4.0f, a.weight(), 0, 0);
  CHECK(b.bias() * 4.0f == a.bias());
}

// ---- the limit: XOR ----

TEST_CASE("The perceptron never stops making mistakes on XOR", "[01-perceptron][perceptron][xor]") {
  Perceptron p(2);
  for (int epoch = 0; epoch < 1000; ++epoch) REQUIRE(p.train_epoch(kXorX, kXorY, in_order(4)) > 0);
}

TEST_CASE("No perceptron variant classifies more than three XOR corners", "[01-perceptron][perceptron][xor]") {
  for (PerceptronVariant v : {PerceptronVariant::kPlain, PerceptronVariant::kPocket, PerceptronVariant::kAveraged}) {
    Perceptron p(2, v);
    Rng rng(4);
    for (int epoch = 0; epoch < 200; ++epoch) {
      p.train_epoch(kXorX, kXorY, rng.permutation(4));
      INFO("variant " << to_string(v) << ", epoch " << epoch);
      REQUIRE(p.count_errors(kXorX, kXorY) >= 1);
    }
  }
}

TEST_CASE("One-vs-rest perceptrons stay below 100% on noisy XOR", "[01-perceptron][perceptron][xor]") {
  Rng rng(42);
  const Dataset d = make_xor(200, 0.1f, rng);
  OneVsRest model(2, 2, PerceptronVariant::kPocket);
  for (int epoch = 0; epoch < 50; ++epoch) model.train_epoch(d.x, d.y, rng.permutation(d.size()));
  const double acc = accuracy(model.predict(d.x), d.y);
  CHECK(acc < 1.0);
  CHECK(acc <= 0.80);  // the best line gets 3 of 4 corners, 75%, up to noise
}

// ---- pocket and averaged ----

TEST_CASE("The pocket never holds weights worse than the running ones", "[01-perceptron][perceptron][pocket]") {
  Rng rng(11);
  const Dataset d = make_xor(100, 0.3f, rng);  // not separable: the running weights keep moving
  const std::vector<int> y = binary_targets(d.y, 1);
  Perceptron p(2, PerceptronVariant::kPocket);
  std::size_t previous = d.size();
  for (int epoch = 0; epoch < 30; ++epoch) {
    p.train_epoch(d.x, y, rng.permutation(d.size()));
    const std::size_t pocket_errors = p.count_errors(d.x, y);
    std::size_t running_errors = 0;  // the running weights' errors, for comparison
    for (std::size_t i = 0; i < d.size(); ++i) {
      float s = p.running_bias();
      for (std::size_t j = 0; j < 2; ++j) s += p.running_weight()[j] * d.x(i, j);
      running_errors += (s > 0 ? 1 : -1) != y[i];
    }
    CHECK(pocket_errors <= running_errors);
    CHECK(pocket_errors <= previous);  // the ratchet: the pocket only ever improves
    previous = pocket_errors;
  }
}

TEST_CASE("The averaged perceptron predicts with the mean of the weights after every step",
          "[01-perceptron][perceptron][averaged]") {
  Perceptron p(1, PerceptronVariant::kAveraged);
  const Tensor x({2, 1}, {1, -1});
  // Step 1: row 0 (+1), mistake -> w = 1, b = 1. Step 2: row 1 (-1): score -1 + 1 = 0, a mistake
  // -> w = 2, b = 0. Mean over the two steps: w = 1.5, b = 0.5.
  p.train_epoch(x, {1, -1}, {0, 1});
  CHECK(p.running_weight()[0] == 2.0f);
  CHECK(p.weight()[0] == 1.5f);
  CHECK(p.bias() == 0.5f);
}

// ---- real data ----

TEST_CASE("A perceptron separates Iris setosa from the rest with 100% accuracy", "[01-perceptron][perceptron][iris]") {
  const Dataset iris = load_iris();
  const std::vector<int> y = binary_targets(iris.y, 0);  // setosa is class 0
  Perceptron p(4);
  Rng rng(1);
  std::size_t epochs = 0;
  while (p.train_epoch(iris.x, y, rng.permutation(iris.size())) > 0) REQUIRE(++epochs < 1000);
  CHECK(p.count_errors(iris.x, y) == 0);
}

TEST_CASE("One-vs-rest with two classes trains a single perceptron", "[01-perceptron][perceptron]") {
  OneVsRest binary(3, 2), three(3, 3);
  CHECK(binary.models().size() == 1);
  CHECK(three.models().size() == 3);
  CHECK_THROWS_WITH(OneVsRest(3, 1), Catch::Contains("at least 2 classes"));
}

TEST_CASE("Iris one-vs-rest with seed 42 pins its first mistakes and reaches 85% on the test split",
          "[01-perceptron][perceptron][iris][e2e]") {
  // The example's default pipeline: stratified 80/20 split, z-score fitted on train, pocket.
  const Dataset iris = load_iris();
  Rng rng(42);
  const Split split = stratified_split(iris.y, 0.2, rng);
  Dataset train = take(iris, split.train), test = take(iris, split.test);
  StandardScaler scaler;
  train.x = scaler.fit_transform(train.x);  // (120, 4)
  test.x = scaler.transform(test.x);        // (30, 4)
  OneVsRest model(4, 3, PerceptronVariant::kPocket);
  std::vector<std::size_t> mistakes;
  for (int epoch = 0; epoch < 100; ++epoch) mistakes.push_back(model.train_epoch(train.x, train.y, rng.permutation(120)));
  CHECK(std::vector<std::size_t>(mistakes.begin(), mistakes.begin() + 3) == std::vector<std::size_t>{67, 58, 50});
  CHECK(accuracy(model.predict(test.x), test.y) >= 0.85);
  CHECK(accuracy(model.predict(train.x), train.y) >= 0.85);
}

TEST_CASE("accuracy is the share of matching predictions", "[01-perceptron][perceptron]") {
  CHECK(accuracy({0, 1, 2, 2}, {0, 1, 1, 2}) == 0.75);
  CHECK_THROWS_WITH(accuracy({0}, {0, 1}), Catch::Contains("1 predictions for 2 labels"));
}
