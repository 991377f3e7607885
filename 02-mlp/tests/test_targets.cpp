#include <catch2/catch.hpp>
#include <cmath>

#include "02-mlp/losses.hpp"
#include "02-mlp/metrics.hpp"
#include "02-mlp/targets.hpp"
#include "tests/support/eigen.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/require_close.hpp"

using namespace dlfs;
using namespace dlfs::test;

TEST_CASE("Targets of each kind count their examples and the terms a loss averages over", "[02-mlp][targets]") {
  const Targets classes = std::vector<int>{2, 0, kIgnoreIndex, 1};
  CHECK(classes.kind == Targets::Kind::class_per_example);
  CHECK(classes.size() == 4);
  CHECK(classes.count() == 3);

  const Targets positions = Targets::per_position({1, 2, kIgnoreIndex, 0, 0, 0}, 3);  // (2, 3)
  CHECK(positions.size() == 2);
  CHECK(positions.count() == 5);

  const Targets values = Tensor({3, 2}, {1, 2, 3, 4, 5, 6});
  CHECK(values.kind == Targets::Kind::real_values);
  CHECK(values.size() == 3);
  CHECK(values.count() == 6);

  CHECK_THROWS_WITH(Targets::per_position({1, 2, 3}, 2), Catch::Contains("3 labels do not make rows of 2 positions"));
}

TEST_CASE("Targets gather rows and slices of every kind", "[02-mlp][targets]") {
  const Targets positions = Targets::per_position({1, 2, 3, 4, 5, 6}, 2);  // (3, 2)
  const Targets picked = positions.rows({2, 0});
  CHECK(picked.kind == Targets::Kind::class_per_position);
  CHECK(picked.labels == std::vector<int>{5, 6, 1, 2});
  CHECK(positions.slice(1, 3).labels == std::vector<int>{3, 4, 5, 6});
  CHECK_THROWS_WITH(positions.rows({3}), Catch::Contains("index 3 of 3"));

  const Targets values = Tensor({3, 1}, {10, 20, 30});
  CHECK(values.rows({1, 1}).values(1, 0) == 20.0f);
  CHECK(values.slice(2, 3).values(0, 0) == 30.0f);
  CHECK(Targets(std::vector<int>{7, 8, 9}).slice(0, 2).labels == std::vector<int>{7, 8});
}

TEST_CASE("Cross-entropy per position equals cross-entropy on the rows, ignored positions left out",
          "[02-mlp][losses][cross-entropy]") {
  Rng rng(5);
  const Tensor z = random_tensor({2, 3, 4}, rng, 2.0f);  // (B, T, C)
  const std::vector<int> labels = {1, kIgnoreIndex, 3, 0, 2, kIgnoreIndex};
  const LossAndGrad l = softmax_cross_entropy(z, Targets::per_position(labels, 3));

  // The same four labelled rows as a (4, C) batch of one label each.
  Tensor rows({4, 4});
  std::vector<int> kept;
  for (std::size_t r = 0, k = 0; r < 6; ++r)
    if (labels[r] != kIgnoreIndex) {
      for (std::size_t j = 0; j < 4; ++j) rows(k, j) = z[r * 4 + j];
      kept.push_back(labels[r]), ++k;
    }
  const LossAndGrad reference = softmax_cross_entropy(rows, kept);
  CHECK(l.loss == Approx(reference.loss).epsilon(1e-12));
  CHECK(l.grad.shape() == z.shape());
  for (std::size_t j = 0; j < 4; ++j) {
    CHECK(l.grad[1 * 4 + j] == 0.0f);  // ignored: no gradient
    CHECK(l.grad[5 * 4 + j] == 0.0f);
    CHECK(l.grad[2 * 4 + j] == reference.grad(1, j));
  }
  Tensor probe = z;
  require_close(l.grad, numerical_gradient([&] { return softmax_cross_entropy(probe, Targets::per_position(labels, 3)).loss; },
                                           probe, 1e-3),
                1e-4, 1e-3);
  CHECK_THROWS_WITH(softmax_cross_entropy(Tensor({2, 4}), Targets::per_position(labels, 3)),
                    Catch::Contains("expected (B, T, classes)"));
}

TEST_CASE("Metrics of class labels: loss per example and accuracy, by hand", "[02-mlp][metrics]") {
  const Tensor logits({3, 2}, {2, 1, 0, 5, 1, 3});  // predicts 0, 1, 1
  MetricSums sums;
  sums.add(logits, std::vector<int>{0, 0, 1}, 0.9);
  const Metrics m = sums.metrics();
  CHECK(m.loss == Approx(0.9));
  CHECK(m.accuracy == Approx(2.0 / 3.0));
  CHECK(std::isnan(m.bits_per_token));
  CHECK(std::isnan(m.mae));
}

TEST_CASE("Metrics of labels per position: loss per token, bits per token and accuracy, by hand", "[02-mlp][metrics]") {
  // Two slices of one batch: 3 labelled tokens with mean loss 1.0, then 1 with loss 2.0.
  const Tensor a({1, 4, 2}, {1, 0, 0, 1, 1, 0, 0, 1});  // predicts 0, 1, 0, 1
  const Tensor b({1, 2, 2}, {0, 1, 1, 0});              // predicts 1, 0
  MetricSums sums;
  sums.add(a, Targets::per_position({0, 0, kIgnoreIndex, 1}, 4), 1.0);  // right, wrong, -, right
  sums.add(b, Targets::per_position({kIgnoreIndex, 1}, 2), 2.0);        // -, wrong
  const Metrics m = sums.metrics();
  CHECK(sums.targets() == 4);
  CHECK(m.loss == Approx((3 * 1.0 + 1 * 2.0) / 4));  // per token, not per slice
  CHECK(m.bits_per_token == Approx(1.25 / std::log(2.0)));
  CHECK(m.accuracy == Approx(2.0 / 4.0));
}

TEST_CASE("Metrics of real values: MAE and RMSE, by hand", "[02-mlp][metrics]") {
  MetricSums sums;
  sums.add(Tensor({2, 1}, {1, 5}), Tensor({2, 1}, {2, 2}), 5.0);  // errors -1, 3
  sums.add(Tensor({1, 1}, {0}), Tensor({1, 1}, {0}), 0.0);        // error 0
  const Metrics m = sums.metrics();
  CHECK(m.mae == Approx(4.0 / 3.0));
  CHECK(m.rmse == Approx(std::sqrt(10.0 / 3.0)));
  CHECK(m.loss == Approx(10.0 / 3.0));
  CHECK(std::isnan(m.accuracy));
  CHECK(describe(m, "val_") == "val_loss 3.3333 val_mae 1.3333 val_rmse 1.8257");
  CHECK_THROWS_WITH(sums.add(Tensor({2, 2}), Tensor({2, 1}), 0.0), Catch::Contains("does not match"));
}

TEST_CASE("MSE takes real-valued targets only", "[02-mlp][losses][mse]") {
  CHECK_THROWS_WITH(mse(Tensor({2, 1}), std::vector<int>{0, 1}), Catch::Contains("needs real-valued targets"));
}
